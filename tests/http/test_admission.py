"""系统繁忙 instead of a collapse (issue 12): past its bound of requests in flight a process turns new visitors
away at once with a Chinese 503 page that retries by itself; candidates inside, and what finishes a
registration, are refused last; static files, /healthz and the gateway's notification never."""
import asyncio
import dataclasses

import httpx
import pytest

from tests.factories import candidate, csrf_of
from web.admission import DECREASE, INTERVAL, JOURNEY, MIN_RATE, NEW, RATE_STEP, START_RATE, Admission


@pytest.fixture
async def app(clean_db, settings):
    from app import create_app

    app = create_app(dataclasses.replace(settings, admission_bound=4, admission_retry_seconds=7), manage_db=False)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


def load(app, n: int):
    """As if `n` requests were being handled by this process."""
    app.state.admission.in_flight = n


async def test_past_the_bound_a_new_visitor_gets_the_busy_page_that_says_when_to_retry(app, client):
    load(app, 4)
    r = await client.get("/register")
    assert r.status_code == 503 and r.headers["retry-after"] == "7"
    assert "系统繁忙" in r.text and "请在 7 秒后点击“立即重试”" in r.text and 'id="busy-retry"' in r.text
    # No meta refresh (a reload the reader cannot stop, WCAG 2.2.1): the page's script counts down from here.
    assert "http-equiv" not in r.text and 'data-retry-after="7"' in r.text
    assert app.state.admission.in_flight == 4 and app.state.admission.refused["new"] == 1  # refused: not counted
    assert "set-cookie" not in r.headers  # still outside: the retry is a new visitor's again
    assert "set-cookie" not in (await client.get("/static/css/app.css")).headers  # nor do the page's styles let in
    load(app, 3)
    r = await client.get("/register")
    assert r.status_code == 200 and "set-cookie" in r.headers
    assert app.state.admission.in_flight == 3  # counted while handled, then out again
    # Admitted once (注册 under way, not logged in yet): inside, like a candidate, up to 2 × the bound.
    load(app, 4)
    assert (await client.get("/captcha.png")).status_code == 200
    load(app, 8)
    assert (await client.get("/captcha.png")).status_code == 503


async def test_a_refused_form_is_neither_read_nor_repeated_by_a_reload(app, client):
    token_ = await csrf_of(client, "/login")  # admitted once: the visitor is inside (up to 2 × the bound)
    load(app, 8)
    r = await client.post("/login", data={"csrf_token": token_, "login": "13800138000", "password": "x"})
    assert r.status_code == 503 and "尚未处理，也未保存" in r.text and "http-equiv" not in r.text


async def test_htmx_keeps_the_page_and_is_told_when_to_send_again(app, client):
    load(app, 4)
    r = await client.get("/register", headers={"HX-Request": "true"})
    assert r.status_code == 503 and r.headers["hx-reswap"] == "none"
    assert r.headers["hx-trigger"] == '{"kjks:busy": {"seconds": 7}}' and "7 秒后自动重试" in r.text


async def test_candidates_inside_and_finishing_work_are_refused_last(app, client):
    await candidate(client)  # logged in: the journey began with 注册
    load(app, 4)
    assert (await client.get("/")).status_code == 200  # in a journey: admitted up to 2 × the bound
    load(app, 8)
    assert (await client.get("/")).status_code == 503
    # 报名表打印 finishes a registration: admitted up to 4 × (this application is not the candidate's: 404)
    assert (await client.get("/apply/999/form.pdf")).status_code == 404
    assert (await client.get("/apply/999/ticket.pdf")).status_code == 404  # 准考证打印 too (its opening day's rush)
    load(app, 16)
    assert (await client.get("/apply/999/form.pdf")).status_code == 503
    assert (await client.get("/apply/999/ticket.pdf")).status_code == 503
    for path in ("/healthz", "/static/css/app.css"):
        assert (await client.get(path)).status_code == 200
    r = await client.post("/pay/notify", data={"out_trade_no": "x"})
    assert r.status_code == 200 and r.text == "fail"  # read (and refused for its signature), never 503


async def test_requests_at_once_beyond_the_bound_are_refused_and_the_count_comes_back(app, client):
    answers = await asyncio.gather(*(client.get("/captcha.png") for _ in range(30)))  # drawn in a thread
    statuses = [r.status_code for r in answers]
    assert statuses.count(200) >= 4 and 503 in statuses and set(statuses) <= {200, 503}
    assert all("系统繁忙" in r.text for r in answers if r.status_code == 503)
    assert app.state.admission.in_flight == 0


async def test_new_visitors_beyond_the_rate_learnt_wait_while_candidates_inside_go_on(app, client):
    admission = app.state.admission
    await candidate(client)  # logged in: a candidate inside
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as visitor:
        admission.rate, admission.tokens = 2.0, 0.0  # a rate learnt, and this moment's new visitors all let in
        r = await visitor.get("/register")
        assert r.status_code == 503 and "系统繁忙" in r.text and admission.refused["new"] == 1
        assert (await client.get("/")).status_code == 200  # the journeys inside go on
        admission.tokens = 1.0
        assert (await visitor.get("/register")).status_code == 200 and admission.tokens < 1
        admission.lag = admission.lag_limit * 5  # late, but candidates inside are refused only at 8 × the limit
        assert (await client.get("/")).status_code == 200
        admission.lag = admission.lag_limit * 100  # (the monitor lowers it a tenth every 10 ms)
        assert (await client.get("/")).status_code == 503


def test_the_rate_of_new_visitors_falls_while_the_loop_runs_late_and_climbs_back_after():
    admission = Admission(bound=48, lag_ms=25)
    assert admission.rate == START_RATE  # until a delay teaches a limit, new visitors come in at any rate
    assert all(admission.enter(NEW) for _ in range(40))  # (within the bound of requests in flight)
    for _ in range(40):
        admission.leave()
    admission.lag = admission.lag_limit * 2
    for _ in range(25):  # five seconds late
        admission._learn()
    assert admission.rate == pytest.approx(max(MIN_RATE, START_RATE * DECREASE ** 25))
    admission.tokens = 0.0
    admission.lag = 0.0
    admission._learn()  # on time again: a little more each interval, and what it may admit now
    assert admission.rate == pytest.approx(max(MIN_RATE, START_RATE * DECREASE ** 25) + RATE_STEP)
    assert admission.tokens == pytest.approx(admission.rate * INTERVAL) and not admission.enter(NEW)  # not yet one
    while admission.tokens < 1:
        admission._learn()
    assert admission.tokens < 1 + RATE_STEP  # at most one interval's worth at once
    assert admission.enter(NEW) and not admission.enter(NEW)  # one let in, the next waits for the rate
    assert admission.enter(JOURNEY)  # a candidate inside is not counted against the rate
