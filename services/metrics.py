"""What the business layer counts for the operators' Prometheus: journeys completed and the periodic jobs' runs
(web/metrics.py serves them at /metrics, with the requests). A journey is counted where its change really
happened, after the conditional update's row count said so: a double click or a repeated notification counts
nothing.

These counters live here, not in web/metrics.py, because services never import web (tests/unit/test_architecture.py).
"""
from __future__ import annotations

from prometheus_client import Counter

SUBMISSIONS = Counter("kjks_submissions_total", "提交 accepted: applications that left their draft")
PAYMENTS = Counter("kjks_payments_total", "Payments applied: applications that became paid")
JOB_RUNS = Counter("kjks_job_runs_total", "Runs of the periodic jobs, by outcome (ok, failed)", ["job", "outcome"])
PASSWORD_CPU = Counter("kjks_password_hash_cpu_seconds_total",
                       "CPU seconds spent hashing and verifying passwords (argon2id, in threads)")


def submission() -> None:
    SUBMISSIONS.inc()


def payment() -> None:
    PAYMENTS.inc()


def password_hashing(cpu_seconds: float) -> None:
    PASSWORD_CPU.inc(cpu_seconds)


def job(name: str, ok: bool) -> None:
    JOB_RUNS.labels(name, "ok" if ok else "failed").inc()
