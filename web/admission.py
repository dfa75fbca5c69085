"""Admission control: when a process has more requests in flight than it can answer within the latency target,
a new visitor is turned away at once with 系统繁忙 (503, Retry-After), instead of every request queueing until
the clients give up.

Each process counts the requests it is handling. A request is admitted while the count is below its tier's
bound; `ADMISSION_BOUND` (settings) is the bound of the lowest tier, the others are multiples of it:

| tier | requests | admitted while fewer than |
|---|---|---|
| never refused | static files, /healthz, the gateway's payment notification, the sandboxes' pages (/dev: they stand for the outside parties' own servers) | (always) |
| finishing work | 提交, 生成订单, 支付, the payment's return page, 报名表打印 | 4 × bound |
| in a journey | a logged-in candidate (the journey starts at 注册) or reviewer | 2 × bound |
| a new visitor | everyone else (no session) | bound |

So under a surge the new visitors wait outside, the candidates already inside keep moving, and what completes
a registration (the submission, the order, the payment, the form) comes last to be refused. The refusal is
decided before the request's body is read, in microseconds.

Requests in flight measure the queue only when their bodies arrive quickly: behind nginx (which buffers request
bodies before passing them on, deploy/), a slow phone's upload does not count while it is still being sent.
"""
from __future__ import annotations

import re

NEVER, FINISHING, JOURNEY, NEW = "never", "finishing", "journey", "new"
MULTIPLE = {FINISHING: 4, JOURNEY: 2, NEW: 1}

_NEVER = re.compile(r"/static/|/healthz$|/pay/notify$|/dev/")
# (method, path) of the requests that finish a registration (views/wizard.py, payment.py, printing.py).
_FINISHING = re.compile(r"POST /apply/\d+/(?:confirm|pay/order|pay/start)$|(?:GET|POST) /pay/return/|"
                        r"GET /apply/\d+/form\.pdf$")


class Admission:
    """The requests in flight in this process, and the decision for each new one (one event loop: no locks)."""

    def __init__(self, bound: int):
        self.bound = bound
        self.in_flight = 0
        self.refused = {FINISHING: 0, JOURNEY: 0, NEW: 0}

    @staticmethod
    def tier(method: str, path: str, session) -> str:
        if _NEVER.match(path):
            return NEVER
        if _FINISHING.match(f"{method} {path}"):
            return FINISHING
        if session is not None:
            return JOURNEY
        return NEW

    def enter(self, tier: str) -> bool:
        """Count the request in, or refuse it (False: not counted)."""
        if tier != NEVER and self.in_flight >= self.bound * MULTIPLE[tier]:
            self.refused[tier] += 1
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1
