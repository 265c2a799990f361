#!/usr/bin/env bash
# Core benchmark: the Ferry gRPC server (TestService, bench/Ferry.Bench server) loaded by the Ferry client
# (Ferry.Bench client) and by h2load, in interleaved rounds. The server is pinned to CPU $SERVER_CPU, the load
# generator to CPU $LOAD_CPU. A real gRPC client (ferry interop-client) checks the server before and after.
#
#   bench/core.sh              full: 3 rounds, 10 s unary and ping-pong, 3 x 256 MiB stream, 3 x 64 MiB bidi echo
#   QUICK=1 bench/core.sh      about a minute: 1 round, shorter runs, one bulk transfer each
#
# Measured per round:
#   ferry-client  one client process per round: unary calls/s (16 connections x 32 streams, 100-byte messages,
#                 p50/p99), bidi ping-pong messages/s (16 x 32 streams), server stream MiB/s (256 MiB as 64 KiB
#                 messages), bidi echo MiB/s (64 MiB of 64 KiB messages each way); the server's CPU per call, read
#                 by the client from /proc at the edges of each measured window
#   h2load        unary calls/s at -c 16 -m 32 (p50/p99 from its per-request log), the same stream and echo
# Results: bench/results/<time>/results.tsv (+ raw/); bench/report.py turns them into docs/benchmarks.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# SERVER_WARMUP: h2load load on the fresh server before round 1; CLIENT_WARMUP: unmeasured load from each Ferry
# client process before its first scenario. Both are JIT-compiled .NET processes, which reach their steady speed only
# after tens of seconds of load (tiered compilation); WARMUP: load before each measured window.
if [ "$QUICK" = 1 ]; then
  ROUNDS="${ROUNDS:-1}" DURATION="${DURATION:-3}" WARMUP="${WARMUP:-1}" REPEAT="${REPEAT:-1}"
  SERVER_WARMUP="${SERVER_WARMUP:-3}" CLIENT_WARMUP="${CLIENT_WARMUP:-0}"
else
  ROUNDS="${ROUNDS:-3}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}" REPEAT="${REPEAT:-3}"
  SERVER_WARMUP="${SERVER_WARMUP:-45}" CLIENT_WARMUP="${CLIENT_WARMUP:-25}"
fi
CONNECTIONS=16 STREAMS=32
PORT="${CORE_PORT:-61050}"

init_results
log "core benchmark -> $RESULTS (rounds=$ROUNDS duration=${DURATION}s repeat=$REPEAT)"
build_all
"${BENCH[@]}" bodies --out "$WORK/bodies"
source "$WORK/bodies/expect.env"
wait_for_quiet
write_machine core

[ -z "$(ss -Hltn "sport = :$PORT")" ] || die "port $PORT is taken"
start_pinned core-server "$SERVER_CPU" "${BENCH[@]}" server --port "$PORT"
SERVER_PID=$STARTED_PID
wait_listening core-server "$SERVER_PID" "$PORT"
interop_check core-before "$PORT"
URL="http://127.0.0.1:$PORT/grpc.testing.TestService"
h2load_run core-server-warmup "$UNARY_RESPONSE_BYTES" -D "$SERVER_WARMUP" -c "$CONNECTIONS" -m "$STREAMS" \
  -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$URL/UnaryCall"

ferry_client_round() {
  local round="$1" out line scenario
  out="$RESULTS/raw/core-r$round-ferry-client.txt"
  taskset -c "$LOAD_CPU" "${BENCH[@]}" client --port "$PORT" --scenario all -c "$CONNECTIONS" -s "$STREAMS" \
    --duration "$DURATION" --warmup "$WARMUP" --initial-warmup "$CLIENT_WARMUP" --repeat "$REPEAT" \
    --server-pid "$SERVER_PID" --clock-ticks "$CLK_TCK" >"$out" 2>&1 || { cat "$out" >&2; die "ferry client (round $round)"; }
  for scenario in unary pingpong stream bidi; do
    line="$(grep "^RESULT scenario=$scenario " "$out")" || die "ferry client printed no $scenario result"
    # shellcheck disable=SC2046
    local $(echo "${line#RESULT }" | tr ' ' '\n' | grep -E '^(rate|p50_us|p99_us|server_cpu_us|mib_per_s)=')
    case "$scenario" in
      unary|pingpong)
        record core "$round" ferry-client "${scenario}_rate" "$rate"
        record core "$round" ferry-client "${scenario}_p50_us" "$p50_us"
        record core "$round" ferry-client "${scenario}_p99_us" "$p99_us"
        record core "$round" ferry-client "${scenario}_server_cpu_us" "$server_cpu_us"
        log "round $round ferry-client $scenario: $rate/s p50 ${p50_us}us p99 ${p99_us}us"
        ;;
      *)
        record core "$round" ferry-client "${scenario}_mib_s" "$mib_per_s"
        log "round $round ferry-client $scenario: $mib_per_s MiB/s"
        ;;
    esac
    unset rate p50_us p99_us server_cpu_us mib_per_s
  done
}

h2load_round() {
  local round="$1" ticks count p50 p99 sum
  h2load_run "core-r$round-warmup" "$UNARY_RESPONSE_BYTES" -D "$WARMUP" -c "$CONNECTIONS" -m "$STREAMS" \
    -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$URL/UnaryCall"
  ticks=$(cpu_ticks "$SERVER_PID")
  h2load_run "core-r$round-unary" "$UNARY_RESPONSE_BYTES" -D "$DURATION" -c "$CONNECTIONS" -m "$STREAMS" \
    -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$URL/UnaryCall"
  ticks=$(($(cpu_ticks "$SERVER_PID") - ticks))
  read -r count p50 p99 sum < <(h2load_percentiles "$H2_LOG")
  record core "$round" h2load unary_rate "$(echo "$H2_DONE $DURATION" | awk '{printf "%.1f", $1 / $2}')"
  record core "$round" h2load unary_p50_us "$p50"
  record core "$round" h2load unary_p99_us "$p99"
  record core "$round" h2load unary_server_cpu_us "$(echo "$ticks $CLK_TCK $H2_DONE" | awk '{printf "%.1f", $1 * 1e6 / $2 / $3}')"
  log "round $round h2load unary: $((H2_DONE / DURATION))/s p50 ${p50}us p99 ${p99}us"

  h2load_run "core-r$round-stream" "$STREAM_RESPONSE_BYTES" -n "$REPEAT" -c 1 -m 1 \
    -d "$WORK/bodies/stream.bin" "${GRPC_HEADERS[@]}" "$URL/StreamingOutputCall"
  read -r count p50 p99 sum < <(h2load_percentiles "$H2_LOG")
  record core "$round" h2load stream_mib_s "$(echo "$count $STREAM_PAYLOAD_BYTES $sum" | awk '{printf "%.1f", $1 * $2 / 1048576 / ($3 / 1e6)}')"

  h2load_run "core-r$round-bidi" "$BIDI_RESPONSE_BYTES" -n "$REPEAT" -c 1 -m 1 \
    -d "$WORK/bodies/bidi.bin" "${GRPC_HEADERS[@]}" "$URL/FullDuplexCall"
  read -r count p50 p99 sum < <(h2load_percentiles "$H2_LOG")
  record core "$round" h2load bidi_mib_s "$(echo "$count $BIDI_PAYLOAD_BYTES $sum" | awk '{printf "%.1f", $1 * $2 / 1048576 / ($3 / 1e6)}')"
}

for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then
    ferry_client_round "$round"; h2load_round "$round"
  else
    h2load_round "$round"; ferry_client_round "$round"
  fi
done

interop_check core-after "$PORT"
record core 0 server peak_rss_kib "$(peak_rss_kib "$SERVER_PID")"
grep -h '^LISTENING' "$RESULTS/raw/core-server.log" | sed 's/^/# server: /' >>"$RESULTS/machine-core.env"
stop_process "$SERVER_PID"
record_load_at_end core
log "core benchmark done: $TSV"
echo "$RESULTS"
