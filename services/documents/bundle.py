"""材料包: one PDF for the reviewers, the registration form followed by every 证明材料, a bookmark per item.

Uploaded PDFs are appended page by page; JPEG/PNG become A4 pages (reportlab, scaled to fit, the item's name
above). A file that is missing or unreadable gets a page saying so instead of failing the whole bundle, and so does
each page of no sane size (pdfpages.page_size_ok, the rule uploads are held to): a 200×150000-point page stored
before that rule would otherwise stall the reviewer's own PDF viewer, and each file whose structure the PDF worker
cannot read within its budget (pdfpages.check_pdf). Pages are copied, never drawn or parsed here.
"""
from __future__ import annotations

import io

import anyio.to_thread
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from models.snapshot import MaterialFile
from services.documents import form_pdf, pdfpages, uploads

W, H = A4
MARGIN = 36
TOO_COMPLEX = "（该文件结构异常复杂，无法在规定时间内放入材料包，请在审核页面单独下载原文件查看）"


def _page(title: str, image: bytes | None = None, note: str = "") -> bytes:
    """One A4 page: the title, then the image scaled to fit the rest of the page, or a note."""
    primary = form_pdf.register_fonts()
    out = io.BytesIO()
    with form_pdf.LOCK:
        c = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=primary)
        form_pdf.draw_text(c, MARGIN, H - MARGIN - 10, title, 12)
        if image is not None:
            img = ImageReader(io.BytesIO(image))
            iw, ih = img.getSize()
            box_w, box_h = W - 2 * MARGIN, H - 2 * MARGIN - 24
            scale = min(box_w / iw, box_h / ih)
            c.drawImage(img, MARGIN + (box_w - iw * scale) / 2, MARGIN + (box_h - ih * scale), iw * scale, ih * scale)
        else:
            form_pdf.draw_text(c, MARGIN, H - MARGIN - 40, note)
        c.showPage()
        c.save()
    return out.getvalue()


def _material_pages(upload_dir, m: MaterialFile) -> list:
    title = f"证明材料：{m.item}"
    try:
        data = uploads.path_of(upload_dir, m.stored).read_bytes()
        if m.kind != "pdf":
            return list(PdfReader(io.BytesIO(_page(title, image=data))).pages)
        # First in the PDF worker, within its time budget (a file stored before uploads were held to it could keep
        # pypdf busy for seconds): only what reads back quickly there is copied here.
        try:
            pdfpages.check_pdf(data)
        except pdfpages.PageError as e:
            if str(e) == pdfpages.TOO_SLOW:
                return list(PdfReader(io.BytesIO(_page(title, note=TOO_COMPLEX))).pages)
        pages = [_sane(page, title, number) for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, 1)]
        for page in pages:
            # Scans need no links, form fields or page actions: a candidate's PDF runs nothing in a reviewer's viewer.
            for key in ("/Annots", "/AA"):
                page.pop(key, None)
        if pages:
            return pages
    except (OSError, uploads.UploadError, PyPdfError, ValueError, KeyError, TypeError, RecursionError):
        pass  # missing, or damaged since upload (pypdf raises these on hostile input)
    return list(PdfReader(io.BytesIO(_page(title, note="（该文件缺失或无法读取，请联系技术支持）"))).pages)


def _sane(page, title: str, number: int):
    """The page itself, or a note in its place when its size is beyond the upload rule."""
    width, height = pdfpages.physical_size(page)
    if pdfpages.page_size_ok(width, height):
        return page
    note = f"（第{number}页的页面尺寸不正常：{width / pdfpages.MM:.0f}×{height / pdfpages.MM:.0f}毫米，未放入材料包）"
    return PdfReader(io.BytesIO(_page(title, note=note))).pages[0]


def assemble(form: bytes, materials: list[MaterialFile], upload_dir) -> bytes:
    """Sync and CPU-bound: the form, then each material, with an outline item where each one starts."""
    writer = PdfWriter()
    parts = [("报名表", list(PdfReader(io.BytesIO(form)).pages))]
    parts += [(m.item, _material_pages(upload_dir, m)) for m in materials]
    for title, pages in parts:
        start = len(writer.pages)
        for page in pages:
            writer.add_page(page)
        writer.add_outline_item(title=title, page_number=start)
    writer.page_mode = "/UseOutlines"  # viewers open with the bookmarks shown
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def material_bundle(app, settings) -> bytes:
    """The bundle of a submitted application (app.snapshot): the same form the candidate prints, then the
    materials recorded in the snapshot, built off the event loop."""
    form = await form_pdf.form_pdf(app, settings)
    materials = list(app.submission.materials)
    return await anyio.to_thread.run_sync(assemble, form, materials, settings.upload_dir)
