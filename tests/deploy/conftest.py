"""Several nodes behind nginx on PostgreSQL, on this machine (README: "Deployment: several nodes behind nginx").

One deployment for the whole run: a private PostgreSQL cluster (tests/deploy/harness.py), `cli migrate` once,
bench/journey.toml seeded (浙江, 告知承诺), two nodes `a` and `b` (`python -m cli serve`, one worker each, their own
temp folders, one shared UPLOAD_DIR, the same SECRET_KEY) and nginx in front of them, rendered from
deploy/nginx.conf. Tests that stop a node start it again (`deployment` checks both are up before each test).

They skip with a message where nginx, PostgreSQL's binaries or Chromium are missing, unless REQUIRE_BROWSER=1
(set by .ci/run), which makes a missing tool a failure. They need no TEST_DATABASE_URL: `.ci/run` runs them once,
in its PostgreSQL pass.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.deploy import harness
from tests.deploy.harness import Cluster, Nginx, Node, Sql

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_configure(config):
    config.addinivalue_line("markers", "deploy: several app nodes behind nginx on a private PostgreSQL cluster")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/deploy" in str(item.fspath):
            item.add_marker(pytest.mark.deploy)


def missing_or_skip(what: str, hint: str) -> None:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{what} not found; {hint}")
    pytest.skip(f"{what} not found ({hint}); deployment tests skipped")


def require_tools(browser: bool = False) -> None:
    if not (shutil.which(harness.NGINX) or Path(harness.NGINX).exists()):
        missing_or_skip("nginx", "apt-get install nginx")
    if not (harness.PG_BIN / "initdb").exists():
        missing_or_skip(f"PostgreSQL's initdb in {harness.PG_BIN}", "apt-get install postgresql, or set PG_BIN")
    if not shutil.which("ss"):
        missing_or_skip("ss", "apt-get install iproute2")
    if browser and not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        missing_or_skip(f"Chromium at {CHROMIUM}", "apt-get install chromium")


@dataclass
class Deployment:
    root: Path
    cluster: Cluster
    sql: Sql
    nodes: dict[str, Node]
    nginx: Nginx
    upload_dir: Path
    env: dict
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return self.nginx.url

    def cli(self, *args, database_url: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        env = dict(self.env, DATABASE_URL=database_url or self.env["DATABASE_URL"])
        return subprocess.run([sys.executable, "-m", "cli", *args], cwd=harness.ROOT, env=env, capture_output=True,
                              text=True, timeout=timeout)

    def node_of_pid(self, pid: int | None) -> Node | None:
        return next((n for n in self.nodes.values() if n.pid == pid and n.running()), None)

    def next_node(self) -> str:
        """Which node nginx's round robin gives the request after this one: one node answered the probe, so the
        next request goes to the other (one nginx worker, both nodes healthy)."""
        answered = httpx.get(self.url + "/healthz", timeout=5).headers["x-node"]
        return "b" if answered == "a" else "a"

    def settle_round_robin(self) -> None:
        """Both nodes healthy in nginx's eyes (a node stopped a moment ago is skipped for fail_timeout): wait
        until four probes in a row alternate."""
        def alternating():
            seen = [httpx.get(self.url + "/healthz", timeout=5).headers.get("x-node") for _ in range(4)]
            return all(x != y for x, y in zip(seen, seen[1:])) and None not in seen
        harness.wait_until(alternating, 15, "nginx to send requests to both nodes in turn", interval=0.5)

    def ensure_up(self) -> None:
        restarted = False
        for node in self.nodes.values():
            if not node.running():
                node.start()
                restarted = True
        if restarted:
            self.settle_round_robin()


@pytest.fixture(scope="session")
def deployment():
    require_tools()
    root = harness.temp_root("kjks-deploy-")
    cluster = Cluster(root)
    nodes: dict[str, Node] = {}
    nginx = None
    try:
        cluster.init()
        cluster.start()
        database_url = cluster.createdb("kjks")
        upload_dir = root / "uploads"  # shared: what NFS would be between machines
        upload_dir.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "NODE_NAME", "PORT", "HOST")}
        env.update(APP_ENV="test", CAPTCHA_FIXED=harness.CAPTCHA, DATABASE_URL=database_url,
                   SECRET_KEY=harness.SECRET_KEY, UPLOAD_DIR=str(upload_dir), TRUSTED_PROXIES="127.0.0.1",
                   FILES_ACCEL_PREFIX="/_protected/", PYTHONUNBUFFERED="1")
        for name in ("a", "b"):
            nodes[name] = Node(name, root, env)
        nginx = Nginx(root, list(nodes.values()), upload_dir)
        env["BASE_URL"] = nginx.url  # QR codes and the sandbox gateway's notify URL: through nginx
        for node in nodes.values():
            node.env["BASE_URL"] = nginx.url
        d = Deployment(root, cluster, Sql(database_url), nodes, nginx, upload_dir, env)
        for step in (("migrate",), ("seed", str(harness.ROOT / "bench" / "journey.toml"))):
            done = d.cli(*step)
            assert done.returncode == 0, f"cli {' '.join(step)}: {done.stdout}{done.stderr}"
        for node in nodes.values():
            node.start()
        nginx.start()
        d.settle_round_robin()
        yield d
    finally:
        if nginx:
            nginx.stop()
        for node in nodes.values():
            node.stop()
        cluster.stop("immediate")
        if os.environ.get("KEEP_DEPLOY_TMP") == "1":
            print(f"\ndeployment files kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def deploy(deployment) -> Deployment:
    """The deployment with both nodes running (a test before may have stopped one)."""
    deployment.ensure_up()
    return deployment


@pytest.fixture(scope="module")  # not session: Playwright's sync API holds the event loop while it is open
def browser(deployment):
    require_tools(browser=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@dataclass
class Seen:
    method: str
    path: str
    status: int
    node: str | None
    headers: dict


@pytest.fixture
def page(browser, deploy):
    """A candidate's browser on nginx's address; every answer's X-Node is recorded in `page.seen`."""
    context = browser.new_context(base_url=deploy.url, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    seen: list[Seen] = []

    def record(response):
        path = response.url.removeprefix(deploy.url)
        seen.append(Seen(response.request.method, path, response.status, response.headers.get("x-node"),
                         dict(response.headers)))
    context.on("response", record)
    page = context.new_page()
    page.seen = seen
    yield page
    context.close()
