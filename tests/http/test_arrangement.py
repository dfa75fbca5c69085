"""考场编排 (issue 15): the service, the reviewers' 考场编排 page and statistics, and `python -m cli arrange`."""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from models.applications import Application
from models.arrangement import Admission, Arrangement, Seat
from models.exams import ExamProvince, ExamSession, Room, Site
from services import arrangement
from services.arrangement import reads
from services.clock import now
from tests.factories import csrf_of, make_app, reviewer, reviewer_client

ROOT = Path(__file__).resolve().parents[2]


async def province(exam="demo-chuji", code="11", pay_closed=True) -> ExamProvince:
    """The demo province, its 缴费 closed yesterday (or still open)."""
    ep = await ExamProvince.get(exam__code=exam, province_code=code)
    ep.pay_end = now() + timedelta(days=-1 if pay_closed else 1)
    await ExamProvince.filter(id=ep.id).update(pay_end=ep.pay_end)
    return ep


async def site(name: str, exam="demo-chuji") -> Site:
    return await Site.get(name=name, city__exam_province__exam__code=exam)


async def paid(n: int, city="110105", exam="demo-chuji", subjects=None, at: Site | None = None) -> list[Application]:
    """`n` paid applications of the city (at its first site, or `at`)."""
    apps = [await make_app(name=f"考生{i}", city=city, exam=exam, status="paid", paid_at=now()) for i in range(n)]
    ids = [a.id for a in apps]
    if subjects:
        await Application.filter(id__in=ids).update(subjects=subjects)
    if at:
        await Application.filter(id__in=ids).update(site_id=at.id)
    return [await Application.get(id=i) for i in ids]


async def seats_by_app() -> dict[int, set[tuple[int, int, int]]]:
    out: dict[int, set] = {}
    for s in await Seat.all():
        out.setdefault(s.application_id, set()).add((s.session_id, s.room_id, s.seat))
    return out


# ---------------------------------------------------------------------------------------------- the service


async def test_every_paid_candidate_gets_one_admission_number_and_a_seat_at_their_own_site(demo):
    ep = await province()
    seated = await paid(5)
    (other,) = await paid(1, at=await site("朝阳区财政局会计考试报名点"))  # the others: make_app's site
    unpaid = await make_app(name="未缴费", status="approved")
    (withdrawn,) = await paid(1)
    await Application.filter(id=withdrawn.id).update(status="withdrawn", active_key=None)
    out = await arrangement.arrange(ep, "beijing", now())
    assert out.ok, out.message
    assert await Admission.all().count() == 6 and await Seat.all().count() == 6
    assert not await Admission.filter(application_id__in=[unpaid.id, withdrawn.id]).exists()
    session = await ExamSession.get(exam__code="demo-chuji")
    for app in [*seated, other]:
        seat = await Seat.get(application_id=app.id).select_related("room")
        assert seat.session_id == session.id and seat.room.site_id == app.site_id and 1 <= seat.seat <= seat.room.seats
        number = (await Admission.get(application_id=app.id)).number
        # 2027 初级(1) 北京(11) 朝阳区(0105) site 1 or 2, 场次 01, room, seat
        site_pos = {(await site("朝阳区财政局会计考试报名点")).id: 1, (await site("朝阳区望京会计考试报名点")).id: 2}[app.site_id]
        assert number == f"20271110105{site_pos:02d}01{seat.room.number:03d}{seat.seat:02d}"
    run = await Arrangement.get()
    assert (run.admitted, run.seated, run.actor, run.forced) == (6, 6, "beijing", False)


async def test_seat_order_is_shuffled_and_reproduced_by_the_recorded_seed(demo):
    ep = await province()
    apps = await paid(40)
    assert (await arrangement.arrange(ep, "beijing", now())).ok
    first = await seats_by_app()
    order = [next(iter(first[a.id]))[1:] for a in apps]  # (room, seat) by registration order
    assert order != sorted(order)  # neither by registration time nor (names are numbered) alphabetical
    seed = (await Arrangement.get()).seed
    await Seat.all().delete()
    await Admission.all().delete()
    await Arrangement.all().delete()
    assert (await arrangement.arrange(ep, "beijing", now(), seed=seed)).ok
    assert await seats_by_app() == first


async def test_running_again_changes_no_seat_and_seats_a_late_payment_into_a_freed_gap(demo):
    ep = await province()
    apps = await paid(10)
    assert (await arrangement.arrange(ep, "beijing", now())).ok
    before = await seats_by_app()
    numbers = dict(await Admission.all().values_list("application_id", "number"))
    again = await arrangement.arrange(ep, "beijing", now())
    assert again.ok and "无需编排" in again.message and await Arrangement.all().count() == 1
    # one place freed (the application no longer paid), one late payment
    gone = min(apps, key=lambda a: next(iter(before[a.id]))[1:])  # the one at the lowest seat: a gap
    await Application.filter(id=gone.id).update(status="withdrawn", active_key=None)
    (late,) = await paid(1)
    out = await arrangement.arrange(ep, "beijing", now())
    assert out.ok and "释放 1 个座位" in out.message
    after = await seats_by_app()
    assert gone.id not in after and not await Admission.filter(application_id=gone.id).exists()
    assert after[late.id] == before[gone.id]  # the gap, not the next unused seat
    for a in apps:
        if a.id != gone.id:
            assert after[a.id] == before[a.id]
    assert {a: n for a, n in (await Admission.all().values_list("application_id", "number")) if a != late.id} == {
        a: n for a, n in numbers.items() if a != gone.id}
    assert await Arrangement.all().count() == 2


async def test_before_payment_closes_it_is_refused_unless_forced(demo):
    ep = await province(pay_closed=False)
    await paid(2)
    out = await arrangement.arrange(ep, "beijing", now())
    assert not out.ok and out.reason == "pay_open" and "缴费尚未结束" in out.message
    assert await Seat.all().count() == 0 and await Arrangement.all().count() == 0
    out = await arrangement.arrange(ep, "beijing", now(), force=True)
    assert out.ok and (await Arrangement.get()).forced and await Seat.all().count() == 2


async def test_a_shortage_is_named_by_site_session_and_count_and_blocks_the_arrangement(demo):
    ep = await province()
    await paid(31, city="110101")  # 东城区财政局会计考试报名点: 1 room of 30 seats
    await paid(3)  # 朝阳: enough seats, yet nothing is seated while another site is short
    p = await arrangement.preview(ep)
    assert p.shortages == ["东城区 东城区财政局会计考试报名点 第1场 2027-05-15 08:30-11:50（初级会计实务、经济法基础）："
                           "缺 1 个座位（需 31，有 30）"]
    out = await arrangement.arrange(ep, "beijing", now())
    assert not out.ok and out.reason == "shortage" and "缺 1 个座位" in out.message
    assert await Seat.all().count() == 0 and await Admission.all().count() == 0


async def test_an_exam_without_sessions_is_refused(demo):
    ep = await province()
    await paid(1)
    await ExamSession.filter(exam_id=ep.exam_id).delete()
    out = await arrangement.arrange(ep, "beijing", now())
    assert not out.ok and "考试场次" in out.message and await Seat.all().count() == 0


async def test_zhongji_candidates_sit_each_subject_once_in_one_batch(demo):
    ep = await province("demo-zhongji")
    two = await paid(6, exam="demo-zhongji", subjects=["中级会计实务", "经济法"])
    one = await paid(6, exam="demo-zhongji", subjects=["财务管理"])
    assert (await arrangement.arrange(ep, "beijing", now())).ok
    sessions = {s.id: s for s in await ExamSession.filter(exam_id=ep.exam_id)}
    batches = set()
    for app in two + one:
        mine = [sessions[s.session_id] for s in await Seat.filter(application_id=app.id)]
        assert sorted(x for s in mine for x in s.subjects) == sorted((await Application.get(id=app.id)).subjects)
        assert len({s.batch for s in mine}) == 1
        batches |= {s.batch for s in mine}
    assert batches == {1, 2}  # the batches share the candidates
    ticket = await reads.ticket_of(two[0].id)
    assert [line.subjects for line in ticket.seats] == [["中级会计实务"], ["经济法"]]


async def test_two_offices_pressing_at_once_give_one_arrangement(demo):
    ep = await province()
    apps = await paid(30)
    outs = await asyncio.gather(*(arrangement.arrange(ep, f"office{i}", now()) for i in range(3)))
    assert all(o.ok for o in outs), [o.message for o in outs]
    assert await Arrangement.all().count() == 1
    assert await Seat.all().count() == 30 and await Admission.all().count() == 30
    assert sorted(await Seat.all().values_list("application_id", flat=True)) == sorted(a.id for a in apps)


# ---------------------------------------------------------------------------------------------- reads


async def test_the_ticket_and_the_room_sheet_say_where_each_candidate_sits(demo):
    ep = await province()
    xicheng = await site("西城区财政局会计考试报名点")  # its own 考点 and rooms 101, 102
    (app,) = await paid(1, city="110102", at=xicheng)
    assert await reads.ticket_of(app.id) is None  # not arranged yet
    assert (await arrangement.arrange(ep, "beijing", now())).ok
    ticket = await reads.ticket_of(app.id)
    (line,) = ticket.seats
    assert (line.venue, line.venue_address) == ("北京市第一考点（北京财贸职业学院）", "北京市通州区通朝大街100号")
    assert (line.room_number, line.seat) in {(101, n) for n in range(1, 41)}
    assert (line.date_text, line.time_text, line.subjects) == ("2027年05月15日", "08:30-11:50", ["初级会计实务"])
    (sheet,) = await reads.room_sheets(line.room_id)
    (c,) = sheet.candidates
    account = await (await Application.get(id=app.id)).account
    assert (c.seat, c.admission_number, c.name) == (line.seat, ticket.number, "考生0")
    assert c.masked_id == account.id_number[:3] + "*" * 11 + account.id_number[-4:]
    assert sheet.first_number == sheet.last_number == ticket.number
    rows = await reads.arrangement_rows(ep.id)
    assert [(r.admission_number, r.id_number, r.room_number, r.seat) for r in rows] == [
        (ticket.number, account.id_number, 101, line.seat)]
    rooms = await reads.rooms_of(ep.id, city_code="110102")
    assert [(r.number, r.seated) for r in rooms if r.site_id == xicheng.id] == [(101, 1), (102, 0)]


# ---------------------------------------------------------------------------------------------- python -m cli arrange


def cli(settings, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-m", "cli", "arrange", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


async def test_cli_previews_refuses_before_payment_closes_and_arranges_when_forced(demo, settings):
    await province(pay_closed=False)
    await paid(31, city="110101")  # 东城: 30 seats
    run = await asyncio.to_thread(cli, settings, "demo-chuji", "11", "--preview")
    assert run.returncode == 2 and "缺 1 个座位（需 31，有 30）" in run.stderr and "东城区财政局会计考试报名点" in run.stdout
    await Application.filter(id=(await Application.filter(status="paid").first()).id).update(status="withdrawn",
                                                                                             active_key=None)
    run = await asyncio.to_thread(cli, settings, "demo-chuji", "11")
    assert run.returncode == 2 and "缴费尚未结束" in run.stderr and "--force" in run.stderr
    assert await Seat.all().count() == 0
    run = await asyncio.to_thread(cli, settings, "demo-chuji", "11", "--force")
    assert run.returncode == 0 and "编排完成：新编排 30 名考生" in run.stdout, run.stderr
    assert await Admission.all().count() == 30 and (await Arrangement.get()).actor == "命令行"
    run = await asyncio.to_thread(cli, settings, "demo-chuji", "99")
    assert run.returncode == 2 and "没有考试" in run.stderr


# ---------------------------------------------------------------------------------------------- the board

PAGE = "/review/arrangement/demo-chuji/11"


@contextlib.asynccontextmanager
async def board(app, city=None):
    """A reviewer's browser on the board (of 北京, or of one city) and its CSRF token."""
    async with await reviewer_client(app, "11", city) as client:
        yield client, await csrf_of(client, PAGE)


async def test_a_province_reviewer_previews_and_arranges_the_province_on_the_board(app, demo):
    await province()
    apps = await paid(3)
    async with board(app) as (client, token):
        r = await client.get("/review/arrangement")
        assert r.status_code == 303 and r.headers["location"] == PAGE
        r = await client.get(PAGE)
        assert r.status_code == 200 and "已缴费考生 3 名，已编排 0 名，本次待编排 3 名" in r.text
        row = re.search(r'<tr>\s*<td data-label="地市">朝阳区</td>.*?</tr>', r.text, re.S).group(0)
        assert re.findall(r'data-label="待编排">(\d+)<', row) == ["3"] and 'id="arrange"' in r.text
        assert 'id="confirm_early"' not in r.text  # 缴费 closed: nothing to confirm
        r = await client.post(PAGE + "/arrange", data={})
        assert r.status_code == 403 and await Seat.all().count() == 0  # no CSRF token
        r = await client.post(PAGE + "/arrange", data={"csrf_token": token})
        run = await Arrangement.get()
        assert r.status_code == 303 and r.headers["location"] == f"{PAGE}?done={run.id}"
        r = await client.get(r.headers["location"])
        assert "编排完成" in r.text and "新编排 3 个准考证号、3 个座位" in r.text and run.actor == "r11"
        assert "已缴费考生 3 名，已编排 3 名。" in r.text and 'id="all-seated"' in r.text and 'id="arrange"' not in r.text
        assert "/rooms/" in r.text and "signin.pdf" in r.text and "arrangement.csv" in r.text
        ticket = await reads.ticket_of(apps[0].id)
        r = await client.get(f"/review/applications/{apps[0].id}")
        assert ticket.number in r.text and f"{ticket.seats[0].seat} 号" in r.text and "2027年05月15日" in r.text
        r = await client.post(PAGE + "/arrange", data={"csrf_token": token})  # a page left open: pressed again
        r = await client.get(r.headers["location"])
        assert "无需编排" in r.text and await Arrangement.all().count() == 1


async def test_before_payment_closes_the_board_says_why_and_asks_for_a_confirmation(app, demo):
    await province(pay_closed=False)
    await paid(2)
    async with board(app) as (client, token):
        r = await client.get(PAGE)
        assert "缴费尚未结束" in r.text and 'id="confirm_early"' in r.text
        r = await client.post(PAGE + "/arrange", data={"csrf_token": token})
        assert r.status_code == 409 and "缴费尚未结束（缴费截止" in r.text and 'aria-invalid="true"' in r.text
        assert await Seat.all().count() == 0
        r = await client.post(PAGE + "/arrange", data={"csrf_token": token, "confirm_early": "1"})
        assert r.status_code == 303 and await Seat.all().count() == 2 and (await Arrangement.get()).forced
        r = await client.get(r.headers["location"])
        assert "缴费结束前提前编排" in r.text


async def test_a_shortage_on_the_board_is_named_and_offers_no_button(app, demo):
    await province()
    await paid(31, city="110101")
    async with board(app) as (client, token):
        r = await client.get(PAGE)
        assert "东城区财政局会计考试报名点" in r.text and "缺 1 个座位（需 31，有 30）" in r.text
        assert 'id="arrange"' not in r.text
        r = await client.post(PAGE + "/arrange", data={"csrf_token": token})
        assert r.status_code == 409 and "座位不足" in r.text and await Seat.all().count() == 0


async def test_a_city_reviewer_may_not_arrange_and_another_province_is_not_found(app, demo):
    await province()
    await paid(2)
    async with board(app, city="110105") as (client, token):
        r = await client.get(PAGE)
        assert r.status_code == 200 and "市级审核人员不能编排" in r.text and 'id="arrange"' not in r.text
        assert "东城区" not in r.text  # its own city's rooms only
        r = await client.post(PAGE + "/arrange", data={"csrf_token": token})
        assert r.status_code == 403 and await Seat.all().count() == 0
        assert (await client.get("/review/arrangement/demo-chuji/31")).status_code == 404
        assert (await client.get("/review/arrangement/no-such-exam/11")).status_code == 404


async def test_statistics_show_seated_and_unseated_per_site(app, demo):
    ep = await province()
    await paid(2)
    assert (await arrangement.arrange(ep, "beijing", now())).ok
    (late,) = await paid(1)
    async with board(app) as (client, _):
        r = await client.get(f"/review/stats?exam={ep.id}")
        site_name = (await Site.get(id=late.site_id)).name
        row = re.search(rf'<tr><th scope="row">{site_name}</th>.*?</tr>', r.text, re.S).group(0)
        counts = re.findall(r'data-label="(?:已缴费|已编排|未编排)">(?:<strong class="field-error">)?(\d+)', row)
        assert counts == ["3", "2", "1"]


async def test_two_offices_pressing_on_the_board_at_once_give_one_arrangement(app, client, demo):
    await province()
    await paid(20)
    await reviewer(client, "beijing2")  # another office of the province, logged in as usual
    token2 = await csrf_of(client, PAGE)
    async with board(app) as (first, token1):
        r1, r2 = await asyncio.gather(first.post(PAGE + "/arrange", data={"csrf_token": token1}),
                                      client.post(PAGE + "/arrange", data={"csrf_token": token2}))
    assert {r1.status_code, r2.status_code} == {303}
    done = sorted(r.headers["location"].split("?done=")[1] for r in (r1, r2))
    assert done[0] == str((await Arrangement.get()).id) and done[1] == "none"  # one arranged, the other found it done
    assert await Seat.all().count() == 20 and await Admission.all().count() == 20


async def test_two_processes_arranging_at_once_give_one_arrangement(demo, settings):
    """Two offices' commands at the same moment, each in a process of its own (on SQLite, two connections to the
    file; on PostgreSQL, two sessions): one seats everybody, the other waits and finds nothing to do."""
    await province()
    apps = await paid(60)
    runs = await asyncio.gather(*(asyncio.to_thread(cli, settings, "demo-chuji", "11") for _ in range(2)))
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    said = sorted(r.stdout.strip().splitlines()[-1][:4] for r in runs)
    assert said == ["无需编排", "编排完成"]
    assert await Arrangement.all().count() == 1 and await Admission.all().count() == 60
    assert sorted(await Seat.all().values_list("application_id", flat=True)) == sorted(a.id for a in apps)
