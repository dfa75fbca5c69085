"""Prometheus metrics for the operators (issue 13): the requests (by route, method and status; their latency; how
many are in flight), the 系统繁忙 refusals by admission tier and the database pool's connections, with the
journeys and the periodic jobs that services/metrics.py counts. `/metrics` answers them in the exposition format,
only to the addresses of METRICS_ALLOW; anyone else gets a 404, as if there were nothing there.

Several workers (server.serve) share one directory, PROMETHEUS_MULTIPROC_DIR, which prometheus_client must see
before it is imported: each process writes its values to files of its own there, and whichever worker answers
/metrics adds them all up. Without it (one worker, the tests) the values live in the process.
"""
from __future__ import annotations

import ipaddress
import time

import asyncpg
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess, values)
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from tortoise import connections
from tortoise.exceptions import ConfigurationError

# What prometheus_client chose when it was first imported (the cli imports it before serve() sets the directory).
MULTIPROCESS = values.ValueClass is not values.MutexValue
OTHER = "other"
# A client may send any method: the label keeps to these, so that nobody can add series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
GONE = "499"  # the status of a request nothing answered (the client went away first), as nginx logs it
POOL_EVERY = 1.0  # seconds between readings of the database pool, at the end of a request

REQUESTS = Counter("kjks_requests_total", "Requests answered, by route template, method and status",
                   ["route", "method", "status"])
# Around the 250 ms target: its neighbours are the finest buckets.
LATENCY = Histogram("kjks_request_seconds", "Time from a request's arrival to the end of its answer, by route",
                    ["route"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
IN_FLIGHT = Gauge("kjks_requests_in_flight", "Requests being handled or waiting, in the live processes",
                  multiprocess_mode="livesum")
REFUSALS = Counter("kjks_admission_refusals_total", "系统繁忙: requests turned away by admission control, by tier",
                   ["tier"])
POOL = Gauge("kjks_db_pool_connections", "The PostgreSQL pools' connections (in_use, idle, max), live processes",
             ["state"], multiprocess_mode="livesum")


def refused(tier: str) -> None:
    """A request turned away with 系统繁忙 (web.admission's tier: finishing, journey, new)."""
    REFUSALS.labels(tier).inc()


def route_of(scope) -> str:
    """The template of the route that answered (`/apply/{app_id}/info`), never the path itself: one series per
    route. Starlette's router leaves the route it chose in the scope; one inside a Mount is found under the
    mount's path (the part of the scope's root_path the mounts added: no mount here has parameters), a mounted
    app (the static files) is its mount. A request answered before routing (a refusal) or that matched no route
    is `other`."""
    route = scope.get("route")
    if route is None:
        return OTHER
    mounted = scope.get("root_path", "")[len(scope.get("app_root_path", scope.get("root_path", ""))):]
    return mounted if isinstance(route, Mount) else mounted + route.path_format


def read_pool() -> None:
    """The database pool's connections, into the gauge (PostgreSQL: Tortoise's asyncpg client keeps its pool in
    `_pool`); nothing on SQLite, which has no pool."""
    try:
        pool = getattr(connections.get("default"), "_pool", None)
    except (RuntimeError, ConfigurationError):  # Tortoise not started: no database here
        return
    if isinstance(pool, asyncpg.Pool):
        size, idle = pool.get_size(), pool.get_idle_size()
        POOL.labels("in_use").set(size - idle)
        POOL.labels("idle").set(idle)
        POOL.labels("max").set(pool.get_max_size())


class MetricsMiddleware:
    """Pure ASGI: every HTTP request's route, method, status and latency, and the requests in flight. Outermost
    in the app's middleware, so that the requests the others refuse are counted too. An exception that escapes
    the app is the 500 that Starlette's error handler, outside of this, answers."""

    def __init__(self, app):
        self.app = app
        self.pool_read = 0.0
        # (route, method, status) → its counter and its route's histogram: prometheus_client's labels() costs more
        # than the rest of the bookkeeping together (bench/metrics_overhead.py).
        self.series: dict[tuple[str, str, str], tuple] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        method = scope["method"] if scope["method"] in METHODS else OTHER
        status = GONE

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
            await send(message)

        IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_status)
        except Exception:
            if status == GONE:
                status = "500"
            raise
        finally:
            IN_FLIGHT.dec()
            key = (route_of(scope), method, status)
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = (REQUESTS.labels(*key), LATENCY.labels(key[0]))
            series[0].inc()
            series[1].observe(time.perf_counter() - started)
            if started - self.pool_read > POOL_EVERY:
                self.pool_read = started
                read_pool()


def _allowed(client, allow: frozenset) -> bool:
    try:
        address = ipaddress.ip_address(client.host)
    except (AttributeError, ValueError):  # no client address (a Unix socket), or not an address
        return False
    address = getattr(address, "ipv4_mapped", None) or address  # an IPv4 client of a dual-stack socket
    return any(address in network for network in allow)


def make_endpoint(allow: frozenset):
    """GET /metrics for the addresses in `allow` (ip_network objects: settings.metrics_allow)."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # every process's files, read at each scrape
    else:
        registry = REGISTRY

    async def endpoint(request):
        if not _allowed(request.client, allow):
            return PlainTextResponse("Not Found", status_code=404)
        read_pool()
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST,
                        headers={"cache-control": "no-store"})

    return endpoint
