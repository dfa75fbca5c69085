"""The operators' Prometheus metrics (web/metrics.py, services/metrics.py): requests labelled by route template,
/metrics only for the allowed addresses, several processes added up, journeys counted once, every job run
counted, and server.serve's directory for several workers."""
from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY, multiprocess
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from services import metrics as journeys
from models.payments import Order
from services.accounts import housekeeping
from services.documents import sweep
from services.payment import closing
from tests.factories import approved, make_order, notify, post, signed, submitted
from web import metrics

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres")
LOOPBACK = frozenset({ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")})


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests(route: str, method: str = "GET", status: str = "200") -> float:
    return value("kjks_requests_total", route=route, method=method, status=status)


async def in_flight_now(request):
    return PlainTextResponse(str(value("kjks_requests_in_flight")))


async def fails(request):
    raise RuntimeError("a bug")


def small_app() -> Starlette:
    return Starlette(routes=[
        Route("/apply/{app_id:int}/info", in_flight_now),
        Route("/fails", fails),
        Mount("/login/wechat", routes=[Route("/poll/{state}", in_flight_now)]),
        Mount("/static", PlainTextResponse("a file")),
        Route("/metrics", metrics.make_endpoint(LOOPBACK)),
    ], middleware=[Middleware(metrics.MetricsMiddleware)])


def client_of(app, address: str = "127.0.0.1") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 1)),
                             base_url="http://testserver")


async def test_requests_are_counted_by_route_template_never_by_path():
    before = {r: requests(r) for r in ("/apply/{app_id}/info", "/login/wechat/poll/{state}", "/static")}
    not_found, broken = requests("other", status="404"), requests("/fails", status="500")
    latency = value("kjks_request_seconds_count", route="/apply/{app_id}/info")
    async with client_of(small_app()) as c:
        for app_id in (7, 8, 9):
            r = await c.get(f"/apply/{app_id}/info")
            assert r.status_code == 200 and r.text == "1.0"  # itself, while it is handled
        assert (await c.get("/login/wechat/poll/abc")).status_code == 200
        assert (await c.get("/static/css/app.css")).status_code == 200
        assert (await c.get("/no/such/page")).status_code == 404
        assert (await c.get("/fails")).status_code == 500
    assert requests("/apply/{app_id}/info") - before["/apply/{app_id}/info"] == 3
    assert requests("/login/wechat/poll/{state}") - before["/login/wechat/poll/{state}"] == 1
    assert requests("/static") - before["/static"] == 1
    assert requests("other", status="404") - not_found == 1
    assert requests("/fails", status="500") - broken == 1
    assert value("kjks_request_seconds_count", route="/apply/{app_id}/info") - latency == 3
    assert value("kjks_requests_in_flight") == 0
    assert not [s for m in REGISTRY.collect() for s in m.samples if "/apply/7" in s.labels.get("route", "")]


async def test_a_method_nobody_uses_is_other_so_clients_cannot_add_series():
    before = requests("/apply/{app_id}/info", method="other", status="405")
    async with client_of(small_app()) as c:
        assert (await c.request("BREW", "/apply/7/info")).status_code == 405
    assert requests("/apply/{app_id}/info", method="other", status="405") - before == 1


@pytest.mark.parametrize("address,status", [("10.0.0.5", 404), ("127.0.0.1", 200), ("::1", 200),
                                            ("::ffff:127.0.0.1", 200), ("testclient", 404)])
async def test_metrics_answer_only_the_allowed_addresses(address, status):
    metrics.refused("new")
    async with client_of(small_app(), address) as c:
        r = await c.get("/metrics")
    assert r.status_code == status
    if status == 404:
        assert r.text == "Not Found" and "kjks" not in r.text
    else:
        assert r.headers["content-type"].startswith("text/plain; version=")
        assert 'kjks_admission_refusals_total{tier="new"}' in r.text and "kjks_request_seconds_bucket" in r.text


# Run in a process of its own with PROMETHEUS_MULTIPROC_DIR: as a worker, it counts a submission and a request;
# then it scrapes /metrics, or leaves a request in flight and dies without a word, as a killed worker does.
WORKER = """
import asyncio, ipaddress, os, sys
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from services import metrics as journeys
from web import metrics

async def ok(request):
    return PlainTextResponse("ok")

async def main(what):
    endpoint = metrics.make_endpoint(frozenset({ipaddress.ip_network("127.0.0.1/32")}))
    app = Starlette(routes=[Route("/apply/{app_id:int}/info", ok), Route("/metrics", endpoint)],
                    middleware=[Middleware(metrics.MetricsMiddleware)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        if what != "scrape-only":
            journeys.submission()
            assert (await c.get("/apply/%d/info" % os.getpid())).status_code == 200
        if what == "die":
            metrics.IN_FLIGHT.inc()
            print(os.getpid(), flush=True)
            os._exit(0)
        print((await c.get("/metrics")).text)

asyncio.run(main(sys.argv[1]))
"""


def worker(directory: Path, what: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run([sys.executable, "-c", WORKER, what], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def samples(exposition: str) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(exposition) for s in family.samples}


def test_several_processes_are_added_up_and_a_dead_one_stops_counting_in_flight(tmp_path):
    assert not metrics.MULTIPROCESS  # this process: the default registry
    dead = int(worker(tmp_path, "die"))
    seen = samples(worker(tmp_path, "scrape"))
    route = (("method", "GET"), ("route", "/apply/{app_id}/info"), ("status", "200"))
    assert seen[("kjks_submissions_total", ())] == 2
    assert seen[("kjks_requests_total", route)] == 2
    # The scrape itself, and the dead worker's request until the supervisor says it died.
    assert seen[("kjks_requests_in_flight", ())] == 2
    multiprocess.mark_process_dead(dead, str(tmp_path))
    seen = samples(worker(tmp_path, "scrape-only"))
    assert seen[("kjks_requests_in_flight", ())] == 1
    assert seen[("kjks_submissions_total", ())] == 2 and seen[("kjks_requests_total", route)] == 2


async def test_a_submission_is_counted_once_however_often_it_is_sent(client, demo):
    before = value("kjks_submissions_total")
    app_id, _ = await submitted(client)
    assert value("kjks_submissions_total") - before == 1
    assert (await post(client, f"/apply/{app_id}/confirm")).status_code == 303  # a double click: nothing moves
    assert value("kjks_submissions_total") - before == 1


async def test_a_payment_is_counted_once_however_often_the_gateway_notifies(client, demo, settings):
    app_id = await approved(client)
    await make_order(client, app_id)
    fields = signed(settings, await Order.get(application_id=app_id))
    before = value("kjks_payments_total")
    assert (await notify(client, fields)).text == "success"
    assert value("kjks_payments_total") - before == 1
    assert (await notify(client, fields)).text == "success"  # the gateway repeats itself
    assert value("kjks_payments_total") - before == 1


@pytest.mark.parametrize("job,module,step,run", [
    ("close_expired", closing, "close_expired", lambda: closing.close_expired_forever(None)),
    ("housekeeping", housekeeping, "purge_expired",
     lambda: housekeeping.purge_forever(0, idle_seconds=1, max_seconds=1)),
    ("sweep", sweep, "sweep", lambda: sweep.sweep_forever("/nonexistent", 0)),
])
async def test_every_run_of_a_periodic_job_is_counted_ok_or_failed(monkeypatch, job, module, step, run):
    outcomes = iter([True, False, True])

    async def one_run(*args, **kwargs):
        if not next(outcomes, True):
            raise RuntimeError("database hiccup")
        return {"temp": 0, "unreferenced": 0} if module is sweep else {} if module is housekeeping else 0

    monkeypatch.setattr(module, step, one_run)
    monkeypatch.setattr(closing, "CLOSE_EVERY", 0)
    ok, failed = value("kjks_job_runs_total", job=job, outcome="ok"), value("kjks_job_runs_total", job=job,
                                                                             outcome="failed")
    task = asyncio.create_task(run())
    for _ in range(200):
        await asyncio.sleep(0.005)
        if value("kjks_job_runs_total", job=job, outcome="ok") - ok >= 2:
            break
    task.cancel()
    assert value("kjks_job_runs_total", job=job, outcome="failed") - failed == 1
    assert value("kjks_job_runs_total", job=job, outcome="ok") - ok >= 2  # and the loop went on after the failure


@pytest.mark.skipif(POSTGRES, reason="SQLite has no pool")
async def test_there_is_no_pool_gauge_on_sqlite(clean_db):
    metrics.read_pool()
    assert not [s for m in REGISTRY.collect() if m.name == "kjks_db_pool_connections" for s in m.samples]


@pytest.mark.skipif(not POSTGRES, reason="the pool is PostgreSQL's")
async def test_the_pool_gauge_reads_the_asyncpg_pool(clean_db):
    from tortoise import connections

    async with connections.get("default").acquire_connection():  # one connection held while reading
        metrics.read_pool()
        assert value("kjks_db_pool_connections", state="in_use") >= 1
    metrics.read_pool()
    pool = connections.get("default")._pool
    assert value("kjks_db_pool_connections", state="max") == pool.get_max_size()
    assert value("kjks_db_pool_connections", state="idle") == pool.get_idle_size() >= 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("waited in vain")


def test_serve_with_several_workers_shares_a_fresh_directory_and_removes_it(tmp_path):
    """The real server.serve with two workers: the directory is made before the workers start (both write to it),
    /metrics adds up both, a killed worker's live gauge leaves with it and its counters stay, the directory goes at
    exit. Each worker's close job fails once at start on this empty database (then every 30 s): what both counted."""
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}, "TMPDIR": str(tmp_path),
           "APP_ENV": "test", "DATABASE_URL": f"sqlite://{tmp_path}/db.sqlite3", "UPLOAD_DIR": str(tmp_path / "up")}
    log = (tmp_path / "serve.log").open("w")
    serving = subprocess.Popen([sys.executable, "-c", f"import server; server.serve('127.0.0.1', {port}, 2)"],
                               cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        directory = wait_for(lambda: next(tmp_path.glob("kjks-metrics-*"), None))

        def live_pids() -> set[int]:
            return {int(p.stem.rsplit("_", 1)[1]) for p in directory.glob("gauge_livesum_*.db")}

        pids = wait_for(lambda: len(live_pids()) == 2 and live_pids())
        url = f"http://127.0.0.1:{port}"
        failed = (("job", "close_expired"), ("outcome", "failed"))

        def scraped():
            return samples(httpx.get(url + "/metrics").text)

        wait_for(lambda: scraped().get(("kjks_job_runs_total", failed)) == 2)
        for _ in range(20):  # each on a connection of its own: the workers take turns as the kernel hands them out
            assert httpx.get(url + "/static/css/app.css").status_code == 200
        route = (("method", "GET"), ("route", "/static"), ("status", "200"))
        assert scraped()[("kjks_requests_total", route)] == 20

        killed = min(pids)
        os.kill(killed, signal.SIGKILL)
        wait_for(lambda: killed not in live_pids() and len(live_pids()) == 2)  # replaced, and marked dead
        wait_for(lambda: scraped().get(("kjks_job_runs_total", failed)) == 3)  # the new worker's run, and the dead's
        assert scraped()[("kjks_requests_total", route)] == 20
    finally:
        serving.send_signal(signal.SIGTERM)
        serving.wait(30)
        log.close()
    assert not list(tmp_path.glob("kjks-metrics-*"))
