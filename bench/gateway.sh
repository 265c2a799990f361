#!/usr/bin/env bash
# Gateway benchmark: the same Ferry backend reached directly, through the Ferry gateway, through nginx grpc_pass and
# through HAProxy (h2 on both sides), side by side in one run: configurations interleaved (order rotated each round)
# and repeated. h2load is the independent load generator (pinned to CPU $LOAD_CPU); backend and proxy share CPU
# $SERVER_CPU. Each proxy is started fresh for each measurement (so its peak RSS is its own) and checked by a real
# gRPC client (ferry interop-client) before and after the load.
#
#   bench/gateway.sh            full: 5 rounds, 10 s unary, 5 s one-stream latency, 5 x 256 MiB stream, 5 x 64 MiB echo
#   QUICK=1 bench/gateway.sh    about a minute: 1 round, short runs, one bulk transfer each
#   CONFIGS="direct ferry" ...  a subset
#   FERRY_AOT=0 ...             the JIT-compiled gateway instead of the native one (the default, as in production)
#
# Measured per configuration and round:
#   unary      16 connections x 32 streams of UnaryCall (100-byte request and response): calls/s, p50/p99 from
#              h2load's per-request log; CPU per call of the proxy and of the backend (utime+stime from /proc)
#   one-stream 1 connection, 1 stream: p50/p99 (the latency a proxy adds is this minus direct)
#   stream     StreamingOutputCall, 256 MiB as 64 KiB messages: MiB/s
#   bidi       FullDuplexCall, 1024 x 64 KiB messages each answered by 64 KiB: MiB/s (of one direction)
#   rss        the proxy's peak RSS (VmHWM of all its processes) at the end of its load
#   ferry      bytes allocated, GCs and thread-pool work items per forwarded call (dotnet_gc_heap_total_allocated_
#              bytes_total, dotnet_gc_collections_total, dotnet_thread_pool_work_item_count_total from its /metrics,
#              before and after the unary and the one-stream runs); the GC's committed memory and live heap after load
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$BENCH_DIR/proxies.sh"

# WARMUP: load before each measurement. The backend is JIT-compiled: after a start it reaches its steady speed only
# after tens of seconds of load (tiered compilation), so it gets BACKEND_WARMUP seconds once before round 1. Each
# fresh Ferry gateway gets FERRY_WARMUP seconds (in 5 s steps whose rates are recorded: the warm-up curve), long
# for the JIT build (FERRY_AOT=0), short for the native one, which runs at full speed from the start; nginx and
# HAProxy need none beyond WARMUP.
if [ "$QUICK" = 1 ]; then
  ROUNDS="${ROUNDS:-1}" DURATION="${DURATION:-3}" WARMUP="${WARMUP:-1}" LATENCY_DURATION="${LATENCY_DURATION:-2}" REPEAT="${REPEAT:-1}"
  BACKEND_WARMUP="${BACKEND_WARMUP:-3}" FERRY_WARMUP="${FERRY_WARMUP:-5}"
else
  ROUNDS="${ROUNDS:-5}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-3}" LATENCY_DURATION="${LATENCY_DURATION:-5}" REPEAT="${REPEAT:-5}"
  BACKEND_WARMUP="${BACKEND_WARMUP:-45}" FERRY_WARMUP="${FERRY_WARMUP:-$([ "$FERRY_AOT" = 1 ] && echo 10 || echo 60)}"
fi
read -r -a CONFIG_LIST <<<"${CONFIGS:-direct ferry nginx haproxy}"
CONNECTIONS=16 STREAMS=32

init_results
log "gateway benchmark -> $RESULTS (configs=${CONFIG_LIST[*]} rounds=$ROUNDS duration=${DURATION}s repeat=$REPEAT)"
build_all
"${BENCH[@]}" bodies --out "$WORK/bodies"
source "$WORK/bodies/expect.env"
write_proxy_configs

wait_for_quiet
write_machine gateway

start_pinned gw-backend "$SERVER_CPU" "${BENCH[@]}" server --port "$BACKEND_PORT"
BACKEND_PID=$STARTED_PID
wait_listening gw-backend "$BACKEND_PID" "$BACKEND_PORT"
interop_check gw-backend-before "$BACKEND_PORT"
h2load_run gw-backend-warmup "$UNARY_RESPONSE_BYTES" -D "$BACKEND_WARMUP" -c "$CONNECTIONS" -m "$STREAMS" \
  -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "http://127.0.0.1:$BACKEND_PORT/grpc.testing.TestService/UnaryCall"

ferry_metric() { # NAME: sum of a series of the gateway's /metrics (all label sets)
  curl -sf "http://127.0.0.1:$FERRY_ADMIN_PORT/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {printf "%.0f", s}'
}

# When h2load's counts are wrong: what a single call through the same path answers now, and the gateway's view.
on_h2load_failure() {
  echo "--- one UnaryCall through port ${PROXY_PORT:-?} now:"
  nghttp -v -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "http://127.0.0.1:${PROXY_PORT:-0}/grpc.testing.TestService/UnaryCall" 2>&1 | grep -a -E 'recv \(stream|RST_STREAM|GOAWAY' || true
  if [ -n "${PROXY_PID:-}" ] && [[ "${CURRENT_CONFIG:-}" == ferry* ]]; then
    echo "--- ferry gateway /metrics (calls, endpoints):"
    curl -s "http://127.0.0.1:$FERRY_ADMIN_PORT/metrics" | grep -E '^ferry_gateway_(calls_total|endpoint|rejected)' || true
    echo "--- ferry gateway log:"
    tail -20 "$RESULTS/raw/gw-${CURRENT_CONFIG}-r${CURRENT_ROUND:-1}.log"
  fi
}

per_call_us() { echo "$1 $CLK_TCK $2" | awk '{printf "%.2f", $1 * 1e6 / $2 / $3}'; }

measure() { # CONFIG ROUND
  local config="$1" round="$2" url p0 b0 p1 b1 s0 s1 count p50 p99 sum alloc0 alloc1 gc0 gc1 items0
  CURRENT_CONFIG=$config CURRENT_ROUND=$round
  start_proxy "$config" "r$round"
  url="http://127.0.0.1:$PROXY_PORT/grpc.testing.TestService"
  interop_check "$config-r$round-before" "$PROXY_PORT"

  if [[ "$config" == ferry* ]]; then
    local t
    for t in $(seq 5 5 "$FERRY_WARMUP"); do
      h2load_run "$config-r$round-warmup-$t" "$UNARY_RESPONSE_BYTES" -D 5 -c "$CONNECTIONS" -m "$STREAMS" \
        -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$url/UnaryCall"
      record gateway "$round" "$config" "warmup_rate_${t}s" "$(echo "$H2_DONE" | awk '{printf "%.1f", $1 / 5}')"
    done
  fi
  h2load_run "$config-r$round-warmup" "$UNARY_RESPONSE_BYTES" -D "$WARMUP" -c "$CONNECTIONS" -m "$STREAMS" \
    -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$url/UnaryCall"
  if [[ "$config" == ferry* ]]; then
    alloc0=$(ferry_metric dotnet_gc_heap_total_allocated_bytes_total)
    gc0=$(ferry_metric dotnet_gc_collections_total)
    items0=$(ferry_metric dotnet_thread_pool_work_item_count_total)
  fi
  p0=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  s0=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" system || echo 0)
  b0=$(cpu_ticks "$BACKEND_PID")
  h2load_run "$config-r$round-unary" "$UNARY_RESPONSE_BYTES" -D "$DURATION" -c "$CONNECTIONS" -m "$STREAMS" \
    -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$url/UnaryCall"
  p1=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" || echo 0)
  s1=$([ -n "$PROXY_PID" ] && cpu_ticks "$PROXY_PID" system || echo 0)
  b1=$(cpu_ticks "$BACKEND_PID")
  read -r count p50 p99 sum < <(h2load_percentiles "$H2_LOG")
  record gateway "$round" "$config" unary_rate "$(echo "$H2_DONE $DURATION" | awk '{printf "%.1f", $1 / $2}')"
  record gateway "$round" "$config" unary_p50_us "$p50"
  record gateway "$round" "$config" unary_p99_us "$p99"
  record gateway "$round" "$config" backend_cpu_us "$(per_call_us $((b1 - b0)) "$H2_DONE")"
  if [ -n "$PROXY_PID" ]; then
    record gateway "$round" "$config" proxy_cpu_us "$(per_call_us $((p1 - p0)) "$H2_DONE")"
    record gateway "$round" "$config" proxy_sys_cpu_us "$(per_call_us $((s1 - s0)) "$H2_DONE")"
  fi
  if [[ "$config" == ferry* ]]; then
    alloc1=$(ferry_metric dotnet_gc_heap_total_allocated_bytes_total)
    gc1=$(ferry_metric dotnet_gc_collections_total)
    record gateway "$round" "$config" alloc_bytes_per_call "$(echo "$alloc0 $alloc1 $H2_DONE" | awk '{printf "%.0f", ($2 - $1) / $3}')"
    record gateway "$round" "$config" gcs_per_1k_calls "$(echo "$gc0 $gc1 $H2_DONE" | awk '{printf "%.2f", ($2 - $1) * 1000 / $3}')"
    record gateway "$round" "$config" threadpool_items_per_call "$(echo "$items0 $(ferry_metric dotnet_thread_pool_work_item_count_total) $H2_DONE" | awk '{printf "%.2f", ($2 - $1) / $3}')"
    record gateway "$round" "$config" gc_committed_kib "$(echo "$(ferry_metric dotnet_gc_last_collection_memory_committed_size_bytes)" | awk '{printf "%.0f", $1 / 1024}')"
    record gateway "$round" "$config" gc_heap_after_gc_kib "$(echo "$(ferry_metric dotnet_gc_last_collection_heap_size_bytes)" | awk '{printf "%.0f", $1 / 1024}')"
  fi
  log "round $round $config unary: $((H2_DONE / DURATION))/s p50 ${p50}us p99 ${p99}us"

  if [[ "$config" == ferry* ]]; then
    items0=$(ferry_metric dotnet_thread_pool_work_item_count_total)
  fi
  h2load_run "$config-r$round-single" "$UNARY_RESPONSE_BYTES" -D "$LATENCY_DURATION" -c 1 -m 1 \
    -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$url/UnaryCall"
  if [[ "$config" == ferry* ]]; then
    record gateway "$round" "$config" single_threadpool_items_per_call "$(echo "$items0 $(ferry_metric dotnet_thread_pool_work_item_count_total) $H2_DONE" | awk '{printf "%.2f", ($2 - $1) / $3}')"
  fi
  read -r count p50 p99 sum < <(h2load_percentiles "$H2_LOG")
  record gateway "$round" "$config" single_p50_us "$p50"
  record gateway "$round" "$config" single_p99_us "$p99"
  log "round $round $config one stream: p50 ${p50}us p99 ${p99}us"

  h2load_run "$config-r$round-stream" "$STREAM_RESPONSE_BYTES" -n "$REPEAT" -c 1 -m 1 \
    -d "$WORK/bodies/stream.bin" "${GRPC_HEADERS[@]}" "$url/StreamingOutputCall"
  read -r count p50 p99 sum < <(h2load_percentiles "$H2_LOG")
  record gateway "$round" "$config" stream_mib_s "$(echo "$count $STREAM_PAYLOAD_BYTES $sum" | awk '{printf "%.1f", $1 * $2 / 1048576 / ($3 / 1e6)}')"

  h2load_run "$config-r$round-bidi" "$BIDI_RESPONSE_BYTES" -n "$REPEAT" -c 1 -m 1 \
    -d "$WORK/bodies/bidi.bin" "${GRPC_HEADERS[@]}" "$url/FullDuplexCall"
  read -r count p50 p99 sum < <(h2load_percentiles "$H2_LOG")
  record gateway "$round" "$config" bidi_mib_s "$(echo "$count $BIDI_PAYLOAD_BYTES $sum" | awk '{printf "%.1f", $1 * $2 / 1048576 / ($3 / 1e6)}')"
  log "round $round $config bulk: stream $(tail -2 "$TSV" | head -1 | cut -f5) MiB/s, bidi $(tail -1 "$TSV" | cut -f5) MiB/s"

  if [ -n "$PROXY_PID" ]; then
    record gateway "$round" "$config" peak_rss_kib "$(peak_rss_kib "$PROXY_PID")"
  fi
  interop_check "$config-r$round-after" "$PROXY_PORT"
  if [ -n "$PROXY_PID" ]; then
    if [[ "$config" == ferry* ]]; then
      grep -h '^LISTENING' "$RESULTS/raw/gw-$config-r$round.log" | sed 's/^/# ferry gateway: /' >>"$RESULTS/machine-gateway.env"
    fi
    stop_process "$PROXY_PID"
  fi
}

configs=${#CONFIG_LIST[@]}
for round in $(seq 1 "$ROUNDS"); do
  for i in $(seq 0 $((configs - 1))); do
    measure "${CONFIG_LIST[$(((i + round - 1) % configs))]}" "$round"
  done
done

interop_check gw-backend-after "$BACKEND_PORT"
grep -h '^LISTENING' "$RESULTS/raw/gw-backend.log" | sed 's/^/# backend: /' >>"$RESULTS/machine-gateway.env"
stop_process "$BACKEND_PID"
record_load_at_end gateway
log "gateway benchmark done: $TSV"
echo "$RESULTS"
