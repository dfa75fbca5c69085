"""The office's downloads of an arrangement: /review/arrangement/{exam}/{province}/rooms/{room}/signin.pdf and
door.pdf (?session=N) and arrangement.csv; in scope only (a province reviewer, or the room's city), else 404."""
import csv
import io

from pypdf import PdfReader

from models.arrangement import Admission, Seat
from models.exams import ExamSession, Room
from tests.factories import RARE_NAME, arranged, drawn_chars, images, make_app, reviewer_client, stored, text_of

BASE = "/review/arrangement/demo-chuji/11"


async def seated(settings, name="王小明", city="110105"):
    app = await make_app(status="paid", name=name, city=city, photo=stored(settings, "photo", images.photo(), ".jpg"))
    await arranged("demo-chuji", "11")
    seat = await Seat.get(application_id=app.id).select_related("room", "session")
    return app, seat, (await Admission.get(application_id=app.id)).number


async def test_the_signin_sheet_lists_the_candidate_at_their_seat_with_photo_and_masked_id(app, demo, settings):
    application, seat, number = await seated(settings, RARE_NAME)
    async with await reviewer_client(app, "11") as office:
        r = await office.get(f"{BASE}/rooms/{seat.room_id}/signin.pdf?session={seat.session.number}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment") and r.headers["cache-control"] == "private, no-store"
    text = text_of(r.content)
    id_number = application.snapshot["candidate"]["id_number"]
    masked = id_number[:3] + "*" * 11 + id_number[-4:]
    assert f"{seat.seat:02d}{number}{RARE_NAME}{masked}" in text and f"第{seat.room.number:03d}考场" in text
    assert id_number not in text
    assert all(ch in drawn_chars(r.content) for ch in RARE_NAME)
    assert len(PdfReader(io.BytesIO(r.content)).pages[0].images) == 1  # the photo


async def test_the_door_sign_gives_the_room_the_session_and_the_number_range(app, demo, settings):
    _, seat, number = await seated(settings)
    async with await reviewer_client(app, "11") as office:
        r = await office.get(f"{BASE}/rooms/{seat.room_id}/door.pdf?session={seat.session.number}")
    text = text_of(r.content)
    assert r.status_code == 200 and f"第{seat.room.number:03d}考场" in text
    assert f"准考证号：{number}—{number}" in text and "本考场考生1人" in text and "2027年5月15日" in text


async def test_the_csv_of_the_arrangement_is_masked_formula_safe_and_utf8_with_bom(app, demo, settings):
    application, seat, number = await seated(settings, name="=CMD()")
    other, _, other_number = await seated(settings, city="110102")
    async with await reviewer_client(app, "11") as office, await reviewer_client(app, "11", "110105") as city:
        r = await office.get(f"{BASE}/arrangement.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["准考证号", "姓名", "证件号码"] and len(rows) == 3
        mine = next(row for row in rows if row[0] == number)
        assert mine[1] == "'=CMD()" and "*" in mine[2] and mine[-2:] == [str(seat.room.number), str(seat.seat)]
        assert application.snapshot["candidate"]["id_number"] not in r.text
        # a city reviewer gets their city's seats only
        rows = list(csv.reader(io.StringIO((await city.get(f"{BASE}/arrangement.csv")).content.decode("utf-8-sig"))))
        assert [row[0] for row in rows[1:]] == [number] and other_number not in str(rows)


async def test_out_of_scope_reviewers_and_rooms_are_404(app, demo, settings):
    _, seat, _ = await seated(settings)  # a room of 朝阳区 (110105)
    shanghai_room = await Room.filter(site__city__exam_province__province_code="31").first()
    session = seat.session.number
    async with await reviewer_client(app, "31") as shanghai, await reviewer_client(app, "11", "110102") as xicheng, \
            await reviewer_client(app, "11") as beijing:
        for who, path in ((shanghai, f"{BASE}/rooms/{seat.room_id}/signin.pdf?session={session}"),
                          (shanghai, f"{BASE}/arrangement.csv"),
                          (xicheng, f"{BASE}/rooms/{seat.room_id}/signin.pdf?session={session}"),
                          (xicheng, f"{BASE}/rooms/{seat.room_id}/door.pdf?session={session}"),
                          (beijing, f"{BASE}/rooms/{shanghai_room.id}/signin.pdf?session={session}"),
                          (beijing, f"/review/arrangement/demo-chuji/31/rooms/{shanghai_room.id}/door.pdf"),
                          (beijing, f"/review/arrangement/no-such-exam/11/arrangement.csv"),
                          (beijing, f"{BASE}/rooms/{seat.room_id}/signin.pdf?session=x"),
                          (beijing, f"{BASE}/rooms/999999/signin.pdf")):
            r = await who.get(path)
            assert r.status_code == 404 and "application/pdf" not in r.headers["content-type"], path
            assert "text/csv" not in r.headers["content-type"]
        # the city's own reviewer may
        async with await reviewer_client(app, "11", "110105") as chaoyang:
            assert (await chaoyang.get(f"{BASE}/rooms/{seat.room_id}/signin.pdf?session={session}")).status_code == 200


async def test_a_room_nobody_sits_in_says_so_and_a_candidate_may_not_download(app, client, demo, settings):
    _, seat, _ = await seated(settings)
    empty = await Room.filter(site_id=seat.room.site_id).exclude(id=seat.room_id).first()
    async with await reviewer_client(app, "11") as office:
        r = await office.get(f"{BASE}/rooms/{empty.id}/signin.pdf?session={seat.session.number}")
        assert r.status_code == 404 and "该考场在该场次没有安排考生" in r.text
        # without ?session= (the board's links): every 场次 of the room in one file
        r = await office.get(f"{BASE}/rooms/{seat.room_id}/signin.pdf")
        assert r.status_code == 200
    assert await ExamSession.filter(exam__code="demo-chuji").count() == 1
    r = await client.get(f"{BASE}/arrangement.csv")  # a visitor: the board's login
    assert r.status_code == 303 and r.headers["location"] == "/review"
