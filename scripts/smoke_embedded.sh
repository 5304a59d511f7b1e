#!/usr/bin/env bash
# Smoke-test the zero-configuration path that `make run` takes: no DATABASE_URL,
# no REDIS_URL, so the settings start an embedded PostgreSQL. It lives in a
# fresh temporary directory (never the developer's var/pgdata) and is stopped
# and removed at the end, on failure too.
#
#   scripts/smoke_embedded.sh        (from the repository root or anywhere)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=.venv/bin/python
[[ -x $PY ]] || { echo "smoke: $PY missing; run 'make install' first" >&2; exit 1; }

unset DATABASE_URL REDIS_URL DJANGO_SETTINGS_MODULE
export DJANGO_SETTINGS_MODULE=mamagang.settings.local

# Short path on purpose: the server's unix socket lives in the data directory
# and socket paths are limited to ~100 characters.
tmp=$(mktemp -d /tmp/mmg.XXXX)
export MAMAGANG_PGDATA="$tmp/pgdata"
server_pid=""

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -f $MAMAGANG_PGDATA/PG_VERSION ]]; then
        make -s db-stop || echo "smoke: could not stop the embedded PostgreSQL in $MAMAGANG_PGDATA" >&2
    fi
    if [[ $rc -ne 0 && -f $tmp/runserver.log ]]; then
        echo "--- runserver log (last 60 lines) ---" >&2
        tail -n 60 "$tmp/runserver.log" >&2 || true
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "smoke: embedded PostgreSQL in $MAMAGANG_PGDATA"
$PY manage.py migrate --noinput
$PY manage.py demo_load

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "smoke: runserver on 127.0.0.1:$port"
$PY manage.py runserver "127.0.0.1:$port" --noreload >"$tmp/runserver.log" 2>&1 &
server_pid=$!

SMOKE_BASE="http://127.0.0.1:$port" SMOKE_SERVER_PID=$server_pid $PY - <<'PY'
import os
import sys
import time
import urllib.error
import urllib.request

base = os.environ["SMOKE_BASE"]
server_pid = int(os.environ["SMOKE_SERVER_PID"])


def get(path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


deadline = time.monotonic() + 60
while True:
    try:
        os.kill(server_pid, 0)
    except ProcessLookupError:
        sys.exit("smoke: runserver exited before answering")
    try:
        status, body = get("/")
        if status == 200:
            break
        last = f"HTTP {status}"
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        last = str(exc)
    if time.monotonic() > deadline:
        sys.exit(f"smoke: GET / did not return 200 within 60 s (last: {last})")
    time.sleep(0.5)

if "妈妈岗" not in body:
    sys.exit("smoke: GET / returned 200 but the page does not contain 妈妈岗")
print("smoke: GET / -> 200, page contains 妈妈岗")

status, body = get("/health/")
if status != 200:
    sys.exit(f"smoke: GET /health/ -> {status}: {body[:300]}")
print(f"smoke: GET /health/ -> 200 {body.strip()[:200]}")
PY

echo "smoke: OK"
