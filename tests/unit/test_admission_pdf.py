"""services.documents.admission_pdf (准考证) and room_pdf (考场签到表, 门贴, the arrangement's CSV), read back from
the PDFs themselves with pypdf and fontTools, as the registration form's tests do."""
import csv
import dataclasses
import io
from datetime import datetime

from pypdf import PdfReader

from services.clock import CN
from services.documents import admission_pdf, qr, room_pdf
from services.reference import rarechars
from tests.factories import RARE_NAME, drawn_chars, images, text_of

URL = "https://kjks.example.cn/tickets/verify/ABCD2345EFGH6789"
NOTICE = "一、考生须凭准考证和有效身份证件原件进入考场。\n\n二、考生应按准考证上的考场号和座位号就座。"


def session(number=1, day=15, subjects=("初级会计实务", "经济法基础"), room=101, seat=7):
    return admission_pdf.SessionSeat(number, datetime(2027, 5, day, 8, 30, tzinfo=CN),
                                     datetime(2027, 5, day, 11, 50, tzinfo=CN), subjects,
                                     "北京市第一考点（北京财贸职业学院）", "北京市通州区通朝大街100号", room, seat)


def ticket(name="张三丰", sessions=None, **over):
    args = dict(exam_name="2027年度全国会计专业技术初级资格考试", level="初级", province="北京", name=name,
                id_type="mainland", id_number="110105199003071234", number="20271110105010110107",
                sessions=tuple(sessions or [session()]), notice=NOTICE)
    return admission_pdf.Ticket(**{**args, **over})


def build(t=None, photo=None) -> bytes:
    return admission_pdf.build_ticket(t or ticket(), verify_url=URL, photo_bytes=photo,
                                      generated_at=datetime(2027, 5, 6, 10, 5, tzinfo=CN))


def test_a_rare_name_on_the_ticket_is_drawn_by_the_embedded_fonts_and_read_back():
    assert len({rarechars.font_for_char(ch) for ch in RARE_NAME}) == len(rarechars.pdf_fonts())  # every font needed
    data = build(ticket(RARE_NAME))
    drawn = drawn_chars(data)
    for ch in RARE_NAME:
        assert ch in drawn, f"U+{ord(ch):04X} is not covered by an embedded font"
    assert RARE_NAME in text_of(data)


def test_the_ticket_prints_who_the_number_and_each_session_on_one_a4_page():
    sessions = [session(1, 15, ("中级会计实务",), 3, 12), session(2, 16, ("财务管理",), 5, 1)]
    data = build(ticket(sessions=sessions, level="中级", exam_name="2027年度全国会计专业技术中级资格考试"),
                 photo=images.photo())
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert (round(reader.pages[0].mediabox.width), round(reader.pages[0].mediabox.height)) == (595, 842)
    assert reader.metadata.title == "2027年度全国会计专业技术中级资格考试准考证"
    text = text_of(data)
    for expected in ("姓名张三丰", "证件类型内地居民身份证", "证件号码110105199003071234", "准考证号20271110105010110107",
                     "第1场", "考试日期2027年5月15日（星期六）", "考试时间08:30—11:50", "考试科目中级会计实务", "考场第003考场",
                     "座位号12", "第2场", "2027年5月16日（星期日）", "考试科目财务管理", "考场第005考场", "座位号01",
                     "考点北京市第一考点（北京财贸职业学院）", "考点地址北京市通州区通朝大街100号", "考试须知",
                     "一、考生须凭准考证和有效身份证件原件进入考场。", "二、考生应按准考证上的考场号和座位号就座。", URL,
                     "生成时间：2027-05-0610:05"):
        assert expected in text, expected
    assert len(reader.pages[0].images) == 1


def test_a_single_session_is_headed_as_the_arrangement_and_a_missing_photo_leaves_a_box():
    data = build()
    text = text_of(data)
    assert "考试安排" in text and "第1场" not in text and "照片" in text
    assert not PdfReader(io.BytesIO(data)).pages[0].images


def test_the_tickets_qr_code_is_read_back_by_a_real_reader():
    import pypdfium2
    import zxingcpp

    page = pypdfium2.PdfDocument(build())[0].render(scale=2).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(page)] == [URL]
    assert qr.matrix(URL)  # the same helper as the registration form's


def test_a_long_notice_goes_on_to_a_second_page_rather_than_being_cut():
    long = "\n".join(f"{n}、" + "考生应遵守考场规则，服从监考人员安排。" * 6 for n in range(1, 30))
    data = build(ticket(notice=long))
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    text = text_of(data)
    assert "1、考生应遵守" in text and "29、" in text and URL in text


# ------------------------------------------------------------------ room lists


def sheet(candidates, seats=30):
    return room_pdf.RoomSheet("2027年度全国会计专业技术初级资格考试", "西城区财政局会计考试报名点",
                              "北京市第一考点（北京财贸职业学院）", "北京市通州区通朝大街100号", 101, seats, 1,
                              datetime(2027, 5, 15, 8, 30, tzinfo=CN), datetime(2027, 5, 15, 11, 50, tzinfo=CN),
                              ("初级会计实务", "经济法基础"), tuple(candidates))


def seated(seat, name="王小明", photo=None):
    return room_pdf.SeatedCandidate(seat, f"2027111010501011010{seat:02d}", name, "110105199003071234", photo)


def test_the_signin_sheet_lists_each_candidate_at_their_seat_with_a_masked_id_and_a_rare_name(tmp_path):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(images.photo())
    data = room_pdf.build_signin(sheet([seated(2, RARE_NAME, str(photo)), seated(1, photo=str(photo))]))
    text = text_of(data)
    assert "考场签到表" in text and "第101考场" in text and "考生签名" in text and "本考场考生2人" in text
    assert "01202711101050101101001王小明110***********1234" in text
    assert f"02202711101050101101002{RARE_NAME}110***********1234" in text
    assert "110105199003071234" not in text
    drawn = drawn_chars(data)
    assert all(ch in drawn for ch in RARE_NAME)
    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 1  # one photo file, drawn twice


def test_a_full_room_goes_on_several_pages_and_an_unreadable_photo_leaves_a_box(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    data = room_pdf.build_signin(sheet([seated(n, photo=str(bad) if n == 1 else None) for n in range(1, 31)]))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 3
    text = text_of(data)
    assert all(f"{n:02d}2027111010501011010{n:02d}" in text for n in range(1, 31))
    assert f"第1/{len(reader.pages)}页" in text and "监考员签名" in text


def test_the_door_sign_names_the_room_the_session_and_the_range_of_numbers():
    data = room_pdf.build_door(sheet([seated(n) for n in (3, 1, 2)], seats=40))
    text = text_of(data)
    for expected in ("第101考场", "第1场2027年5月15日（星期六）08:30—11:50", "考试科目：初级会计实务、经济法基础",
                     "准考证号：202711101050101101001—202711101050101101003",
                     "本考场考生3人（座位40个）"):
        assert expected in text, expected
    empty = text_of(room_pdf.build_door(sheet([])))
    assert "（暂无考生）" in empty


def test_the_arrangement_csv_is_utf8_with_bom_masked_and_formula_safe():
    row = room_pdf.ArrangementRow("20271110105010110107", "=HYPERLINK(\"x\")", "110105199003071234", "西城区",
                                  "西城区财政局会计考试报名点", "北京市第一考点", "北京市通州区通朝大街100号", 1,
                                  datetime(2027, 5, 15, 8, 30, tzinfo=CN), datetime(2027, 5, 15, 11, 50, tzinfo=CN),
                                  ("初级会计实务", "经济法基础"), 101, 7)
    data = room_pdf.arrangement_csv([row, dataclasses.replace(row, name=RARE_NAME)])
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == list(room_pdf.CSV_HEAD)
    assert lines[1] == ["20271110105010110107", "'=HYPERLINK(\"x\")", "110***********1234", "西城区",
                        "西城区财政局会计考试报名点", "北京市第一考点", "北京市通州区通朝大街100号", "1", "2027-05-15",
                        "08:30—11:50", "初级会计实务、经济法基础", "101", "7"]
    assert lines[2][1] == RARE_NAME


def test_a_rooms_sessions_follow_one_another_in_one_signin_sheet_and_one_door_sign():
    first = sheet([seated(1)])
    second = dataclasses.replace(first, session_number=2, subjects=("财务管理",), candidates=(seated(5, "李四"),),
                                 starts_at=datetime(2027, 5, 16, 8, 30, tzinfo=CN),
                                 ends_at=datetime(2027, 5, 16, 11, 0, tzinfo=CN))
    signin = room_pdf.build_signin(first, second)
    pages = PdfReader(io.BytesIO(signin)).pages
    assert len(pages) == 2
    assert "第1场" in text_of_page(pages[0]) and "王小明" in text_of_page(pages[0]) and "李四" not in text_of_page(pages[0])
    assert "第2场2027年5月16日（星期日）08:30—11:00" in text_of_page(pages[1]) and "05" in text_of_page(pages[1])
    door = PdfReader(io.BytesIO(room_pdf.build_door(first, second))).pages
    assert len(door) == 2 and "考试科目：财务管理" in text_of_page(door[1])


def text_of_page(page) -> str:
    return "".join(page.extract_text().split())
