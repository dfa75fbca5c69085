"""准考证打印: the candidate's admission ticket as an A4 PDF (reportlab), drawn as the 报名表 is (form_pdf).

What it prints comes in a `Ticket` (filled from the arrangement's reads, services.arrangement): the photo, full
name, 证件类型 and number, 准考证号, and for each 考试场次 its date, time, subjects, 考点 and address, 考场 and 座位;
the province's 考试须知; a QR code of the public verification page. Every character of the name is drawn by the
fonts of form_pdf (split by font, embedded as subsets); documents are built one at a time under form_pdf.LOCK,
off the event loop.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from models.accounts import IdType
from services import clock
from services.documents import form_pdf
from services.documents.form_pdf import LEADING, MARGIN, PHOTO_W, SIZE, H, W, draw_text, text_width, wrap

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class SessionSeat:
    """One 考试场次 of the candidate and where they sit in it."""

    number: int  # 场次 (1, 2, ... in the exam's order)
    starts_at: datetime
    ends_at: datetime
    subjects: tuple[str, ...]
    venue: str  # 考点
    venue_address: str
    room: int  # 考场号
    seat: int  # 座位号


@dataclass(frozen=True)
class Ticket:
    exam_name: str  # 2027年度全国会计专业技术初级资格考试
    level: str
    province: str  # 报考省份, its name
    name: str
    id_type: str  # models.accounts.IdType code
    id_number: str
    number: str  # 准考证号
    sessions: tuple[SessionSeat, ...]
    notice: str  # 考试须知, one paragraph a line
    photo: str | None = None  # the stored upload of the submitted photo


def day_text(moment: datetime) -> str:
    """2027年5月15日（星期六）, China time."""
    d = clock.china_date(moment)
    return f"{d.year}年{d.month}月{d.day}日（星期{WEEKDAYS[d.weekday()]}）"


def time_text(s) -> str:
    return f"{clock.local(s.starts_at, '%H:%M')}—{clock.local(s.ends_at, '%H:%M')}"


def room_text(room: int) -> str:
    return f"第{room:03d}考场"


def session_rows(s: SessionSeat) -> list[list[tuple[str, str]]]:
    return [[("考试日期", day_text(s.starts_at)), ("考试时间", time_text(s))],
            [("考试科目", "、".join(s.subjects))],
            [("考点", s.venue)], [("考点地址", s.venue_address)],
            [("考场", room_text(s.room)), ("座位号", f"{s.seat:02d}")]]


def build_ticket(t: Ticket, *, verify_url: str, generated_at: datetime, photo_bytes: bytes | None) -> bytes:
    """The ticket as PDF bytes: pure and CPU-bound, called in a worker thread."""
    primary = form_pdf.register_fonts()
    out = io.BytesIO()
    with form_pdf.LOCK:
        c = canvas.Canvas(out, pagesize=A4, pageCompression=1, initialFontName=primary)
        title = f"{t.exam_name}准考证"
        c.setTitle(title)
        c.setCreator("全国会计人员统一服务管理平台")
        size = 15 if text_width(title, 15) <= W - 2 * MARGIN else 12
        draw_text(c, (W - text_width(title, size)) / 2, H - MARGIN - 12, title, size)
        sheet = form_pdf._Sheet(c)
        sheet.y -= 28
        _beside_photo(sheet, t, photo_bytes)
        for s in t.sessions:
            sheet.section(f"第{s.number}场" if len(t.sessions) > 1 else "考试安排")
            for cells in session_rows(s):
                sheet.row(cells)
        _notice(sheet, t.notice)
        _footer(sheet, t.number, verify_url, generated_at)
        c.showPage()
        c.save()
    return out.getvalue()


def _beside_photo(sheet, t: Ticket, photo_bytes: bytes | None) -> None:
    sheet.section("考生信息")
    top, narrow = sheet.y, W - 2 * MARGIN - PHOTO_W
    h = sum(sheet.row(cells, narrow) for cells in (
        [("姓名", t.name)], [("证件类型", IdType.LABELS.get(t.id_type, t.id_type))], [("证件号码", t.id_number)],
        [("准考证号", t.number)], [("报考级别", t.level), ("报考省份", t.province)]))
    form_pdf._photo(sheet.c, MARGIN + narrow, top, PHOTO_W, h, photo_bytes)


def _notice(sheet, notice: str) -> None:
    paragraphs = [p.strip() for p in notice.splitlines() if p.strip()]
    if not paragraphs:
        return
    sheet.section("考试须知")
    sheet.y -= 4
    for p in paragraphs:
        for line in wrap(p, W - 2 * MARGIN - 2 * form_pdf.PAD):
            sheet.need(LEADING + 2)
            draw_text(sheet.c, MARGIN + form_pdf.PAD, sheet.y - LEADING + 2, line)
            sheet.y -= LEADING + 2
    sheet.y -= 4


def _footer(sheet, number: str, verify_url: str, generated_at: datetime) -> None:
    size = 78
    sheet.need(size + 16)
    c, y = sheet.c, sheet.y - 10 - size
    form_pdf._qr(c, MARGIN, y, size, verify_url)
    lines = [f"准考证号：{number}", "扫描二维码或访问以下网址，核验本准考证的真伪：", verify_url,
             f"生成时间：{clock.local(generated_at)}（北京时间）", "本准考证由全国会计人员统一服务管理平台生成，请用A4纸打印。"]
    for n, line in enumerate(lines):
        draw_text(c, MARGIN + size + 12, y + size - 12 - n * 15, line, SIZE)
    sheet.y = y
