"""services.documents.pdfpages: a PDF page drawn for the reviewers within a budget of pixels, time and memory, in
a worker process, whatever the stored file declares (issue 11)."""
import io
import threading
import time

from PIL import Image

from services.documents import pdfpages, uploads
from tests.factories import content_bomb_pdf, pdf, pdf_of_pages


def stored(tmp_path, data: bytes) -> str:
    return uploads.store(tmp_path, "material", data, ".pdf")


async def drawn(tmp_path, name, number=1):
    started = time.perf_counter()
    png = await pdfpages.page_of_upload(tmp_path, name, number)
    return png, time.perf_counter() - started


async def test_an_ordinary_page_is_drawn_at_the_panels_width(tmp_path):
    png, _ = await drawn(tmp_path, stored(tmp_path, pdf(2)), 2)
    assert Image.open(io.BytesIO(png)).size == (1000, 1416)  # 595×842 points
    assert await pdfpages.page_of_upload(tmp_path, stored(tmp_path, pdf(2)), 3) is None  # no such page


async def test_the_issues_page_bomb_answers_at_once_with_nothing_to_draw(tmp_path):
    # Drawn at the panel's width, one of these pages was 270 million pixels: 9 s and 1.8 GB each before.
    name = stored(tmp_path, pdf_of_pages((200, 150000), (200, 150000), (200, 150000)))
    for number in (1, 2, 3):
        png, seconds = await drawn(tmp_path, name, number)
        assert png is None and seconds < 1.0
    name = stored(tmp_path, pdf_of_pages((200, 14000)))  # taller than A0, though within PDF's own limit
    assert (await drawn(tmp_path, name))[0] is None


def test_a_page_is_drawn_within_the_pixel_budget():
    # A0's height, narrow: at the panel's width (scale 10, capped at 3) it would be 300×10110 = 3 MP; wider still,
    # the budget decides.
    for width, height in ((100, 3370), (600, 3370), (2384, 3370), (3370, 3370), (595, 842), (164, 113)):
        scale = pdfpages.scale_for(width, height)
        assert width * scale * height * scale <= pdfpages.MAX_PIXELS and width * scale <= pdfpages.WIDTH
    assert pdfpages.scale_for(595, 842) == 1000 / 595  # ordinary pages as before
    assert pdfpages.page_size_ok(2384, 3370) and not pdfpages.page_size_ok(200, 3371)
    assert not pdfpages.page_size_ok(float("nan"), 842) and not pdfpages.page_size_ok(0, 842)


async def test_a_narrow_page_of_a0_height_is_drawn_within_the_budget(tmp_path):
    png, _ = await drawn(tmp_path, stored(tmp_path, pdf_of_pages((600, 3370))))
    width, height = Image.open(io.BytesIO(png)).size
    assert width * height <= pdfpages.MAX_PIXELS * 1.01 and height > 3000


async def test_a_page_that_takes_too_long_is_given_up_and_the_next_page_waits_no_longer(tmp_path):
    # 3 KB that inflate to 1 MB of page-wide strokes: about 13 s of PDFium's drawing, were it let run.
    bomb, ordinary = stored(tmp_path, content_bomb_pdf(1)), stored(tmp_path, pdf(1))
    results = {}

    def other_reviewer():
        time.sleep(0.2)  # asks while the bomb is being drawn
        started = time.perf_counter()
        results["png"] = pdfpages.render_page(uploads.path_of(tmp_path, ordinary), 0)
        results["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=other_reviewer)
    thread.start()
    png, seconds = await drawn(tmp_path, bomb)
    thread.join()
    assert png is None and seconds < pdfpages.MAX_SECONDS + 1
    assert results["png"] and results["seconds"] < pdfpages.MAX_SECONDS + 1.5  # queued behind it, then drawn
    # The file is remembered as too slow: asked again, it answers at once.
    png, seconds = await drawn(tmp_path, bomb)
    assert png is None and seconds < 0.1


async def test_a_server_process_with_many_open_files_still_gets_its_pages(tmp_path):
    """Issue 11 review: the worker's pipe was watched with select(), which refuses a descriptor above 1023; a busy
    server (many connections) got a 500 for every page image from then on."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        import pytest
        pytest.skip(f"this machine allows {hard} open files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        pdfpages.stop_worker()  # the next page starts a worker whose pipes get descriptors above 1023
        png, _ = await drawn(tmp_path, stored(tmp_path, pdf(1)))
        assert png is not None and Image.open(io.BytesIO(png)).size == (1000, 1416)
    finally:
        for fd in held:
            os.close(fd)
        pdfpages.stop_worker()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
