"""The exam office's room lists: per 考场 and 考试场次 a 考场签到表 and a 门贴 (A4 PDFs, reportlab, drawn with the
fonts of form_pdf so every rare character of a name renders), and the CSV of a whole arrangement.

The sheets get what the arrangement's reads give (a `RoomSheet`); ID numbers are masked here, whatever the caller
passes, and the CSV is formula-safe and UTF-8 with a BOM as the board's other exports (services.review.export).
"""
from __future__ import annotations

import csv
import io
import logging
import os
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from services import clock
from services.accounts.names import mask_id_number
from services.documents import form_pdf
from services.documents.admission_pdf import day_text, room_text, time_text
from services.documents.form_pdf import GREY, MARGIN, PAD, SIZE, H, W, draw_text, text_width, wrap
from services.reference import rarechars
from services.review.export import safe_cell

log = logging.getLogger("kjks")


@dataclass(frozen=True)
class SeatedCandidate:
    seat: int  # 座位号
    number: str  # 准考证号
    name: str
    id_number: str  # masked when drawn
    photo_path: str | None = None  # the submitted photo's file, a JPEG (None or unreadable: an empty box)


@dataclass(frozen=True)
class RoomSheet:
    """One 考场 in one 考试场次, with the candidates seated there (in seat order)."""

    exam_name: str
    site: str  # 报名点
    venue: str  # 考点
    venue_address: str
    room: int  # 考场号
    seats: int  # the room's seats
    session_number: int
    starts_at: datetime
    ends_at: datetime
    subjects: tuple[str, ...]
    candidates: tuple[SeatedCandidate, ...]

    @property
    def when(self) -> str:
        return f"第{self.session_number}场 {day_text(self.starts_at)} {time_text(self)}"


def _centre(c, y: float, text: str, size: float, width: float = W) -> None:
    draw_text(c, (width - text_width(text, size)) / 2, y, text, size)


def _fit(text: str, width: float, size: float = SIZE) -> list[str]:
    """At most two lines of `text` in `width` (a longer text is cut, with …)."""
    lines = wrap(text, width, size)
    return lines if len(lines) <= 2 else [lines[0], lines[1][:-1] + "…"]


# ------------------------------------------------------------------ 考场签到表

# (heading, width in points); the signature takes what is left of the page's width.
COLUMNS = (("座位号", 42), ("准考证号", 112), ("姓名", 96), ("照片", 50), ("证件号码", 110), ("考生签名", 0))
ROW = 62
HEAD_ROW = 20


def _columns() -> list[tuple[str, float, float]]:
    x, out = MARGIN, []
    for heading, w in COLUMNS:
        w = w or W - MARGIN - x
        out.append((heading, x, w))
        x += w
    return out


COLUMN_AT = _columns()
_ascii_fonts = {rarechars.font_for_char(chr(n)) for n in range(32, 127)}
ASCII_FONT = _ascii_fonts.pop() if len(_ascii_fonts) == 1 else None


def _venue_line(r: RoomSheet) -> str:
    return f"考点：{r.venue}" + (f"（{r.venue_address}）" if r.venue_address else "")


def _signin_head(c, r: RoomSheet, page: int, pages: int) -> float:
    _centre(c, H - MARGIN - 14, f"{r.exam_name}考场签到表", 14)
    lines = [_venue_line(r), f"考场：{room_text(r.room)}　　场次：{r.when}",
             f"考试科目：{'、'.join(r.subjects)}　　本考场考生 {len(r.candidates)} 人　　第 {page}/{pages} 页"]
    y = H - MARGIN - 36
    for line in lines:
        for part in _fit(line, W - 2 * MARGIN):
            draw_text(c, MARGIN, y, part)
            y -= 13
    y -= 4
    c.setFillColorRGB(*GREY)
    c.rect(MARGIN, y - HEAD_ROW, W - 2 * MARGIN, HEAD_ROW, stroke=1, fill=1)
    c.setFillColorRGB(0, 0, 0)
    for heading, x, w in COLUMN_AT:
        draw_text(c, x + (w - text_width(heading, SIZE)) / 2, y - 14, heading)
        c.line(x, y, x, y - HEAD_ROW)
    return y - HEAD_ROW


def _photo(c, x: float, top: float, w: float, h: float, path: str | None) -> None:
    """The photo in its box. Given by its file, a JPEG goes into the PDF as it is: reportlab decodes an image
    handed over as bytes (to name it by its pixels), 2 ms a photo, most of a sheet's time."""
    c.rect(x, top - h, w, h, stroke=1, fill=0)
    try:
        if path and os.path.isfile(path):
            c.drawImage(path, x + 1, top - h + 1, w - 2, h - 2, preserveAspectRatio=True)
            return
    except Exception:  # noqa: BLE001 - a damaged file prints an empty box, not a failed list
        log.warning("room list: photo not drawn %s", path)
    draw_text(c, x + w / 2 - SIZE, top - h / 2, "照片")


def _line(c, x: float, y: float, text: str, size: float) -> None:
    """draw_text, without looking up the font of each character of a text of printable ASCII (a 准考证号, a masked
    ID: most of a sheet's characters), which one font draws."""
    if ASCII_FONT and text.isascii() and text.isprintable():
        t = c.beginText(x, y)
        t.setFont(ASCII_FONT, size)
        t.textOut(text)
        c.drawText(t)
    else:
        draw_text(c, x, y, text, size)


def _signin_row(c, top: float, s: SeatedCandidate) -> None:
    c.rect(MARGIN, top - ROW, W - 2 * MARGIN, ROW, stroke=1, fill=0)
    middle = top - ROW / 2
    # Digits and asterisks fit their columns as they are; only the name may need two lines.
    cells = {"座位号": [f"{s.seat:02d}"], "准考证号": [s.number], "证件号码": [mask_id_number(s.id_number)]}
    for heading, x, w in COLUMN_AT:
        c.line(x, top, x, top - ROW)
        if heading == "照片":
            ph = ROW - 2 * PAD
            _photo(c, x + (w - ph * 0.75) / 2, top - PAD, ph * 0.75, ph, s.photo_path)
            continue
        size = 10 if heading == "姓名" else SIZE
        lines = _fit(s.name, w - 2 * PAD, size) if heading == "姓名" else cells.get(heading)
        first = middle + (len(lines or ()) - 1) * 6 - 3
        for n, line in enumerate(lines or ()):
            _line(c, x + PAD, first - n * 12, line, size)


def _signin_foot(c) -> None:
    draw_text(c, MARGIN, MARGIN - 14, "实到人数：________　　缺考座位号：______________________　　监考员签名：________________")


def build_signin(*sheets: RoomSheet) -> bytes:
    """考场签到表: a row per seated candidate in seat order (seat, 准考证号, name, photo, masked ID, a box to sign);
    several sheets (a room's 场次) follow one another in one document, each on pages of its own."""
    return _document("考场签到表", A4, _draw_signin, sheets)


def _draw_signin(c, r: RoomSheet) -> None:
    rows = sorted(r.candidates, key=lambda s: s.seat)
    per_page = max(1, int((_probe_top(c, r) - MARGIN - 4) // ROW))
    pages = max(1, -(-len(rows) // per_page))
    for page in range(pages):
        y = _signin_head(c, r, page + 1, pages)
        for s in rows[page * per_page:(page + 1) * per_page]:
            _signin_row(c, y, s)
            y -= ROW
        if not rows:
            draw_text(c, MARGIN + PAD, y - 20, "本考场本场次暂无考生。")
        _signin_foot(c)
        c.showPage()


def _probe_top(c, r: RoomSheet) -> float:
    """Where the first row begins below the heading (the heading's height depends on how its lines wrap)."""
    lines = [_venue_line(r), f"考场：{room_text(r.room)}　　场次：{r.when}",
             f"考试科目：{'、'.join(r.subjects)}　　本考场考生 {len(r.candidates)} 人　　第 1/1 页"]
    n = sum(len(_fit(line, W - 2 * MARGIN)) for line in lines)
    return H - MARGIN - 36 - 13 * n - 4 - HEAD_ROW


# ------------------------------------------------------------------ 门贴


def number_range(r: RoomSheet) -> str:
    numbers = sorted(s.number for s in r.candidates)
    return f"{numbers[0]} — {numbers[-1]}" if numbers else "（暂无考生）"


def build_door(*sheets: RoomSheet) -> bytes:
    """门贴: the room's number in large type, the session, the range of its 准考证号 and how many sit there; a page
    per sheet (a room's 场次)."""
    return _document("门贴", landscape(A4), _draw_door, sheets)


def _document(kind: str, pagesize, draw, sheets) -> bytes:
    """One PDF of `sheets` drawn one after another by `draw`, titled by its kind and room (and 场次 when one)."""
    primary = form_pdf.register_fonts()
    out = io.BytesIO()
    with form_pdf.LOCK:
        c = canvas.Canvas(out, pagesize=pagesize, pageCompression=1, initialFontName=primary)
        first = sheets[0]
        c.setTitle(f"{kind} {room_text(first.room)}" + (f" 第{first.session_number}场" if len(sheets) == 1 else ""))
        c.setCreator("全国会计人员统一服务管理平台")
        for r in sheets:
            draw(c, r)
        c.save()
    return out.getvalue()


def _draw_door(c, r: RoomSheet) -> None:
    lw, lh = landscape(A4)
    c.rect(MARGIN / 2, MARGIN / 2, lw - MARGIN, lh - MARGIN, stroke=1, fill=0)
    y = lh - MARGIN - 24
    for line in _fit(f"{r.exam_name}", lw - 2 * MARGIN, 20):
        _centre(c, y, line, 20, lw)
        y -= 26
    for line in _fit(r.venue, lw - 2 * MARGIN, 16):
        _centre(c, y, line, 16, lw)
        y -= 22
    _centre(c, lh / 2 - 10, room_text(r.room), 120, lw)
    y = lh / 2 - 80
    for line in (r.when, f"考试科目：{'、'.join(r.subjects)}", f"准考证号：{number_range(r)}",
                 f"本考场考生 {len(r.candidates)} 人（座位 {r.seats} 个）"):
        for part in _fit(line, lw - 2 * MARGIN, 22):
            _centre(c, y, part, 22, lw)
            y -= 34
    c.showPage()


# ------------------------------------------------------------------ the whole arrangement as CSV

CSV_HEAD = ("准考证号", "姓名", "证件号码", "报考地市", "报名点", "考点", "考点地址", "场次", "考试日期", "考试时间", "考试科目",
            "考场号", "座位号")


@dataclass(frozen=True)
class ArrangementRow:
    number: str  # 准考证号
    name: str
    id_number: str  # masked when written
    city: str
    site: str
    venue: str
    venue_address: str
    session_number: int
    starts_at: datetime
    ends_at: datetime
    subjects: tuple[str, ...]
    room: int
    seat: int


def arrangement_csv(rows) -> bytes:
    """Every seat of the arrangement, a line each, in the order given (by 准考证号 and 场次 from the reads)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(CSV_HEAD)
    for r in rows:
        w.writerow([safe_cell(v) for v in (
            r.number, r.name, mask_id_number(r.id_number), r.city, r.site, r.venue, r.venue_address,
            r.session_number, clock.local(r.starts_at, "%Y-%m-%d"), time_text(r), "、".join(r.subjects),
            r.room, r.seat)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")  # BOM: Excel reads it as UTF-8
