#!/usr/bin/env bash
# Start N streamlit processes of the map app on loopback and nginx in front of them.
#
#   deploy/run_local.sh                 # 2 app processes on 8601-8602, nginx on 8600
#   APPS=3 PROXY_PORT=9000 APP_PORT=9001 deploy/run_local.sh
#
# Everything listens on 127.0.0.1 only. Ctrl-C (or SIGTERM) stops nginx and every app process
# this script started. nginx comes from Debian; it is installed only when missing and only
# when we are root (apt-get install -y nginx-light). Logs and the generated nginx.conf go to
# $RUN_DIR (default: a new temporary directory).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
APPS="${APPS:-2}"
PROXY_PORT="${PROXY_PORT:-8600}"
APP_PORT="${APP_PORT:-8601}"
PY="${PY:-python3}"
RUN_DIR="${RUN_DIR:-$(mktemp -d -t gaoyao-deploy.XXXXXX)}"
# fewer glibc malloc arenas: memory returns closer to baseline after load (loadtest/RESULTS.md)
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

if ! command -v nginx >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "nginx missing: apt-get install -y nginx-light" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  else
    echo "nginx is not installed (Debian: apt-get install -y nginx-light)" >&2
    exit 2
  fi
fi
if [ "$APPS" -lt 1 ] || [ "$APPS" -gt 8 ]; then echo "APPS must be 1..8" >&2; exit 2; fi

mkdir -p "$RUN_DIR/tmp"
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  if [ -f "$RUN_DIR/nginx.pid" ]; then kill "$(cat "$RUN_DIR/nginx.pid")" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$PY" -m layers.assets >/dev/null 2>&1 || true   # Leaflet into static/vendor (offline)

UPSTREAMS=""
for i in $(seq 0 $((APPS - 1))); do
  port=$((APP_PORT + i))
  (cd "$ROOT" && exec "$PY" -m streamlit run streamlit_app.py \
      --server.headless true --server.address 127.0.0.1 --server.port "$port" \
      --browser.gatherUsageStats false) >"$RUN_DIR/app-$port.log" 2>&1 &
  PIDS+=("$!")
  UPSTREAMS="${UPSTREAMS}        server 127.0.0.1:${port} max_fails=3 fail_timeout=10s;
"
done

sed -e "s|@RUN@|$RUN_DIR|g" -e "s|@LISTEN@|$PROXY_PORT|g" "$HERE/nginx.conf.template" \
  | awk -v up="$UPSTREAMS" '{ if ($0 == "@UPSTREAMS@") printf "%s", up; else print }' \
  > "$RUN_DIR/nginx.conf"
nginx -t -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" 2>"$RUN_DIR/nginx-test.log" \
  || { cat "$RUN_DIR/nginx-test.log" >&2; exit 1; }

# wait for every app process to be healthy (at most 60 s)
for i in $(seq 0 $((APPS - 1))); do
  port=$((APP_PORT + i))
  for _ in $(seq 1 300); do
    if "$PY" - "$port" <<'PYEOF' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_stcore/health", timeout=1)
PYEOF
    sleep 0.2
  done
done

nginx -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "daemon off;" 2>>"$RUN_DIR/error.log" &
PIDS+=("$!")
echo "ready: http://127.0.0.1:${PROXY_PORT}/ ($APPS app processes, logs in $RUN_DIR)"
wait -n "${PIDS[@]}"
echo "a process exited; stopping the rest (logs in $RUN_DIR)" >&2
