#!/usr/bin/env bash
# Runs every reference client against every reference server (python, node),
# in plaintext and over mutual TLS with throwaway certificates made by
# gen_test_certs.sh. Prints each client's output; exits non-zero if any
# client run failed. Needs /usr/bin/python3 with python3-grpcio, node, and
# `npm ci` done in interop/node.
#
#   interop/run_matrix.sh [plaintext|tls|all]   (default: all)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
MODE="${1:-all}"
PY=/usr/bin/python3
WORK="$(mktemp -d)"

SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# start_server LANG ARGS... ; sets PORT
start_server() {
  local lang="$1"; shift
  local out="$WORK/server.out"
  : > "$out"
  case "$lang" in
    python) "$PY" "$HERE/python/interop_server.py" "$@" > "$out" 2> "$WORK/server.err" & ;;
    node) node "$HERE/node/interop_server.js" "$@" > "$out" 2> "$WORK/server.err" & ;;
  esac
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 1 100); do
    PORT="$(awk '/^LISTENING /{print $2; exit}' "$out")"
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "server $lang did not report LISTENING" >&2
  cat "$WORK/server.err" >&2
  return 1
}

run_client() {
  local lang="$1"; shift
  case "$lang" in
    python) timeout 300 "$PY" "$HERE/python/interop_client.py" "$@" ;;
    node) timeout 300 node "$HERE/node/interop_client.js" "$@" ;;
  esac
}

FAILED=0
run_pair() {
  local client="$1" server="$2" tls="$3"
  local sargs=() cargs=()
  if [ "$tls" = tls ]; then
    sargs=(--use_tls --cert "$WORK/certs/server.pem" --key "$WORK/certs/server.key" --client_ca "$WORK/certs/ca.pem")
    cargs=(--use_tls --ca_file "$WORK/certs/ca.pem" --server_host_override localhost
           --client_cert "$WORK/certs/client.pem" --client_key "$WORK/certs/client.key")
  fi
  echo "=== $client client -> $server server ($tls)"
  if ! start_server "$server" --port 0 "${sargs[@]}"; then
    FAILED=1
    stop_server
    return
  fi
  if ! run_client "$client" --server_host 127.0.0.1 --server_port "$PORT" --test_case all "${cargs[@]}"; then
    FAILED=1
  fi
  stop_server
}

modes=()
case "$MODE" in
  plaintext) modes=(plaintext) ;;
  tls) modes=(tls) ;;
  all) modes=(plaintext tls) ;;
  *) echo "usage: $0 [plaintext|tls|all]" >&2; exit 2 ;;
esac
for tls in "${modes[@]}"; do
  if [ "$tls" = tls ] && [ ! -f "$WORK/certs/ca.pem" ]; then
    "$HERE/gen_test_certs.sh" "$WORK/certs" > /dev/null || exit 1
  fi
  for client in python node; do
    for server in python node; do
      run_pair "$client" "$server" "$tls"
    done
  done
done
exit $FAILED
