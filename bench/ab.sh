#!/usr/bin/env bash
# A/B of the server's CPU per request: a git revision against the working tree, on this noisy shared machine.
#
#   bash bench/ab.sh REV [ROUNDS] [CONNS]        e.g. bash bench/ab.sh HEAD~3 12 1
#
# Both servers run at once (one uvicorn worker each, pinned to core 0) on their own SQLite files with the demo
# data; wrk (core 1) plays short batches against one, then the other, page by page. For each batch the server's
# own CPU time (from /proc) is divided by the requests served; the minimum and the median over the rounds are
# printed. Requests/s move by ±30% between runs here (other tenants, CPU steal), the CPU time per request of
# the best batches much less, and alternating the two trees exposes both to the same conditions.
set -euo pipefail
cd "$(dirname "$0")/.."
REV=${1:?usage: bench/ab.sh REV [ROUNDS] [CONNS]}
ROUNDS=${2:-12}
CONNS=${3:-1}
OLD=$(mktemp -d)
git worktree add -q --detach "$OLD/tree" "$REV"
ln -s "$PWD/.venv" "$OLD/tree/.venv"
declare -A DIR=([old]="$OLD/tree" [new]="$PWD") PORT=([old]=8801 [new]=8802) PID CK WCK APP CITY
cleanup() {
  kill "${PID[old]:-}" "${PID[new]:-}" 2>/dev/null || true
  git worktree remove --force "$OLD/tree" >/dev/null 2>&1 || true
  rm -rf "$OLD"
}
trap cleanup EXIT
for tree in old new; do
  (
    cd "${DIR[$tree]}"
    export APP_ENV=test DATABASE_URL="sqlite://$OLD/$tree.sqlite3" CAPTCHA_FIXED=TEST UPLOAD_DIR="$OLD/$tree-uploads"
    .venv/bin/python -m cli demo >/dev/null
    exec taskset -c 0 .venv/bin/python -m uvicorn --factory app:asgi --host 127.0.0.1 --port "${PORT[$tree]}" \
      --workers 1 --loop asyncio --log-level warning --no-access-log
  ) &
  PID[$tree]=$!
  URL="http://127.0.0.1:${PORT[$tree]}"
  for _ in $(seq 100); do curl -sf "$URL/help" >/dev/null && break; sleep 0.2; done
  CK[$tree]=$(cd "${DIR[$tree]}" && PYTHONPATH=. .venv/bin/python bench/session.py "$URL")
  read -r WCK[$tree] APP[$tree] CITY[$tree] < <(cd "${DIR[$tree]}" && PYTHONPATH=. .venv/bin/python bench/wizard_session.py "$URL")
done
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
batch() {  # tree page path [wrk args]
  local tree=$1 page=$2 path=$3
  shift 3
  local t0 n t1
  t0=$(cpu "${PID[$tree]}")
  n=$(taskset -c 1 wrk -t1 -c"$CONNS" -d2s "$@" "http://127.0.0.1:${PORT[$tree]}$path" | awk '/requests in/ {print $1}')
  t1=$(cpu "${PID[$tree]}")
  echo "$page $tree $(( (t1 - t0) * 10000 / n ))"  # microseconds of CPU per request (/proc counts 10 ms ticks)
}
RESULTS=$(for _ in $(seq "$ROUNDS"); do
  for tree in old new; do
    batch $tree login /login
    batch $tree home / -H "Cookie: sid=${CK[$tree]}"
    batch $tree rarechars "/rarechars?pinyin=yan" -H "HX-Request: true"
    batch $tree info "/apply/${APP[$tree]}/info" -H "Cookie: sid=${WCK[$tree]}"
    batch $tree sites "/apply/${APP[$tree]}/sites?city=${CITY[$tree]}" -H "Cookie: sid=${WCK[$tree]}" -H "HX-Request: true"
  done
done)
echo "server CPU per request (µs), $ROUNDS rounds of 2 s, $CONNS connection(s): $REV (old) against the working tree (new)"
for page in login home rarechars info sites; do
  for tree in old new; do
    sort -n < <(awk -v p=$page -v t=$tree '$1 == p && $2 == t {print $3}' <<<"$RESULTS") |
      awk -v p=$page -v t=$tree '{a[NR] = $1} END {printf "%-10s %s  min %5d  median %5d\n", p, t, a[1], a[int((NR + 1) / 2)]}'
  done
done
