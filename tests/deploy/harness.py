"""The pieces of a deployment on one machine, for tests/deploy: a private PostgreSQL cluster (initdb into a temp
folder, run as the `postgres` user on a free port, so it can be stopped and restarted without touching the
suite's database), app nodes (`python -m cli serve`), nginx rendered from deploy/nginx.conf, and small helpers:
SQL from a background thread (Playwright's sync API holds the test's thread), which process owns a socket,
registering over plain HTTP."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin() -> Path:
    """PostgreSQL's server binaries: $PG_BIN, else Debian's newest /usr/lib/postgresql/<version>/bin."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
SECRET_KEY = "deploy-tests-secret-key-the-same-on-every-node"
CAPTCHA = "TEST"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


# ------------------------------------------------------------------------------------------ PostgreSQL


class Cluster:
    """A PostgreSQL cluster of our own. As root, its files belong to `postgres` and its commands run as it."""

    def __init__(self, root: Path):
        self.root = root / "pg"
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args, check=True, timeout=60) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_postgres, *map(str, args)], capture_output=True, text=True, check=check,
                              timeout=timeout, cwd="/")

    def init(self) -> None:
        self.root.mkdir(parents=True)
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            # A throwaway cluster: durability off, its socket and port its own.
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 100\n")

    def start(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop", check=False)

    def url(self, database: str = "kjks") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def createdb(self, name: str) -> str:
        self._run(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", self.port, "-U", "postgres", name)
        return self.url(name)


class Sql:
    """SQL against one database from a thread of its own (its own event loop), so that sync tests, Playwright's
    included, can read what is stored. A new connection per statement: the cluster may have restarted."""

    def __init__(self, url: str):
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _run(self, coro, timeout=30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _fetch(self, query, *args):
        conn = await asyncpg.connect(self.url, timeout=5)
        try:
            return [dict(r) for r in await conn.fetch(query, *args)]
        finally:
            await conn.close()

    def rows(self, query: str, *args) -> list[dict]:
        return self._run(self._fetch(query, *args))

    def value(self, query: str, *args):
        rows = self.rows(query, *args)
        return next(iter(rows[0].values())) if rows else None

    def hold(self, lock_query: str, *args) -> "HeldLock":
        """Run `lock_query` (a SELECT ... FOR UPDATE) in a transaction left open until .release()."""
        async def take():
            conn = await asyncpg.connect(self.url, timeout=5)
            tx = conn.transaction()
            await tx.start()
            await conn.execute(lock_query, *args)
            return conn, tx
        conn, tx = self._run(take())
        return HeldLock(self, conn, tx)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class HeldLock:
    def __init__(self, sql: Sql, conn, tx):
        self.sql, self.conn, self.tx = sql, conn, tx

    def release(self):
        async def go():
            await self.tx.rollback()
            await self.conn.close()
        if self.conn is not None:
            self.sql._run(go())
            self.conn = None

    def waiting_backends(self) -> list[dict]:
        """The other sessions waiting for a lock (on our rows): their pid and client port."""
        return self.sql.rows("SELECT pid, client_port, query FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                             "AND datname = current_database() AND pid <> pg_backend_pid()")


def pid_owning_port(local_port: int) -> int | None:
    """The process holding the TCP socket whose local port is `local_port` (a node's connection to the database)."""
    out = subprocess.run(["ss", "-Htnp", "state", "established", f"( sport = :{local_port} )"],
                         capture_output=True, text=True).stdout
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


# ------------------------------------------------------------------------------------------ app nodes


class Node:
    """`python -m cli serve` as a production node would run it, with its own temp folder and log."""

    def __init__(self, name: str, root: Path, env: dict):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tmp = root / f"node-{name}"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.log_path = root / f"node-{name}.log"
        self.env = {**env, "NODE_NAME": name, "TMPDIR": str(self.tmp), "HOME": str(self.tmp),
                    "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        log = open(self.log_path, "a")
        log.write(f"\n===== start {time.strftime('%H:%M:%S')}\n")
        log.flush()
        self.proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port",
                                      str(self.port), "--workers", "1", "--access-log"],
                                     cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"node {self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                return httpx.get(self.url + "/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False
        wait_until(ready, timeout, f"node {self.name} to be ready")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.running():
            self.signal(signal.SIGTERM)
            try:
                self.wait(25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.wait(5)

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


class Nginx:
    """nginx in the foreground under a prefix of its own, from the rendered deploy/nginx.conf."""

    def __init__(self, root: Path, nodes: list[Node], upload_dir: Path):
        self.prefix = root / "nginx"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.conf = self.prefix / "nginx.conf"
        args = [sys.executable, str(ROOT / "deploy" / "render.py"), "--listen", f"127.0.0.1:{self.port}",
                "--upload-dir", str(upload_dir), "--prefix", str(self.prefix), "--worker-processes", "1",
                "-o", str(self.conf)]
        for node in nodes:
            args += ["--node", f"127.0.0.1:{node.port}"]
        if os.geteuid() == 0:
            args += ["--user", "root"]  # workers read the temp uploads folder, made by root, as root
        self.prefix.mkdir(parents=True)
        # The renderer runs as the operator runs it, in a process of its own (it loads the app's route table).
        subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT)
        self.proc: subprocess.Popen | None = None

    @property
    def access_log(self) -> Path:
        return self.prefix / "logs" / "access.log"

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run([NGINX, "-t", "-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.error_log)],
                              capture_output=True, text=True)

    def start(self) -> None:
        self.proc = subprocess.Popen([NGINX, "-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.error_log),
                                      "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"nginx exited: {self.proc.stderr.read().decode()}")
            return port_open(self.port)
        wait_until(up, 10, "nginx to listen")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def log_lines(self) -> list[str]:
        return self.access_log.read_text(errors="replace").splitlines() if self.access_log.exists() else []


# ------------------------------------------------------------------------------------------ HTTP helpers

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
OUTBOX_CODE = re.compile(r'<td class="code">(\d+)</td>')


def csrf_of(client: httpx.Client, path: str = "/register") -> str:
    page = client.get(path)
    m = CSRF_RE.search(page.text)
    assert m, f"no CSRF token on {path}: {page.status_code} {page.text[:300]}"
    return m.group(1)


def send_sms(client: httpx.Client, phone: str, headers: dict | None = None) -> httpx.Response:
    token = csrf_of(client)
    client.get("/captcha.png")  # the image captcha comes before the SMS
    return client.post("/sms/send", data={"phone": phone, "purpose": "register", "csrf_token": token,
                                          "captcha": CAPTCHA}, headers={"HX-Request": "true", **(headers or {})})


def outbox_code(client: httpx.Client, phone: str) -> str:
    m = OUTBOX_CODE.search(client.get("/dev/outbox", params={"phone": phone}).text)
    assert m, f"no SMS reached {phone}"
    return m.group(1)


def register(client: httpx.Client, id_number: str, phone: str, name: str = "张三丰",
             password: str = "Passw0rd2027") -> httpx.Response:
    """注册 over plain HTTP (the SMS code read from the sandbox outbox); the client keeps the session cookie."""
    r = send_sms(client, phone)
    assert r.status_code == 200, r.text[:500]
    code = outbox_code(client, phone)
    token = csrf_of(client)
    return client.post("/register", data={"csrf_token": token, "id_type": "mainland", "id_number": id_number,
                                          "name": name, "password": password, "password2": password,
                                          "phone": phone, "sms_code": code})


def temp_root(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)  # the postgres user walks through it to its own folder
    return path
