"""Browser tests: Playwright drives the system Chromium (/usr/bin/chromium) against a real uvicorn server.

They skip with a message where Chromium is missing, unless REQUIRE_BROWSER=1 (set by .ci/run).
They run in the SQLite pass only: the server gets its own database file, seeded by `python -m cli demo`.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server_url(server):
    return server[0]


@pytest.fixture(scope="session")
def server_env(server):
    """The server's environment, for running `python -m cli ...` against its database."""
    return server[1]


@pytest.fixture(scope="session")
def server():
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("browser journeys run once, in the SQLite pass of `make test`")
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; install the Debian package chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser tests skipped")
    tmp = tempfile.mkdtemp(prefix="kjks-browser-")
    port = _free_port()
    env = dict(os.environ, APP_ENV="test", DATABASE_URL=f"sqlite://{tmp}/browser.sqlite3", CAPTCHA_FIXED="TEST",
               UPLOAD_DIR=f"{tmp}/uploads", HOST="127.0.0.1", PORT=str(port), BASE_URL=f"http://127.0.0.1:{port}")
    subprocess.run([sys.executable, "-m", "cli", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = open(f"{tmp}/server.log", "w")
    # The production command (server.py): our listening socket, our Chinese 400 for malformed requests.
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/help", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("the server did not start: " + Path(f"{tmp}/server.log").read_text())
    yield url, env
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")  # not session: Playwright's sync API holds the event loop while it is open
def browser(server_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(base_url=server_url, locale="zh-CN")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(browser, server_url):
    context = browser.new_context(base_url=server_url, locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()
