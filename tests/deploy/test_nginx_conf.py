"""The rendered nginx configuration agrees with the app: each route's body limit at least the app's own
(web/limits.py), no retry of a 503 or of a POST that reached a node, idle upstream connections closed before
the nodes close them."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from starlette.routing import Route

import server
from tests.deploy import harness
from views import payment, profile, realname, score_board, wizard
from web.limits import LIMITS, ORDINARY

SIZE = {"k": 1024, "m": 1024 * 1024}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("nginx") / "nginx.conf"
    subprocess.run([sys.executable, str(harness.ROOT / "deploy" / "render.py"), "--node", "10.0.0.11:8000",
                    "--node", "10.0.0.12:8000", "--listen", "8080", "--upload-dir", "/srv/kjks/uploads",
                    "-o", str(out)], check=True, cwd=harness.ROOT, capture_output=True)
    return out.read_text()


def locations(conf: str) -> list[tuple[str, str, str]]:
    """(kind, pattern, body) of every location block: kind '=', '~' or '' (a prefix)."""
    found = []
    for m in re.finditer(r'^\s*location\s+(=|~)?\s*("[^"]+"|\S+)\s*\{(.*?)^\s*\}', conf, re.M | re.S):
        found.append((m.group(1) or "", m.group(2).strip('"'), m.group(3)))
    return found


def location_for(conf: str, path: str) -> str:
    """The body of the location nginx picks for `path` (exact, then the longest prefix, unless a regex matches)."""
    locs = locations(conf)
    for kind, pattern, body in locs:
        if kind == "=" and pattern == path:
            return body
    for kind, pattern, body in locs:
        if kind == "~" and re.search(pattern, path):
            return body
    prefixes = [(pattern, body) for kind, pattern, body in locs if kind == "" and path.startswith(pattern)]
    return max(prefixes, key=lambda p: len(p[0]))[1]


def limit_of(body: str) -> int:
    m = re.search(r"client_max_body_size\s+(\d+)([kKmM]?);", body)
    assert m, body
    return int(m.group(1)) * SIZE.get(m.group(2).lower(), 1)


def sample(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "1", path)


def test_every_route_gets_at_least_the_body_size_the_app_accepts(rendered):
    routes = {r.name: r.path for r in [*wizard.routes, *profile.routes, *realname.routes, *payment.routes,
                                                 *score_board.routes]
              if isinstance(r, Route)}
    assert set(LIMITS) <= set(routes)
    for name, limit in LIMITS.items():
        path = sample(routes[name])
        nginx = limit_of(location_for(rendered, path))
        assert limit.body <= nginx <= limit.body + 2 * 1024 * 1024, (name, path, limit.body, nginx)
        assert "proxy_pass http://kjks_nodes;" in location_for(rendered, path)
    for path in ("/login", "/register", "/apply/1/confirm", "/apply/1/pay/order"):
        assert ORDINARY.body <= limit_of(location_for(rendered, path)) < 1024 * 1024, path


def test_a_503_or_a_post_that_reached_a_node_is_never_sent_to_another(rendered):
    retry = re.findall(r"proxy_next_upstream\s+([^;]+);", rendered)
    assert retry == ["error timeout"], retry
    assert "proxy_intercept_errors off;" in rendered  # the nodes' own 503 page reaches the browser


def test_idle_connections_to_the_nodes_close_before_the_nodes_close_them(rendered):
    upstream = re.search(r"upstream kjks_nodes \{(.*?)\n    \}", rendered, re.S).group(1)
    assert re.findall(r"server (\S+) ", upstream) == ["10.0.0.11:8000", "10.0.0.12:8000"]
    timeout = int(re.search(r"keepalive_timeout (\d+)s;", upstream).group(1))
    assert timeout < server.KEEP_ALIVE and "proxy_http_version 1.1;" in rendered
    assert 'proxy_set_header Connection "";' in rendered


def test_files_are_sent_from_an_internal_location_of_the_upload_folder(rendered):
    protected = location_for(rendered, "/_protected/photo/ab/x.jpg")
    assert "internal;" in protected and "alias /srv/kjks/uploads/;" in protected
    assert "nosniff" in protected
    assert "return 404;" in location_for(rendered, "/metrics")


def test_the_rendered_configuration_is_valid_for_nginx(tmp_path):
    if not (shutil.which(harness.NGINX) or os.path.exists(harness.NGINX)):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("nginx not found; apt-get install nginx")
        pytest.skip("nginx not found (apt-get install nginx)")
    conf = tmp_path / "nginx.conf"
    subprocess.run([sys.executable, str(harness.ROOT / "deploy" / "render.py"), "--node", "127.0.0.1:8001",
                    "--node", "127.0.0.1:8002", "--listen", "127.0.0.1:8080", "--upload-dir", str(tmp_path),
                    "--prefix", str(tmp_path), "-o", str(conf)], check=True, cwd=harness.ROOT)
    checked = subprocess.run([harness.NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e",
                              str(tmp_path / "logs" / "error.log")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
