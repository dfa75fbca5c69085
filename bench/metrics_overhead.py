"""What web.metrics.MetricsMiddleware adds to a request: N requests through a bare ASGI app that answers at
once (the route already in the scope, as Starlette's router leaves it), with and without the middleware, in
memory (one worker) and in multi-process mode (several workers: values in mmap files); the best of 5 rounds.

    .venv/bin/python bench/metrics_overhead.py [N]    (default 100000)
"""
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(n: int) -> None:
    from starlette.routing import Route

    from web.metrics import MULTIPROCESS, MetricsMiddleware

    route = Route("/apply/{app_id:int}/info", lambda request: None)

    async def app(scope, receive, send):
        scope["route"] = route
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message):
        pass

    async def rounds(asgi) -> float:
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(n):
                await asgi({"type": "http", "method": "GET", "path": "/apply/7/info", "root_path": ""}, None, send)
            best = min(best, time.perf_counter() - started)
        return best / n

    bare = asyncio.run(rounds(app))
    wrapped = asyncio.run(rounds(MetricsMiddleware(app)))
    mode = "multi-process (mmap files)" if MULTIPROCESS else "in memory"
    print(f"{mode:28} bare {bare * 1e6:5.2f} µs  with metrics {wrapped * 1e6:5.2f} µs  "
          f"added {(wrapped - bare) * 1e6:5.2f} µs per request")


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        measure(n)
    else:
        measure(n)
        with tempfile.TemporaryDirectory(prefix="kjks-metrics-") as directory:  # the same in a worker's mode
            subprocess.run([sys.executable, __file__, str(n)], check=True,
                           env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory})
