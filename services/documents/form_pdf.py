"""报名表打印: the registration form as an A4 PDF (reportlab), with a verification code and its QR code.

The form prints the snapshot taken at submission, never the live rows. Every character a name may hold is
drawn: each text run is split by font (services.rarechars.font_for_char), and the fonts in fonts/ are
embedded as subsets. The fonts are registered once per process; reportlab keeps per-document state in
shared font objects, so documents are built one at a time under LOCK, in a worker thread.
"""
from __future__ import annotations

import io
import secrets
import threading
from datetime import datetime
from itertools import groupby

import anyio.to_thread
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfgen import canvas
from tortoise.exceptions import IntegrityError

from models.accounts import IdType
from models.applications import Application, Status
from models.snapshot import Personal, Snapshot
from services import clock
from services.documents import qr, uploads
from services.payment.orders import shown_order
from services.reference import rarechars, regions
from services.reference.regions import PROVINCES
from services.registration.fees import yuan

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed from paper
CODE_LENGTH = 16  # about 79 bits: unguessable
LOCK = threading.Lock()


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's makeToUnicodeCMap with UTF-16 targets.

    reportlab 5.1 writes the entry of U+20000 as <20000> instead of <D840DC00>: the glyph draws, but copy and
    paste and text extraction lose every supplementary-plane (Ext B and later) character of a name.
    """
    entries = ["<%02X> <%s>" % (i, chr(cp).encode("utf-16-be").hex().upper()) for i, cp in enumerate(subset)]
    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange", "<00> <%02X>" % (len(subset) - 1),
        "endcodespacerange", f"{len(subset)} beginbfchar", *entries, "endbfchar", "endcmap",
        "CMapName currentdict /CMap defineresource pop", "end", "end"])


ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # applied once, at import, for every PDF the process makes


def _cached_table(self, tag):
    """reportlab's TTFontFile.get_table, kept per font: its makeSubset asks for each table (the 7 MB `glyf` of the
    CJK font among them) as a fresh slice of the font's bytes, for every subset of every PDF, which copied about
    30 MB and cost 5 ms of a 16 ms 报名表. The tables are bytes, never changed; a font keeps each once (the
    size of the font's file again, for the fonts PDFs use)."""
    tables = self.__dict__.setdefault("_tables", {})
    if tag not in tables:
        tables[tag] = _get_table(self, tag)
    return tables[tag]


_get_table = ttfonts.TTFontFile.get_table
ttfonts.TTFontFile.get_table = _cached_table
# Streams are already deflated; ASCII85 on top makes them a quarter larger and, without reportlab's C
# accelerator, costs more than the rest of the form (a photo took 40 ms).
rl_config.useA85 = 0

_registered: list[str] = []


def register_fonts() -> str:
    """Register the PDF fonts with reportlab (once per process); returns the primary font's name."""
    with LOCK:
        if not _registered:
            for name, path in rarechars.pdf_fonts():
                pdfmetrics.registerFont(ttfonts.TTFont(name, str(path)))
                _registered.append(name)
    return _registered[0]


# ------------------------------------------------------------------ verification code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_code(text: str) -> bool:
    return len(text) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in text)


async def ensure_form_code(app: Application) -> str | None:
    """The application's code, set once: of two concurrent prints the first update wins, the other reads it."""
    for _ in range(3):
        if app.form_code:
            return app.form_code
        code = new_code()
        try:
            if await Application.filter(id=app.id, form_code=None).update(form_code=code):
                app.form_code = code
                return code
        except IntegrityError:  # another application drew the same code: draw again
            continue
        app.form_code = (await Application.get(id=app.id)).form_code  # another print set it first
    return app.form_code


# ------------------------------------------------------------------ drawing

W, H = A4
MARGIN = 36
LABEL_W = 74
PAD = 4
SIZE = 9
LEADING = 12
ROW_H = 22
PHOTO_W = 88
GREY = (0.93, 0.93, 0.93)


def runs(text: str) -> list[tuple[str, str]]:
    """(font, text) runs: each character in the first font that draws it."""
    return [(font, "".join(chars)) for font, chars in groupby(text, key=rarechars.font_for_char)]


def text_width(text: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(chunk, font, size) for font, chunk in runs(text))


def draw_text(c: canvas.Canvas, x: float, y: float, text: str, size: float = SIZE) -> None:
    t = c.beginText(x, y)
    for font, chunk in runs(text):
        t.setFont(font, size)
        t.textOut(chunk)
    c.drawText(t)


def wrap(text: str, width: float, size: float = SIZE) -> list[str]:
    """Lines of at most `width` points, broken between any two characters (Chinese has no spaces)."""
    lines, line, used = [], "", 0.0
    for ch in text:
        w = pdfmetrics.stringWidth(ch, rarechars.font_for_char(ch), size)
        if line and used + w > width:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    return [*lines, line]


class _Sheet:
    """A canvas and the current height; rows move down and start a new page when they do not fit."""

    def __init__(self, c: canvas.Canvas):
        self.c = c
        self.y = H - MARGIN

    def need(self, h: float) -> None:
        if self.y - h < MARGIN:
            self.c.showPage()
            self.y = H - MARGIN

    def section(self, title: str) -> None:
        self.need(ROW_H + 18)
        self.c.setFillColorRGB(*GREY)
        self.c.rect(MARGIN, self.y - 18, W - 2 * MARGIN, 18, stroke=1, fill=1)
        self.c.setFillColorRGB(0, 0, 0)
        draw_text(self.c, MARGIN + PAD, self.y - 13, title, 10.5)
        self.y -= 18

    def row(self, cells: list[tuple[str, str]], width: float = W - 2 * MARGIN) -> float:
        """One row of (label, value) cells sharing `width`; returns its height. Long texts wrap."""
        cell_w = width / len(cells)
        wrapped = [(wrap(label, LABEL_W - 2 * PAD), wrap(value or "—", cell_w - LABEL_W - 2 * PAD))
                   for label, value in cells]
        h = max(ROW_H, max(len(lines) for pair in wrapped for lines in pair) * LEADING + 2 * PAD + 2)
        self.need(h)
        c, top = self.c, self.y
        for i, (label_lines, value_lines) in enumerate(wrapped):
            x = MARGIN + i * cell_w
            c.setFillColorRGB(*GREY)
            c.rect(x, top - h, LABEL_W, h, stroke=1, fill=1)
            c.setFillColorRGB(0, 0, 0)
            c.rect(x + LABEL_W, top - h, cell_w - LABEL_W, h, stroke=1, fill=0)
            _centred(c, x + PAD, top - h / 2, label_lines)
            _centred(c, x + LABEL_W + PAD, top - h / 2, value_lines)
        self.y -= h
        return h


def _centred(c: canvas.Canvas, x: float, middle: float, lines: list[str]) -> None:
    """Lines centred vertically on `middle`."""
    first = middle + (len(lines) - 1) * LEADING / 2 - 3
    for n, line in enumerate(lines):
        draw_text(c, x, first - n * LEADING, line)


def _photo(c: canvas.Canvas, x: float, top: float, w: float, h: float, photo: bytes | None) -> None:
    c.rect(x, top - h, w, h, stroke=1, fill=0)
    if not photo:
        draw_text(c, x + w / 2 - SIZE, top - h / 2, "照片")
        return
    img = ImageReader(io.BytesIO(photo))  # a JPEG is embedded as it is, not decoded
    iw, ih = img.getSize()
    scale = min((w - 2 * PAD) / iw, (h - 2 * PAD) / ih)
    dw, dh = iw * scale, ih * scale
    c.drawImage(img, x + (w - dw) / 2, top - h + (h - dh) / 2, dw, dh)


def _qr(c: canvas.Canvas, x: float, y: float, size: float, url: str) -> None:
    """The QR code as vector squares, one rectangle per run of dark modules in a row."""
    matrix = qr.matrix(url)
    module = size / len(matrix)
    path = c.beginPath()
    for r, line in enumerate(matrix):
        col = 0
        for dark, group in groupby(line):
            n = len(list(group))
            if dark:
                path.rect(x + col * module, y + size - (r + 1) * module, n * module, module)
            col += n
    c.drawPath(path, stroke=0, fill=1)


def _where(personal: Personal) -> str:
    province = personal.employer_province
    city = regions.city_name(province, personal.employer_city) if province else None
    return " ".join(filter(None, (PROVINCES.get(province, ""), city or "")))


def sections(s: Snapshot, status_label: str, order_number: str | None, payment_label: str) -> list[tuple[str, list]]:
    """The form after the rows beside the photo: (section heading, rows of (label, value) cells); the first
    group has no heading, it goes on with 基本信息 at full width."""
    p, cand = s.personal, s.candidate
    has_degree = p.degree and p.degree != "无"
    return [
        ("", [[("手机号码", cand.phone or ""), ("电子邮箱", p.email)],
              [("通讯地址", p.address), ("邮政编码", p.postcode)]]),
        ("学历信息", [[("学历", p.level), ("毕业时间", p.graduated_on)],
                  [("毕业院校", p.school), ("所学专业", p.major)],
                  [("学历证书编号", p.certificate_no)]]),
        ("学位信息", [[("学位", p.degree or "无"), ("授予时间", p.degree_date if has_degree else "")],
                  [("授予单位", p.degree_org if has_degree else "")]]),
        ("工作信息", [[("工作单位", "无" if p.no_employer else p.employer),
                   ("职务", "" if p.no_employer else p.position)],
                  [("单位所在地", "" if p.no_employer else _where(p)),
                   ("从事会计工作开始时间", p.accounting_start)]]),
        ("报考信息", [[("考试名称", s.exam.name)],
                  [("报考级别", s.exam.level), ("报考条件", s.condition.label)],
                  [("报考省份", s.province.name), ("报考地市", s.city)],
                  [("报名点", s.site.name)], [("报名点地址", s.site.address)],
                  [("报名科目", "、".join(s.subjects)), ("应缴费用", f"{yuan(s.fee_fen)}元")]]),
        ("审核与缴费", [[("审核状态", status_label), ("缴费状态", payment_label)], [("订单号码", order_number or "—")]]),
    ]


def build_form(s: Snapshot, *, status_label: str, order_number: str | None, payment_label: str,
               generated_at: datetime, code: str, verify_url: str, photo_bytes: bytes | None) -> bytes:
    """The form as PDF bytes: pure and CPU-bound, called in a worker thread."""
    primary = register_fonts()
    out = io.BytesIO()
    with LOCK:
        c = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=primary)
        title = f"{s.exam.year}年度全国会计专业技术{s.exam.level}资格考试报名表"
        c.setTitle(title)
        c.setCreator("全国会计人员统一服务管理平台")
        draw_text(c, (W - text_width(title, 15)) / 2, H - MARGIN - 12, title, 15)
        sheet = _Sheet(c)
        sheet.y -= 28
        _beside_photo(sheet, s, photo_bytes)
        for heading, rows in sections(s, status_label, order_number, payment_label):
            if heading:
                sheet.section(heading)
            for cells in rows:
                sheet.row(cells)
        _footer(sheet, generated_at, code, verify_url)
        c.showPage()
        c.save()
    return out.getvalue()


def _beside_photo(sheet: _Sheet, s: Snapshot, photo_bytes: bytes | None) -> None:
    """基本信息 begins with four narrower rows, the photo to their right as tall as they are."""
    cand, p = s.candidate, s.personal
    sheet.section("基本信息")
    top, narrow = sheet.y, W - 2 * MARGIN - PHOTO_W
    h = sum(sheet.row(cells, narrow) for cells in (
        [("姓名", cand.name), ("性别", cand.gender or "")],
        [("证件类型", IdType.LABELS.get(cand.id_type, "")), ("出生日期", cand.birth_date or "")],
        [("证件号码", cand.id_number)],
        [("民族", p.ethnicity), ("政治面貌", p.political_status)]))
    _photo(sheet.c, MARGIN + narrow, top, PHOTO_W, h, photo_bytes)


def _footer(sheet: _Sheet, generated_at: datetime, code: str, verify_url: str) -> None:
    size = 78
    sheet.need(size + 16)
    c, y = sheet.c, sheet.y - 10 - size
    _qr(c, MARGIN, y, size, verify_url)
    lines = [f"报名表验证码：{code}", "扫描二维码或访问以下网址，核验本报名表的真伪：", verify_url,
             f"生成时间：{clock.local(generated_at)}（北京时间）", "本表由全国会计人员统一服务管理平台生成。"]
    for n, line in enumerate(lines):
        draw_text(c, MARGIN + size + 12, y + size - 12 - n * 15, line)
    draw_text(c, W - MARGIN - 150, y + 6, "考生签名：")
    c.line(W - MARGIN - 100, y + 4, W - MARGIN, y + 4)
    sheet.y = y


# ------------------------------------------------------------------ loading


def verify_url(settings, code: str) -> str:
    return f"{settings.base_url}/verify/{code}"


def _read(upload_dir, name: str | None) -> bytes | None:
    try:
        return uploads.path_of(upload_dir, name).read_bytes() if name else None
    except (uploads.UploadError, OSError):  # a lost photo prints an empty box, not a failed form
        return None


async def form_pdf(app: Application, settings, *, now: datetime | None = None) -> bytes:
    """The form of a submitted application (its submission snapshot), built off the event loop."""
    now = now or clock.now()
    code = await ensure_form_code(app)
    shown = await shown_order(app.id, now)
    snapshot, upload_dir = app.submission, settings.upload_dir

    def build() -> bytes:
        return build_form(snapshot, status_label=Status.LABELS[app.status],
                          order_number=shown.order.number if shown.order else None, payment_label=shown.label,
                          generated_at=now, code=code, verify_url=verify_url(settings, code),
                          photo_bytes=_read(upload_dir, snapshot.photo))

    return await anyio.to_thread.run_sync(build)
