"""Keep-alive latency with one worker and with several (`make bench-keepalive`; issue 12).

One client on one keep-alive connection asks for the home page again and again, as a browser does while a
candidate moves through the pages; the p50 of each server set-up is compared:

- `python -m cli serve --workers 1` and `--workers 2` (server.py: our own listening socket, IPPROTO_TCP);
- `uvicorn --workers 2` as installed (its own socket);
- a listening socket made with proto 0 and handed to uvicorn's supervisor, as uvicorn did before issue #3149
  was fixed: asyncio then leaves Nagle's algorithm on, and each response waits for the client's delayed ACK.

  .venv/bin/python bench/keepalive.py [REQUESTS]
"""
from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO0 = """
import socket, uvicorn
from uvicorn.supervisors import Multiprocess
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn's bind_socket() once did
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", {port})); sock.listen(2048); sock.set_inheritable(True)
config = uvicorn.Config("app:asgi", factory=True, workers=2, loop="asyncio", log_level="warning", access_log=False)
Multiprocess(config, sockets=[sock]).run()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(port: int, n: int, path: str = "/") -> tuple[float, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    times = []
    for _ in range(n + 1):
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
    conn.close()
    times = times[1:]  # the first request opens the connection
    return statistics.median(times), sorted(times)[int(0.9 * len(times))]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    tmp = tempfile.mkdtemp(prefix="kjks-keepalive-")
    env = dict(os.environ, APP_ENV="test", DATABASE_URL=f"sqlite://{tmp}/k.sqlite3", UPLOAD_DIR=f"{tmp}/uploads")
    subprocess.run([sys.executable, "-m", "cli", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    import uvicorn

    setups = {
        "cli serve, 1 worker": lambda p: [sys.executable, "-m", "cli", "serve", "--port", str(p), "--workers", "1",
                                          "--log-level", "warning"],
        "cli serve, 2 workers": lambda p: [sys.executable, "-m", "cli", "serve", "--port", str(p), "--workers", "2",
                                           "--log-level", "warning"],
        f"uvicorn {uvicorn.__version__} --workers 2": lambda p: [
            sys.executable, "-m", "uvicorn", "--factory", "app:asgi", "--port", str(p), "--workers", "2",
            "--loop", "asyncio", "--log-level", "warning", "--no-access-log"],
        "a proto-0 socket, 2 workers (uvicorn #3149)": lambda p: [sys.executable, "-c", PROTO0.format(port=p)],
    }
    print(f"GET / on one keep-alive connection, {n} requests after the first")
    for name, command in setups.items():
        port = free_port()
        proc = subprocess.Popen(command(port), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    measure(port, 1)
                    break
                except OSError:
                    time.sleep(0.1)
            time.sleep(1)  # every worker up
            measure(port, 20)  # warm
            p50, p90 = measure(port, n)
            print(f"  {name:44} p50 {p50:7.2f} ms   p90 {p90:7.2f} ms")
        finally:
            proc.terminate()
            proc.wait(15)


if __name__ == "__main__":
    main()
