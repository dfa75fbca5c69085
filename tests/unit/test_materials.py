"""services.registration.materials: every PDF and image is made here (reportlab, pypdf, Pillow); nothing binary is kept."""
import io
import logging
import os

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from services.documents import uploads
from services.registration.materials import MAX_PDF_BYTES, CleanMaterial, clean_material, format_message
from services.documents.uploads import UploadError
from tests.factories import pdf_of_pages

ALL = ["jpg", "png", "pdf"]
ALL_MSG = "只支持JPG、PNG、PDF格式的文件"


@pytest.fixture(autouse=True)
def quiet_pypdf():
    # pypdf logs a warning for every repair it attempts on a damaged file.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    yield
    logging.getLogger("pypdf").setLevel(logging.NOTSET)


def text_pdf(pages=1) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for i in range(pages):
        c.drawString(72, 720, f"学历证明 第{i + 1}页 / certificate page {i + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def blank_pdf(pages=1, **encrypt) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if encrypt:
        writer.encrypt(**encrypt)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(fmt, w=800, h=600, **save) -> bytes:
    img = Image.merge("RGB", [Image.effect_noise((w, h), 30), Image.linear_gradient("L").resize((w, h)),
                              Image.new("L", (w, h), 90)])
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


def refused(data, accepted=ALL):
    with pytest.raises(UploadError) as e:
        clean_material(data, accepted)
    return str(e.value)


def test_one_page_pdf_is_accepted_as_uploaded():
    data = text_pdf(1)
    result = clean_material(data, ALL)
    assert result == CleanMaterial(data, "pdf", 1)
    assert (result.extension, result.media_type) == (".pdf", "application/pdf")


def test_twenty_pages_accepted_twenty_one_refused():
    assert clean_material(text_pdf(20), ALL).pages == 20
    assert refused(text_pdf(21)) == "PDF文件不能超过20页"


def test_page_count_is_not_taken_from_the_claimed_count():
    data = blank_pdf(21)
    assert b"/Count 21" in data
    assert refused(data.replace(b"/Count 21", b"/Count 1 ")) == "PDF文件不能超过20页"


def test_password_protected_pdf_is_refused():
    assert refused(blank_pdf(1, user_password="pw")) == "PDF文件已加密，请上传未加密的文件"


def test_pdf_with_only_an_owner_password_opens_without_one_and_is_accepted():
    data = blank_pdf(2, user_password="", owner_password="issuer", algorithm="RC4-128")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    result = clean_material(data, ALL)
    assert (result.kind, result.pages, result.data) == ("pdf", 2, data)


def test_truncated_pdf_is_refused():
    data = text_pdf(5)
    assert refused(data[: len(data) // 2]) == "PDF文件已损坏，无法打开"
    # Still damaged when the end marker is put back.
    assert refused(data[: len(data) // 2] + b"\n%%EOF\n") == "PDF文件已损坏，无法打开"


def test_pdf_with_corrupted_xref_and_objects_is_refused():
    data = text_pdf(5)
    # The objects and the cross-reference table overwritten, the trailer kept: pypdf's non-strict repair
    # finds no catalogue.
    damaged = data[:300] + os.urandom(len(data) - 700) + data[-400:]
    assert refused(damaged) == "PDF文件已损坏，无法打开"
    assert refused(b"%PDF-1.7\n") == "PDF文件已损坏，无法打开"


def test_pdf_without_pages_is_refused():
    assert refused(blank_pdf(0)) == "PDF文件没有页面，请重新选择"


def test_pdf_over_10_mb_is_refused_before_parsing():
    data = text_pdf(1)
    assert refused(data + b"\0" * (11 * 1024 * 1024 - len(data))) == "PDF文件不能超过10MB"
    # Exactly at the limit is fine (the bytes after %%EOF are ignored by readers).
    padded = data + b"\n" * (MAX_PDF_BYTES - len(data))
    assert clean_material(padded, ALL).pages == 1


def test_executable_renamed_pdf_is_refused():
    assert refused(b"MZ\x90\x00" + os.urandom(4096)) == ALL_MSG


def test_text_and_gif_are_refused():
    assert refused("这不是PDF文件 %PDF-1.4".encode()) == ALL_MSG
    gif = io.BytesIO()
    Image.new("P", (800, 600)).save(gif, "GIF")
    assert refused(gif.getvalue()) == ALL_MSG
    assert refused(b"") == uploads.EMPTY


def test_images_are_accepted_as_their_real_kind():
    png = clean_material(image("PNG"), ALL)
    assert (png.kind, png.pages, png.extension, png.media_type) == ("png", 1, ".png", "image/png")
    assert Image.open(io.BytesIO(png.data)).format == "PNG"
    jpg = clean_material(image("JPEG"), ["JPG", "pdf"])
    assert (jpg.kind, jpg.pages, jpg.extension, jpg.media_type) == ("jpg", 1, ".jpg", "image/jpeg")


def test_image_metadata_is_stripped():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    result = clean_material(image("JPEG", exif=exif.tobytes()), ALL)
    assert b"PhoneMaker" not in result.data and not Image.open(io.BytesIO(result.data)).getexif()


def test_image_rules_come_from_uploads():
    assert refused(image("PNG", 300, 200)) == "图片尺寸不能小于400×300像素"
    assert refused(b"\x89PNG\r\n\x1a\n" + os.urandom(2000)) == uploads.DAMAGED


def test_kind_not_accepted_for_the_item_is_refused_with_the_accepted_list():
    assert refused(text_pdf(1), ["jpg", "png"]) == "只支持JPG、PNG格式的文件"
    assert refused(image("PNG"), ["pdf"]) == "只支持PDF格式的文件"
    assert refused(image("JPEG"), ["png", "pdf"]) == "只支持PNG、PDF格式的文件"


def test_accepted_list_is_checked():
    assert format_message(["pdf", "jpeg", "PNG"]) == ALL_MSG
    for bad in ([], ["gif"], ["jpg", "docx"]):
        with pytest.raises(ValueError):
            clean_material(text_pdf(1), bad)


# --- the physical size of a page (issue 11) ------------------------------------------------------------


def test_the_issues_page_bomb_is_refused_naming_the_page_and_the_rule():
    # 680 bytes, three pages of 200×150000 points: drawing them for the reviewers took 21 s and 3.4 GB.
    bomb = pdf_of_pages((200, 150000), (200, 150000), (200, 150000))
    assert len(bomb) < 1000
    assert refused(bomb) == ("PDF文件第1页的页面尺寸不正常：每页的长和宽应在1至1189毫米之间（不超过A0纸），"
                             "请按实际纸张大小重新扫描或导出后上传")
    assert refused(pdf_of_pages((595, 842), (595, 842), (3371, 842))).startswith("PDF文件第3页的页面尺寸不正常")
    assert refused(pdf_of_pages((595, 842), (2, 842))).startswith("PDF文件第2页的页面尺寸不正常")  # under 1 mm
    # The physical size counts: UserUnit 10 makes an A4 box 5.95 m wide.
    assert refused(pdf_of_pages((595, 842), user_unit=10)).startswith("PDF文件第1页的页面尺寸不正常")


def test_every_paper_size_up_to_a0_still_passes():
    # A4 and A3 either way up, A0, a long narrow page of A0's height, a receipt
    sizes = [(595, 842), (842, 595), (842, 1191), (2384, 3370), (3370, 2384), (226, 3370), (164, 113)]
    assert clean_material(pdf_of_pages(*sizes), ALL).pages == len(sizes)
    assert clean_material(pdf_of_pages((595, 842), user_unit=1), ALL).pages == 1


def test_a_pdf_whose_structure_takes_seconds_to_read_is_refused_within_the_budget():
    from services.registration import materials
    from tests.factories import pdf
    """Issue 11 (hostile probe): 10 MB of PDF that pypdf reads in 7.8 s was accepted after those 7.8 s of a
    worker thread. The check runs in the PDF worker now, and past its budget the worker is killed."""
    import time

    from services.documents import pdfpages
    from tests.factories import slow_pdf

    started = time.perf_counter()
    with pytest.raises(UploadError) as refused:
        materials.clean_material(slow_pdf(), ["pdf"])
    assert str(refused.value) == materials.PDF_TOO_COMPLEX
    assert time.perf_counter() - started < pdfpages.CHECK_SECONDS + 1.5
    assert materials.clean_material(pdf(3), ["pdf"]).pages == 3  # the worker, started again, still checks
