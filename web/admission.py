"""Admission control: when a process has more requests in flight than it can answer within the latency target,
a new visitor is turned away at once with 系统繁忙 (503, Retry-After), instead of every request queueing until
the clients give up.

Two signals, per process. How late the event loop runs its work (`lag`, smoothed; a timer's lateness): that
is the queue every request waits in, whatever fills it. And the requests it is handling, against a bound per
tier: `ADMISSION_BOUND` (settings) for the lowest, multiples of it above. A new visitor is turned away when the
lag passes `ADMISSION_LAG_MS` or beyond the rate of new visitors the process has learnt it can take in
(`START_RATE`), a candidate inside at eight times that lag; nobody is turned away for lag while finishing a
registration:

| tier | requests | admitted while fewer than |
|---|---|---|
| never refused | static files, /healthz, /readyz, /metrics, the gateway's payment notification, the sandboxes' pages (/dev: they stand for the outside parties' own servers) | (always) |
| finishing work | 提交, 生成订单, 支付, the payment's return page, 报名表打印, 准考证打印 | 4 × bound |
| in a journey | a visitor admitted before (who brings the session cookie the platform set: 注册 is under way), a logged-in candidate or reviewer | 2 × bound |
| a new visitor | everyone else (no cookie of ours: the first request of a visit) | bound |

So under a surge the new visitors wait outside as soon as the queue grows, the candidates already inside keep
moving (a journey admitted is one the platform means to finish), and what completes a registration (the
submission, the order, the payment, the form; on the day printing opens, the 准考证) comes last to be refused. Counting requests alone let too many
new visitors in during a surge: each became a candidate inside, with priority, and the queue stayed long for
tens of seconds after the surge had passed. The refusal is
decided before the request's body is read, in microseconds.

Requests in flight measure the queue only when their bodies arrive quickly: behind nginx (which buffers request
bodies before passing them on, deploy/), a slow phone's upload does not count while it is still being sent.
"""
from __future__ import annotations

import asyncio
import math
import re

NEVER, FINISHING, JOURNEY, NEW = "never", "finishing", "journey", "new"
MULTIPLE = {FINISHING: 4, JOURNEY: 2, NEW: 1}

_NEVER = re.compile(r"/static/|/healthz$|/readyz$|/metrics$|/pay/notify$|/dev/")
# (method, path) of the requests that finish a registration (views/wizard.py, payment.py, printing.py).
_FINISHING = re.compile(r"POST /apply/\d+/(?:confirm|pay/order|pay/start)$|(?:GET|POST) /pay/return/|"
                        r"GET /apply/\d+/(?:form|ticket)\.pdf$")


# How late the event loop may run its work (smoothed) before a tier is turned away: the lag is the queue itself,
# whatever fills it (many requests, password hashes or PDFs in threads holding the GIL).
LAG_LIMIT = {NEW: 1.0, JOURNEY: 8.0}  # × the lag setting (ADMISSION_LAG_MS)
# New visitors are let in at a rate each process learns, as TCP learns its window (additive increase,
# multiplicative decrease): a little more each INTERVAL the delay stays under half its limit, a fifth less each
# INTERVAL it is over it. The delay is a signal of the moment, and a journey admitted is some 80 requests over the
# next minutes: at 3 × the peak, opening the door whenever the lag dipped let in more journeys than the workers
# could carry (61% of the peak completed, hundreds of journeys still running two minutes later, 29 s to recover);
# holding it shut for a second after each excursion let in too few (33%). A rate follows what the journeys
# inside leave room for.
START_RATE = 50.0  # new visitors a second per process once a delay has taught a limit; at this rate, none
MIN_RATE = 0.5
RATE_STEP = 0.25  # added each INTERVAL the delay is under half the limit (1.25 a second, a second)
DECREASE = 0.8  # the rate's factor each INTERVAL the delay is over the limit
TICK = 0.01  # seconds between the monitor's looks at the loop while requests come
# ... and while none has come for an INTERVAL: a timer every 10 ms cost an idle process 22 ms of CPU a second on
# this 2-core machine (each wake-up of an idle loop is a system call and a scheduler round), 2.4% of a core per
# worker for nothing. An idle loop has no lag to measure; the first requests of a burst are measured by the
# lateness of this longer sleep, and the in-flight bounds apply from the first one.
IDLE_TICK = 0.1
INTERVAL = 0.2  # seconds over which the shortest answer is the standing queue


class Admission:
    """The requests in flight in this process, how late its event loop runs, and the decision for each new
    request (one event loop: no locks)."""

    def __init__(self, bound: int, lag_ms: float = 25.0, database_waits=lambda: 0.0):
        self.bound = bound
        self.lag_limit = lag_ms / 1000
        self.database_waits = database_waits  # the longest wait for the database since the last look
        self.in_flight = 0
        self.lag = 0.0  # seconds, smoothed (web.admission.watch)
        self.standing = 0.0  # seconds: the shortest answer of the last interval (see `answered`)
        self._shortest = {False: math.inf, True: math.inf}  # of reads, of changes
        self.refused = {FINISHING: 0, JOURNEY: 0, NEW: 0}
        self.entered = 0  # requests counted in (the monitor's sign of activity)
        self.rate = START_RATE  # new visitors admitted a second (learnt: see START_RATE)
        self.tokens = START_RATE * INTERVAL  # what the rate has left to admit now

    def answered(self, seconds: float, change: bool) -> None:
        """A request (a change of state, or a read) took `seconds` from admission to its answer. The shortest
        answer of each interval is the standing queue (as in CoDel): when even the quickest request waited, every
        request waits. Reads and changes are kept apart: on SQLite the changes queue for the database's one
        writer (and the processes for each other) while reads, answered in the event loop, stay quick."""
        if seconds < self._shortest[change]:
            self._shortest[change] = seconds

    async def watch(self) -> None:
        """How late the loop runs a timer (smoothed), and the standing queue of each INTERVAL (the lifespan runs
        this)."""
        loop = asyncio.get_running_loop()
        elapsed, seen = 0.0, self.entered
        while True:
            idle = self.in_flight == 0 and self.entered == seen and self.lag < 0.001
            seen = self.entered
            tick = IDLE_TICK if idle else TICK
            started = loop.time()
            await asyncio.sleep(tick)
            late = max(0.0, loop.time() - started - tick)
            self.lag += (late - self.lag) * (0.3 if late > self.lag else 0.1)  # rises fast, falls slowly
            elapsed += tick + late
            if elapsed >= INTERVAL:
                shortest = max((v for v in self._shortest.values() if v is not math.inf), default=0.0)
                # The database's own queue (db/sqlite_engine.py: the longest wait of a statement for the writer,
                # halved: one long wait is not yet a queue), where the changes of a surge pile up on SQLite.
                self.standing = max(shortest, self.database_waits() / 2)
                self._shortest, elapsed = {False: math.inf, True: math.inf}, 0.0
                self._learn()

    def _learn(self) -> None:
        """Each INTERVAL: the new visitors' rate, from the delay, and what it may admit in the next."""
        limit = self.lag_limit * LAG_LIMIT[NEW]
        if self.delay > limit:
            self.rate = max(MIN_RATE, self.rate * DECREASE)
        elif self.delay < limit / 2:
            self.rate = min(START_RATE, self.rate + RATE_STEP)
        self.tokens = min(max(1.0, self.rate * INTERVAL), self.tokens + self.rate * INTERVAL)

    @property
    def rate_limited(self) -> bool:
        """Whether a delay has taught this process a rate of new visitors (below START_RATE)."""
        return self.rate < START_RATE

    @property
    def delay(self) -> float:
        return max(self.lag, self.standing)

    @staticmethod
    def tier(method: str, path: str, inside) -> str:
        """`inside`: the request's session, or whether it came with the cookie of an earlier admitted request."""
        if _NEVER.match(path):
            return NEVER
        if _FINISHING.match(f"{method} {path}"):
            return FINISHING
        if inside:
            return JOURNEY
        return NEW

    def enter(self, tier: str) -> bool:
        """Count the request in, or refuse it (False: not counted)."""
        if tier != NEVER and (self.in_flight >= self.bound * MULTIPLE[tier]
                              or self.delay > self.lag_limit * LAG_LIMIT.get(tier, math.inf)
                              or (tier == NEW and self.rate_limited and self.tokens < 1)):
            self.refused[tier] += 1
            return False
        if tier == NEW and self.rate_limited:
            self.tokens -= 1
        self.in_flight += 1
        self.entered += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1
