"""Everything that comes from the environment, read once into one typed object.

| variable          | default                                   | meaning |
|-------------------|-------------------------------------------|---------|
| APP_ENV           | development                               | development, test or production |
| DATABASE_URL      | sqlite://var/kjks.sqlite3                 | sqlite://PATH or postgres://user@host:port/db |
| SECRET_KEY        | generated once into var/secret_key (dev)  | signs cookies, CSRF tokens, SMS code hashes; required in production |
| CAPTCHA_FIXED     | (unset)                                   | a fixed captcha answer for automated tests; refused in production |
| SMS_PROVIDER      | sandbox                                   | sandbox writes to /dev/outbox; production needs a real provider |
| WECHAT_PROVIDER   | sandbox                                   | sandbox scan page under /dev/wechat/ |
| ALIPAY_PROVIDER   | sandbox                                   | 支付宝实名认证; sandbox scan page under /dev/alipay/ |
| BASE_URL          | http://HOST:PORT                          | absolute address used inside QR codes |
| HOST, PORT        | 127.0.0.1, 8000                           | where `make run` listens |
| SESSION_IDLE_MINUTES | 30                                     | a session ends after this long without a request |
| SESSION_MAX_HOURS | 12                                        | and after this long in all |
| UPLOAD_DIR        | var/uploads                               | where uploads are stored (outside static/) |
| PAYMENT_PROVIDER  | sandbox                                   | 网上缴费 gateway; sandbox payment pages under /dev/pay/ |
| PAYMENT_MERCHANT_ID | KJKS-SANDBOX                            | our merchant id at the gateway (checked in every notification) |
| PAYMENT_KEY       | derived from SECRET_KEY (not production)  | the key that signs the gateway's notifications |
| ORDER_TIMEOUT_MINUTES | 30                                    | an unpaid order closes after this long (at the latest when 缴费时间 ends) |
| REFERENCE_MAX_AGE | 5                                         | seconds a process keeps exam reference data (a CLI re-seed shows within it) |
| PASSWORD_MEMORY_KIB, PASSWORD_TIME_COST, PASSWORD_PARALLELISM | 19456, 2, 1 | argon2id's cost (OWASP's 19 MiB, t=2, p=1) |
| PASSWORD_HASHES_AT_ONCE | 1                                   | hashes one process computes at a time (the others wait) |
| LOGIN_FAILURE_SECONDS | 0.5                                   | a refused password is answered no sooner (the same time for every name) |
| ADMISSION_BOUND   | 48                                        | requests in flight per process beyond which a new visitor gets 系统繁忙 (web/admission.py) |
| ADMISSION_RETRY_SECONDS | 5                                   | the Retry-After of 系统繁忙, after which its page tries again |
| ADMISSION_LAG_MS  | 25                                        | how late the event loop may run before new visitors get 系统繁忙 (8× for those inside) |
| TRUSTED_PROXIES   | (none)                                    | addresses or networks (comma-separated) whose X-Forwarded-For/-Proto the app believes (web/proxies.py) |
| NODE_NAME         | (unset)                                   | this node's name: every response says it in `X-Node`, every log line carries it |
| FILES_ACCEL_PREFIX | (unset)                                  | behind nginx: /files/ is authorised here and sent by nginx from this internal location (X-Accel-Redirect) |
| METRICS_ALLOW     | 127.0.0.1, ::1                            | addresses or networks that may read /metrics (Prometheus) |
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VAR = ROOT / "var"


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    app_env: str
    database_url: str
    secret_key: str
    captcha_fixed: str | None
    sms_provider: str
    wechat_provider: str
    alipay_provider: str
    base_url: str
    host: str
    port: int
    session_idle_seconds: int
    session_max_seconds: int
    upload_dir: Path
    payment_provider: str = "sandbox"
    payment_merchant_id: str = "KJKS-SANDBOX"
    payment_key: str = ""
    order_timeout_seconds: int = 1800
    reference_max_age: float = 5.0
    password_memory_kib: int = 19456
    password_time_cost: int = 2
    password_parallelism: int = 1
    password_hashes_at_once: int = 1
    login_failure_seconds: float = 0.5
    admission_bound: int = 48
    admission_retry_seconds: int = 5
    admission_lag_ms: float = 25.0
    trusted_proxies: frozenset = frozenset()
    node_name: str = ""
    files_accel_prefix: str = ""
    metrics_allow: frozenset = frozenset()

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def cookie_secure(self) -> bool:
        return self.production


def _secret_key(app_env: str, env: dict) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    if app_env == "production":
        raise SettingsError("SECRET_KEY must be set in production")
    if app_env == "test":
        return "test-secret-key-not-for-production"
    # Development: generate once and keep it, so sessions survive a restart.
    path = VAR / "secret_key"
    if not path.exists():
        VAR.mkdir(exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def networks(value: str, name: str) -> frozenset:
    """'10.0.0.1, 10.1.0.0/16, ::1' → the networks (an address is a network of one)."""
    try:
        return frozenset(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError as e:
        raise SettingsError(f"{name}: not an address or network: {e}") from None


def _node_name(value: str) -> str:
    if value and not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", value):
        raise SettingsError("NODE_NAME: 1-64 letters, digits, '.', '_' or '-'")
    return value


def _accel_prefix(value: str) -> str:
    if value and not (value.startswith("/") and value.endswith("/")):
        raise SettingsError("FILES_ACCEL_PREFIX must start and end with '/' (e.g. /_protected/)")
    return value


def load(env: dict | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    app_env = env.get("APP_ENV", "development")
    if app_env not in ("development", "test", "production"):
        raise SettingsError(f"APP_ENV must be development, test or production, not {app_env!r}")
    host = env.get("HOST", "127.0.0.1")
    port = int(env.get("PORT", "8000"))
    secret_key = _secret_key(app_env, env)
    s = Settings(
        app_env=app_env,
        database_url=env.get("DATABASE_URL", f"sqlite://{VAR / 'kjks.sqlite3'}"),
        secret_key=secret_key,
        captcha_fixed=env.get("CAPTCHA_FIXED") or None,
        sms_provider=env.get("SMS_PROVIDER", "sandbox"),
        wechat_provider=env.get("WECHAT_PROVIDER", "sandbox"),
        alipay_provider=env.get("ALIPAY_PROVIDER", "sandbox"),
        base_url=env.get("BASE_URL", f"http://{host}:{port}").rstrip("/"),
        host=host,
        port=port,
        session_idle_seconds=int(env.get("SESSION_IDLE_MINUTES", "30")) * 60,
        session_max_seconds=int(env.get("SESSION_MAX_HOURS", "12")) * 3600,
        upload_dir=Path(env.get("UPLOAD_DIR", str(VAR / "uploads"))),
        payment_provider=env.get("PAYMENT_PROVIDER", "sandbox"),
        payment_merchant_id=env.get("PAYMENT_MERCHANT_ID", "KJKS-SANDBOX"),
        payment_key=env.get("PAYMENT_KEY") or ("" if app_env == "production" else
                                                hashlib.sha256(f"payment:{secret_key}".encode()).hexdigest()),
        order_timeout_seconds=int(env.get("ORDER_TIMEOUT_MINUTES", "30")) * 60,
        reference_max_age=float(env.get("REFERENCE_MAX_AGE", "5")),
        password_memory_kib=int(env.get("PASSWORD_MEMORY_KIB", "19456")),
        password_time_cost=int(env.get("PASSWORD_TIME_COST", "2")),
        password_parallelism=int(env.get("PASSWORD_PARALLELISM", "1")),
        password_hashes_at_once=max(1, int(env.get("PASSWORD_HASHES_AT_ONCE", "1"))),
        login_failure_seconds=max(0.0, float(env.get("LOGIN_FAILURE_SECONDS", "0.5"))),
        admission_bound=max(1, int(env.get("ADMISSION_BOUND", "48"))),
        admission_retry_seconds=max(1, int(env.get("ADMISSION_RETRY_SECONDS", "5"))),
        admission_lag_ms=max(1.0, float(env.get("ADMISSION_LAG_MS", "25"))),
        trusted_proxies=networks(env.get("TRUSTED_PROXIES", ""), "TRUSTED_PROXIES"),
        node_name=_node_name(env.get("NODE_NAME", "").strip()),
        files_accel_prefix=_accel_prefix(env.get("FILES_ACCEL_PREFIX", "").strip()),
        metrics_allow=networks(env.get("METRICS_ALLOW", "127.0.0.1,::1"), "METRICS_ALLOW"),
    )
    if s.production:
        if s.captcha_fixed:
            raise SettingsError("CAPTCHA_FIXED is for automated tests and is refused in production")
        if not s.payment_key:
            raise SettingsError("PAYMENT_KEY must be set in production")
        if s.password_memory_kib < 7168 or s.password_time_cost < 1:  # below OWASP's least (7 MiB, t=5)
            raise SettingsError("PASSWORD_MEMORY_KIB below 7168 or PASSWORD_TIME_COST below 1 is refused in production")
        if "sandbox" in (s.sms_provider, s.wechat_provider, s.alipay_provider, s.payment_provider):
            raise SettingsError("sandbox providers are refused in production; configure real ones")
    return s
