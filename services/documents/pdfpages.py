"""A page of an uploaded PDF as an image, for the reviewers: PDFium (Chrome's own PDF engine, via
pypdfium2) draws it on the server, so a PDF's scripts, forms and links never reach a browser of ours,
and no PDF viewer is needed (Chrome's refuses to run in the CSP sandbox that a served PDF would need)."""
from __future__ import annotations

import io
import threading
from pathlib import Path

import anyio.to_thread
import pypdfium2 as pdfium

from services.documents import uploads

WIDTH = 1000  # pixels: readable at full width of the detail panel
_lock = threading.Lock()  # PDFium is not thread-safe: one document at a time in the process


class PageError(Exception):
    pass


def render_page(path: Path, index: int) -> bytes:
    """Page `index` (from 0) as PNG; PageError when the file has no such page or cannot be read."""
    with _lock:
        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as e:
            raise PageError(str(e)) from None
        try:
            if not 0 <= index < len(doc):
                raise PageError("no such page")
            page = doc[index]
            scale = min(3.0, WIDTH / max(page.get_width(), 1))
            image = page.render(scale=scale).to_pil()
        finally:
            doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def page_of_upload(upload_dir, name: str, number: int) -> bytes | None:
    """Page `number` (from 1) of the stored PDF `name` as PNG, drawn off the event loop; None when `name` is
    not a PDF, is missing or unreadable, or has no such page."""
    if not name.endswith(".pdf"):
        return None
    try:
        return await anyio.to_thread.run_sync(render_page, uploads.path_of(upload_dir, name), number - 1)
    except (uploads.UploadError, PageError, OSError):
        return None
