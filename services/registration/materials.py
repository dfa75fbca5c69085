"""证明材料 (proof materials): JPEG, PNG or PDF, decided by the content (magic bytes), never by the name.

The province decides which kinds each item accepts. Images go through uploads.clean_image (decoded,
re-encoded, metadata stripped). PDFs are checked but stored exactly as uploaded: re-writing a PDF with
pypdf can lose content (forms, signatures, fonts), and the reviewers need the document the candidate
sent; the checks below (size, not locked, page count, readable page tree, the physical size of every page) are
what protect them. A page's box costs nothing to declare and everything to draw: pages beyond A0 are refused here
by the rule the reviewers' page images and the 材料包 use too (documents.pdfpages.page_size_ok).
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PasswordType, PdfReader

from services.documents import pdfpages, uploads
from services.documents.uploads import UploadError

MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 20
IMAGE_RULES = uploads.ImageRules(max_bytes=5 * 1024 * 1024, min_width=400, min_height=300)

PDF_TOO_LARGE = "PDF文件不能超过10MB"
PDF_ENCRYPTED = "PDF文件已加密，请上传未加密的文件"
PDF_TOO_LONG = f"PDF文件不能超过{MAX_PDF_PAGES}页"
PDF_DAMAGED = "PDF文件已损坏，无法打开"
PDF_EMPTY = "PDF文件没有页面，请重新选择"
PDF_TOO_COMPLEX = "PDF文件结构异常复杂，无法在规定时间内检查。请用扫描软件或“打印为PDF”重新生成后上传"
PDF_PAGE_SIZE = ("PDF文件第{page}页的页面尺寸不正常：每页的长和宽应在1至1189毫米之间（不超过A0纸），"
                 "请按实际纸张大小重新扫描或导出后上传")

_MESSAGES = {PDF_ENCRYPTED, PDF_TOO_LONG, PDF_DAMAGED, PDF_EMPTY}  # what the worker may say, as it says it

# kind -> (magic bytes, name shown to candidates, extension, media type); the order is the message's.
_KINDS = {
    "jpg": (b"\xff\xd8\xff", "JPG", ".jpg", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", "PNG", ".png", "image/png"),
    "pdf": (b"%PDF-", "PDF", ".pdf", "application/pdf"),
}
_ALIASES = {"jpeg": "jpg"}


@dataclass(frozen=True)
class CleanMaterial:
    data: bytes
    kind: str  # "pdf" / "jpg" / "png"
    pages: int  # 1 for images

    @property
    def extension(self) -> str:
        return _KINDS[self.kind][2]

    @property
    def media_type(self) -> str:
        return _KINDS[self.kind][3]


def accepted_kinds(accepted) -> frozenset[str]:
    """The province's list, e.g. ["jpg", "PNG", "pdf"], checked; a typo raises ValueError."""
    kinds = frozenset(_ALIASES.get(k.lower(), k.lower()) for k in accepted)
    if not kinds or kinds - _KINDS.keys():
        raise ValueError(f"accepted material kinds must be a non-empty subset of {list(_KINDS)}: {accepted!r}")
    return kinds


def format_message(accepted) -> str:
    kinds = accepted_kinds(accepted)
    return f"只支持{'、'.join(v[1] for k, v in _KINDS.items() if k in kinds)}格式的文件"


def clean_material(data: bytes, accepted: list[str]) -> CleanMaterial:
    """Sync/CPU-bound (callers use a thread). Raises uploads.UploadError with a Chinese message naming the rule."""
    kinds = accepted_kinds(accepted)
    if not data:
        raise UploadError(uploads.EMPTY)
    kind = next((k for k, v in _KINDS.items() if data.startswith(v[0])), None)
    if kind not in kinds:  # unknown content (an .exe, text, GIF...) or a kind this item does not take
        raise UploadError(format_message(kinds))
    if kind == "pdf":
        return CleanMaterial(data, "pdf", _pdf_pages(data))
    try:
        image = uploads.clean_image(data, IMAGE_RULES)
    except UploadError as e:
        if str(e) == uploads.format_message(IMAGE_RULES.formats):  # image magic bytes, something else inside
            raise UploadError(format_message(kinds)) from None
        raise
    return CleanMaterial(image.data, "jpg" if image.format == "JPEG" else "png", 1)


def _pdf_pages(data: bytes) -> int:
    """The checks of an uploaded PDF (its size here, the rest in the PDF worker within a time budget)."""
    # Size first, so nothing is parsed before it is known to be acceptable.
    if len(data) > MAX_PDF_BYTES:
        raise UploadError(PDF_TOO_LARGE)
    try:
        return pdfpages.check_pdf(data)
    except pdfpages.PageError as e:
        if str(e) == pdfpages.TOO_SLOW:
            raise UploadError(PDF_TOO_COMPLEX) from None
        raise UploadError(str(e) if str(e) in _MESSAGES or str(e).startswith("PDF文件第") else PDF_DAMAGED) from None


def pdf_pages(data: bytes) -> int:
    """The page count of a PDF, or UploadError with the rule it breaks (not locked, at most MAX_PDF_PAGES pages,
    a readable page tree, every page between 1 mm and A0). Run by the PDF worker (pdfpages.check_pdf)."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        # A PDF with only an owner password (print/copy restrictions, common on documents issued by
        # official systems) opens in any viewer without asking: the reviewers can read it, so it is
        # accepted. Without the `cryptography` package pypdf cannot test AES-encrypted files, and those
        # are refused like any locked PDF.
        if reader.is_encrypted and not _opens_without_password(reader):
            raise UploadError(PDF_ENCRYPTED)
        # The count comes from walking the page tree (pypdf does not trust /Count once it can read it).
        pages = len(reader.pages)
        if pages > MAX_PDF_PAGES:
            raise UploadError(PDF_TOO_LONG)
        for number, page in enumerate(reader.pages, 1):
            # Resolves each page and its inherited attributes. Content streams are not decoded: that
            # costs up to pypdf's 75 MB per stream, and the reviewers' page images are drawn within a budget.
            if not pdfpages.page_size_ok(*pdfpages.physical_size(page)):
                raise UploadError(PDF_PAGE_SIZE.format(page=number))
    except UploadError:
        raise
    except Exception:  # pypdf raises many exception types on damaged or hostile input
        raise UploadError(PDF_DAMAGED) from None
    if pages == 0:
        raise UploadError(PDF_EMPTY)
    return pages


def _opens_without_password(reader: PdfReader) -> bool:
    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED
    except Exception:  # DependencyError (AES without `cryptography`), broken encryption dictionaries
        return False
