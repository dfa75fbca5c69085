#!/usr/bin/env bash
# Benchmarks (not timed tests): one uvicorn worker on SQLite, wrk with 50 connections on loopback.
# Usage: make bench   (needs wrk: apt-get install wrk). Figures go into the README's performance section.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${BENCH_PORT:-8765}
DURATION=${DURATION:-10s}
TMP=$(mktemp -d)
export APP_ENV=test DATABASE_URL="sqlite://$TMP/bench.sqlite3" CAPTCHA_FIXED=TEST UPLOAD_DIR="$TMP/uploads"
# wrk keeps 50 requests in flight on one worker: the page figures are the pages', not 系统繁忙's (web/admission.py).
export ADMISSION_LAG_MS=600000 ADMISSION_BOUND=100000
$PY -m cli demo >/dev/null
# One worker is one core: pin it to core 0 and wrk to core 1 so the two do not fight over the same core.
taskset -c 0 $PY -m uvicorn --factory app:asgi --host 127.0.0.1 --port "$PORT" --workers 1 --loop asyncio --log-level warning --no-access-log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/help" >/dev/null && break; sleep 0.2; done
COOKIE=$(PYTHONPATH=. $PY bench/session.py "http://127.0.0.1:$PORT")

run() {  # name, path, extra wrk args; CONNS (default 50) connections
  local c=${CONNS:-50}
  echo "== $1 ($2), $c connections"
  taskset -c 1 wrk -t1 -c"$c" -d2s "${@:3}" "http://127.0.0.1:$PORT$2" >/dev/null  # warm-up, not counted
  taskset -c 1 wrk -t1 -c"$c" -d"$DURATION" --latency "${@:3}" "http://127.0.0.1:$PORT$2" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" || true
}
run "login page, anonymous" /login
run "home page, logged in" / -H "Cookie: sid=$COOKIE"
run "rare-character search fragment" "/rarechars?pinyin=yan" -H "HX-Request: true"
read -r WCOOKIE APP CITY < <(PYTHONPATH=. $PY bench/wizard_session.py "http://127.0.0.1:$PORT")
run "报名信息填写 page, candidate with a draft" "/apply/$APP/info" -H "Cookie: sid=$WCOOKIE"
run "site-list fragment (htmx)" "/apply/$APP/sites?city=$CITY" -H "Cookie: sid=$WCOOKIE" -H "HX-Request: true"
# How long one candidate waits for the list after choosing a city: at 50 connections p99 is mostly the queue
# of 49 other requests ahead (50 × ~0.5 ms), so the answer time is measured with one and with ten in flight.
CONNS=1 run "site-list fragment (htmx)" "/apply/$APP/sites?city=$CITY" -H "Cookie: sid=$WCOOKIE" -H "HX-Request: true"
CONNS=10 run "site-list fragment (htmx)" "/apply/$APP/sites?city=$CITY" -H "Cookie: sid=$WCOOKIE" -H "HX-Request: true"
