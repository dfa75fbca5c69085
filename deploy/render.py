"""Render deploy/nginx.conf (a Jinja2 template) into a complete nginx configuration for N app nodes.

    .venv/bin/python deploy/render.py --node 10.0.0.11:8000 --node 10.0.0.12:8000 --listen 443 \\
        --upload-dir /srv/kjks/uploads --tls-cert /etc/ssl/kjks.pem --tls-key /etc/ssl/kjks.key \\
        -o /etc/nginx/nginx.conf

The body limits come from the app itself: each route of web/limits.py is found in the app's route table
(app.create_app) and gets a location whose client_max_body_size is a little above the app's limit, so the two
cannot drift apart. `--prefix DIR` puts the pid file, the logs and nginx's temp folders in DIR (the tests run
nginx as `nginx -p DIR -c FILE -e DIR/logs/error.log -g 'daemon off;'`); without it Debian's places are used.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
KB, MB = 1024, 1024 * 1024


@dataclass(frozen=True)
class Location:
    match: str        # what follows `location`
    routes: str       # the app's route names, for the comment
    app_limit: int    # bytes, web/limits.py
    nginx_limit: str  # client_max_body_size


def nginx_limit(app_limit: int) -> str:
    """nginx's limit for a route the app limits to `app_limit` bytes: 64 KB more for a small body, 1 MB more for
    an upload, in whole kilobytes."""
    return f"{(app_limit + (64 * KB if app_limit < MB else MB)) // KB}k"


def location_of(path: str) -> str:
    """A Starlette route path as an nginx location: exact when it has no parameter; else a regex in which each
    parameter matches one path segment (a superset of the app's convertor: the app refuses what does not fit)."""
    if "{" not in path:
        return f"= {path}"
    parts = re.split(r"\{[^}]*\}", path)
    return '~ "^' + "[^/]+".join(re.escape(p) for p in parts) + '$"'


def limited_locations() -> tuple[list[Location], Location]:
    """(a location per route of web/limits.py, the ordinary limit of every other route)."""
    sys.path.insert(0, str(ROOT))
    from starlette.routing import Route

    import settings as settings_module
    from app import create_app
    from web.limits import LIMITS, ORDINARY

    app = create_app(settings_module.load({"APP_ENV": "test", "DATABASE_URL": "sqlite://:memory:"}))
    paths = {r.name: r.path for r in app.routes if isinstance(r, Route) and r.name in LIMITS}
    missing = set(LIMITS) - set(paths)
    if missing:
        raise SystemExit(f"web/limits.py names routes the app does not have: {sorted(missing)}")
    locations = [Location(location_of(paths[name]), name, limit.body, nginx_limit(limit.body))
                 for name, limit in LIMITS.items()]
    return locations, Location("/", "ordinary", ORDINARY.body, nginx_limit(ORDINARY.body))


def render(*, nodes: list[str], listen: str, upload_dir: str, static_dir: str = str(ROOT / "static"),
           errors_dir: str = str(DEPLOY / "errors"), prefix: str | None = None, user: str | None = None,
           worker_processes: str = "auto", server_name: str | None = None, tls_cert: str | None = None,
           tls_key: str | None = None, mime_types: str = "/etc/nginx/mime.types", fail_timeout: str = "5s") -> str:
    if not nodes:
        raise ValueError("at least one node (host:port)")
    if bool(tls_cert) != bool(tls_key):
        raise ValueError("--tls-cert and --tls-key go together")
    if prefix:
        p = Path(prefix).resolve()
        runtime = {"pid": f"{p}/nginx.pid", "error_log": f"{p}/logs/error.log", "access_log": f"{p}/logs/access.log",
                   "temp": f"{p}/temp"}
    else:  # Debian's nginx package
        runtime = {"pid": "/run/nginx.pid", "error_log": "/var/log/nginx/error.log",
                   "access_log": "/var/log/nginx/access.log", "temp": "/var/lib/nginx"}
    limited, ordinary = limited_locations()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(DEPLOY)), trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
    text = env.get_template("nginx.conf").render(
        nodes=nodes, listen=listen, upload_dir=str(Path(upload_dir).resolve()),
        static_dir=str(Path(static_dir).resolve()), errors_dir=str(Path(errors_dir).resolve()), runtime=runtime,
        user=user, worker_processes=worker_processes, server_name=server_name,
        tls={"cert": tls_cert, "key": tls_key} if tls_cert else None, mime_types=mime_types,
        fail_timeout=fail_timeout, limited=limited, ordinary=ordinary)
    return text if text.endswith("\n") else text + "\n"


def prepare_prefix(prefix: str) -> None:
    """The folders nginx expects under --prefix."""
    for sub in ("logs", "temp"):
        os.makedirs(Path(prefix) / sub, exist_ok=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--node", action="append", required=True, help="an app node, host:port (repeat per node)")
    ap.add_argument("--listen", default="80", help="what nginx listens on: a port or address:port (default 80)")
    ap.add_argument("--upload-dir", required=True, help="the nodes' UPLOAD_DIR, as mounted on this machine")
    ap.add_argument("--static-dir", default=str(ROOT / "static"),
                    help="the static/ folder of the release the nodes run (default: this checkout's)")
    ap.add_argument("--server-name")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--prefix", help="pid, logs and temp folders here instead of Debian's places")
    ap.add_argument("--user", help="the workers' user (the `user` directive); omit to keep nginx's default")
    ap.add_argument("--worker-processes", default="auto")
    ap.add_argument("--mime-types", default="/etc/nginx/mime.types")
    ap.add_argument("-o", "--output", help="write here (default: standard output)")
    args = ap.parse_args(argv)
    text = render(nodes=args.node, listen=args.listen, upload_dir=args.upload_dir, static_dir=args.static_dir,
                  prefix=args.prefix, user=args.user, worker_processes=args.worker_processes,
                  server_name=args.server_name, tls_cert=args.tls_cert, tls_key=args.tls_key,
                  mime_types=args.mime_types)
    if args.prefix:
        prepare_prefix(args.prefix)
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
