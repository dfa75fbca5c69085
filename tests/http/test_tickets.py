"""准考证打印 (GET /apply/{id}/ticket.pdf, /tickets, the buttons), the public /tickets/verify/{code} page, and the
reviewers' copy of a ticket."""
import re
from datetime import timedelta

from models.applications import Application
from models.arrangement import Admission, Seat
from models.exams import ExamProvince
from services.accounts import realname
from services.clock import local, now
from tests.factories import (RARE_NAME, drawn_chars, mainland_id, make_app, paid, register, reviewer_client,
                             submitted, text_of)
from tests.factories import arranged

ID_NUMBER = mainland_id()


async def shift_ticket_window(app, start_days: float, end_days: float, code="11"):
    """Move the province's 准考证打印 window (days from now), as a re-seed would."""
    t = now()
    await ExamProvince.filter(province_code=code, exam__code="demo-chuji").update(
        ticket_start=t + timedelta(days=start_days), ticket_end=t + timedelta(days=end_days))
    app.state.reference.clear()


async def paid_and_seated(client):
    app_id, _ = await paid(client)
    await arranged("demo-chuji", "11")
    return app_id


async def download(client, app_id) -> bytes:
    r = await client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 200, re.sub(r"\s+", " ", r.text)[-1500:]
    assert r.headers["content-type"] == "application/pdf" and r.headers["content-disposition"].startswith("attachment")
    assert r.headers["cache-control"] == "private, no-store"
    return r.content


async def test_a_paid_and_seated_candidate_prints_the_ticket_within_the_window(client, demo, gateway, settings):
    app_id = await paid_and_seated(client)
    data = await download(client, app_id)
    text = text_of(data)
    admission = await Admission.get(application_id=app_id)
    seat = await Seat.get(application_id=app_id).select_related("room", "session")
    for expected in ("2027年度全国会计专业技术初级资格考试准考证", "张三丰", ID_NUMBER, "内地居民身份证",
                     f"准考证号{admission.number}", "初级会计实务、经济法基础", f"第{seat.room.number:03d}考场",
                     f"座位号{seat.seat:02d}", "考试须知"):
        assert expected in text, expected
    app = await Application.get(id=app_id)
    assert f"{settings.base_url}/tickets/verify/{app.form_code}" in text
    # nothing personal in the URLs: the application's id, and the random code of the verification page
    links = re.findall(r'href="([^"]*ticket[^"]*)"', (await client.get("/tickets")).text)
    assert links == [f"/apply/{app_id}/ticket.pdf"]
    assert re.search(r"/tickets/verify/[0-9A-Z]{16}(?![0-9A-Z])", text)


async def test_the_buttons_show_within_the_window_and_say_when_printing_opens_before_it(client, app, demo, gateway):
    app_id = await paid_and_seated(client)
    home, pay = (await client.get("/")).text, (await client.get(f"/apply/{app_id}/pay")).text
    for page in (home, pay):
        assert f'href="/apply/{app_id}/ticket.pdf"' in page and "准考证打印" in page
    assert 'id="ticket-entry"' in home

    await shift_ticket_window(app, 2, 10)
    start = (await ExamProvince.get(province_code="11", exam__code="demo-chuji")).ticket_start
    for page in ((await client.get("/")).text, (await client.get(f"/apply/{app_id}/pay")).text):
        assert f'href="/apply/{app_id}/ticket.pdf"' not in page
        assert f"准考证打印将于 {local(start)} 开始" in page
    r = await client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 409 and "application/pdf" not in r.headers["content-type"]
    assert "准考证打印时间为" in r.text and "届时请登录本平台打印准考证" in r.text


async def test_after_the_window_the_button_is_gone_and_the_ticket_no_longer_prints(client, app, demo, gateway):
    app_id = await paid_and_seated(client)
    await shift_ticket_window(app, -10, -1)
    for page in ((await client.get("/")).text, (await client.get(f"/apply/{app_id}/pay")).text):
        assert f'href="/apply/{app_id}/ticket.pdf"' not in page and "准考证打印将于" not in page
    r = await client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 409 and "准考证打印已于" in r.text and "结束" in r.text


async def test_an_unpaid_candidate_gets_a_clear_message(client, demo, gateway):
    app_id, _ = await submitted(client)
    r = await client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 409 and "只有报名成功（已缴费）的考生才能打印准考证" in r.text and "待审核" in r.text
    assert 'id="ticket-refused"' in r.text and "application/pdf" not in r.headers["content-type"]
    assert f'href="/apply/{app_id}/ticket.pdf"' not in (await client.get("/")).text
    page = (await client.get("/tickets")).text
    assert "只有报名成功（已缴费）的考生才能打印准考证" in page


async def test_a_paid_candidate_not_yet_seated_is_told_so(client, demo, gateway):
    app_id, _ = await paid(client)
    r = await client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 409 and "考场尚未编排，暂不能打印准考证" in r.text
    page = (await client.get("/tickets")).text
    assert "考场尚未编排" in page and f'href="/apply/{app_id}/ticket.pdf"' not in page
    assert not await Admission.filter(application_id=app_id).exists()


async def test_the_tickets_page_lists_the_number_and_the_seats(client, demo, gateway):
    app_id = await paid_and_seated(client)
    admission = await Admission.get(application_id=app_id)
    seat = await Seat.get(application_id=app_id).select_related("room")
    page = (await client.get("/tickets")).text
    assert admission.number in page and f"第{seat.room.number:03d}考场 {seat.seat:02d}号座位" in page
    assert f'href="/apply/{app_id}/ticket.pdf"' in page


async def test_another_candidates_ticket_is_404_and_a_visitor_is_sent_to_login(client, other_client, demo, gateway):
    app_id = await paid_and_seated(client)
    other = await register(other_client, phone="13900139000", id_number=mainland_id("32010219900307121"))
    await realname.mark_verified(other.id, "alipay", now())
    r = await other_client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 404 and "application/pdf" not in r.headers["content-type"] and "张三丰" not in r.text
    assert (await other_client.get("/apply/999999/ticket.pdf")).status_code == 404
    assert "张三丰" not in (await other_client.get("/tickets")).text
    await other_client.post("/logout", data={"csrf_token": ""})
    other_client.cookies.clear()
    r = await other_client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_a_reviewer_in_scope_gets_a_copy_and_one_out_of_scope_gets_404(client, app, demo, gateway):
    app_id = await paid_and_seated(client)
    number = (await Admission.get(application_id=app_id)).number
    async with await reviewer_client(app, "11") as province, await reviewer_client(app, "11", "110105") as city:
        for reviewer in (province, city):
            r = await reviewer.get(f"/review/applications/{app_id}/ticket.pdf")
            assert r.status_code == 200 and number in text_of(r.content)
    async with await reviewer_client(app, "31") as shanghai, await reviewer_client(app, "11", "110102") as xicheng:
        for reviewer in (shanghai, xicheng):
            r = await reviewer.get(f"/review/applications/{app_id}/ticket.pdf")
            assert r.status_code == 404 and "application/pdf" not in r.headers["content-type"]
        # and a reviewer's session is no candidate's: the candidate's URL sends them to the candidates' login
        assert (await shanghai.get(f"/apply/{app_id}/ticket.pdf")).status_code == 303


async def test_the_verification_page_shows_masked_data_and_the_sessions(client, other_client, demo, gateway):
    app_id = await paid_and_seated(client)
    data = await download(client, app_id)
    code = re.search(r"/tickets/verify/([0-9A-Z]{16})", text_of(data)).group(1)
    number = (await Admission.get(application_id=app_id)).number
    r = await other_client.get(f"/tickets/verify/{code}")  # anyone, not logged in
    assert r.status_code == 200 and "该准考证由本平台生成，真实有效" in r.text
    assert "张*丰" in r.text and "张三丰" not in r.text
    assert ID_NUMBER not in r.text and ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:] in r.text
    assert number in r.text and "初级会计实务、经济法基础" in r.text and "2027-05-15 08:30—11:50" in r.text
    assert "13800138000" not in r.text and "noindex" in r.text


async def test_an_unknown_code_gives_a_clear_page_that_tells_nothing_more(client, other_client, demo, gateway):
    app_id, _ = await paid(client)  # paid, with a form code once printed, but not seated
    await client.get(f"/apply/{app_id}/form.pdf")
    code = (await Application.get(id=app_id)).form_code
    for bad in ("ABCD2345EFGH6789", code):
        r = await other_client.get(f"/tickets/verify/{bad}")
        assert r.status_code == 404 and "未能核验该准考证" in r.text and "张" not in r.text
    r = await other_client.get("/tickets/verify/not-a-code")
    assert r.status_code == 404 and "张" not in r.text


async def test_a_rare_name_prints_on_the_ticket_with_a_glyph_for_every_character(app, demo):
    application = await make_app(status="paid", name=RARE_NAME)
    await arranged("demo-chuji", "11")
    async with await reviewer_client(app, "11") as reviewer:
        r = await reviewer.get(f"/review/applications/{application.id}/ticket.pdf")
    assert r.status_code == 200 and RARE_NAME in text_of(r.content)
    drawn = drawn_chars(r.content)
    assert all(ch in drawn for ch in RARE_NAME)


async def test_a_window_not_yet_announced_says_so(client, app, demo, gateway):
    app_id = await paid_and_seated(client)
    await ExamProvince.filter(province_code="11", exam__code="demo-chuji").update(ticket_start=None, ticket_end=None)
    app.state.reference.clear()
    r = await client.get(f"/apply/{app_id}/ticket.pdf")
    assert r.status_code == 409 and "准考证打印时间尚未公布" in r.text
    assert f'href="/apply/{app_id}/ticket.pdf"' not in (await client.get("/")).text
