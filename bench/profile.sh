#!/usr/bin/env bash
# Where each proxy's CPU goes under the small-unary load of bench/gateway.sh (h2load 16 connections x 32 streams,
# same backend, same pinning): perf samples (cpu-clock, the only event this VM offers) of the proxy's processes,
# by shared object and by symbol. So that perf can name .NET methods, the Ferry gateway runs here with
# DOTNET_PerfMapEnabled=1 (a map of JIT-compiled code) and DOTNET_EnableWriteXorExecute=0 (code in plain anonymous
# memory, where perf looks the map up); it is warmed up longer first, so that hot code has been re-compiled at tier 1
# (precompiled framework code that was not shows by assembly only). It also samples its allocations by type
# (GCAllocationTick events, in-process) and reports them when stopped. libcoreclr.so has no symbols in
# the runtime package, so the runtime's own share is shown as one line. The gateway profiled is the JIT build
# (FERRY_AOT=0; the perf map names its methods), the same code as the native one bench/gateway.sh measures.
# (dotnet-trace collect-linux also works here but names ReadyToRun code "?", so perf is used.)
# Output: $RESULTS/profile-<proxy>.txt, read by bench/report.py.
#
#   bench/profile.sh                        ferry, nginx and haproxy, 8 s of samples each
#   PROFILE_CONFIGS=ferry PROFILE_SECONDS=15 bench/profile.sh
FERRY_AOT=0
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$BENCH_DIR/proxies.sh"

read -r -a PROFILE_LIST <<<"${PROFILE_CONFIGS:-ferry nginx haproxy}"
SAMPLE_SECONDS="${PROFILE_SECONDS:-$([ "$QUICK" = 1 ] && echo 3 || echo 8)}"
CONNECTIONS=16 STREAMS=32
WARMUP_SECONDS="${PROFILE_WARMUP:-$([ "$QUICK" = 1 ] && echo 3 || echo 45)}"

init_results
command -v perf >/dev/null || die "perf is not installed (Debian: linux-perf)"
build_all
"${BENCH[@]}" bodies --out "$WORK/bodies"
source "$WORK/bodies/expect.env"
write_proxy_configs
wait_for_quiet

start_pinned prof-backend "$SERVER_CPU" "${BENCH[@]}" server --port "$BACKEND_PORT"
BACKEND_PID=$STARTED_PID
wait_listening prof-backend "$BACKEND_PID" "$BACKEND_PORT"

for config in "${PROFILE_LIST[@]}"; do
  PROXY_ENV="DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 ${PROFILE_ENV:-}" FERRY_ARGS=--sample-allocations \
    start_proxy "$config" profile
  url="http://127.0.0.1:$PROXY_PORT/grpc.testing.TestService/UnaryCall"
  h2load_run "profile-$config-warmup" "$UNARY_RESPONSE_BYTES" -D "$WARMUP_SECONDS" -c "$CONNECTIONS" -m "$STREAMS" -d "$WORK/bodies/unary.bin" "${GRPC_HEADERS[@]}" "$url"

  # Load for longer than the sampling, which starts a second in and stops before the load does.
  taskset -c "$LOAD_CPU" h2load -D $((SAMPLE_SECONDS + 3)) -c "$CONNECTIONS" -m "$STREAMS" -d "$WORK/bodies/unary.bin" \
    "${GRPC_HEADERS[@]}" "$url" >"$RESULTS/raw/h2load-profile-$config.txt" 2>&1 &
  load_pid=$!
  sleep 1
  pids=$(process_tree "$PROXY_PID" | paste -sd,)
  ticks0=$(cpu_ticks "$PROXY_PID") sys0=$(cpu_ticks "$PROXY_PID" system)
  taskset -c "$LOAD_CPU" perf record -e cpu-clock -F 999 -g -p "$pids" -o "$WORK/perf-$config.data" -- sleep "$SAMPLE_SECONDS" \
    >"$RESULTS/raw/perf-record-$config.log" 2>&1 || die "perf record ($config)"
  ticks1=$(cpu_ticks "$PROXY_PID") sys1=$(cpu_ticks "$PROXY_PID" system)
  wait "$load_pid" || die "h2load during profiling ($config)"
  {
    echo "# $config under h2load -c $CONNECTIONS -m $STREAMS UnaryCall; perf record -e cpu-clock -F 999 -g for ${SAMPLE_SECONDS} s"
    echo "# $(grep -E '^(finished|requests):' "$RESULTS/raw/h2load-profile-$config.txt" | paste -sd' ')"
    echo "# proxy CPU while sampled: $(((ticks1 - ticks0) * 1000 / CLK_TCK)) ms, of it system (kernel) $(((sys1 - sys0) * 1000 / CLK_TCK)) ms"
    perf report -i "$WORK/perf-$config.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null >"$WORK/perf-$config.txt"
    echo "## self time by component"
    "$PY" "$BENCH_DIR/perfsummary.py" <"$WORK/perf-$config.txt"
    echo "## self time by symbol (top 30)"
    awk '/^ +[0-9]/ && n++ < 30 {print substr($0, 1, 220)}' "$WORK/perf-$config.txt"
    echo "## inclusive time (with callees) by symbol (top 30)"
    perf report -i "$WORK/perf-$config.data" --children --sort sym --stdio -g none 2>/dev/null >"$WORK/perf-$config-children.txt"
    awk '/^ +[0-9]/ && n++ < 30 {print substr($0, 1, 220)}' "$WORK/perf-$config-children.txt"
  } >"$RESULTS/profile-$config.txt"
  if [ "$config" = ferry ]; then
    # The same for the server stream (256 MiB as 64 KiB messages, back to back): where a byte copy's CPU goes.
    taskset -c "$LOAD_CPU" h2load -n 64 -c 1 -m 1 -d "$WORK/bodies/stream.bin" "${GRPC_HEADERS[@]}" \
      "http://127.0.0.1:$PROXY_PORT/grpc.testing.TestService/StreamingOutputCall" >"$RESULTS/raw/h2load-profile-$config-stream.txt" 2>&1 &
    load_pid=$!
    sleep 1
    taskset -c "$LOAD_CPU" perf record -e cpu-clock -F 999 -g -p "$PROXY_PID" -o "$WORK/perf-$config-stream.data" -- sleep 4 \
      >"$RESULTS/raw/perf-record-$config-stream.log" 2>&1 || die "perf record ($config, stream)"
    kill "$load_pid" 2>/dev/null || true
    wait "$load_pid" 2>/dev/null || true
    perf report -i "$WORK/perf-$config-stream.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null >"$WORK/perf-$config-stream.txt"
    {
      echo "## server stream (h2load StreamingOutputCall, 256 MiB each): self time by component"
      "$PY" "$BENCH_DIR/perfsummary.py" <"$WORK/perf-$config-stream.txt"
      echo "## server stream: self time by symbol (top 20)"
      awk '/^ +[0-9]/ && n++ < 20 {print substr($0, 1, 220)}' "$WORK/perf-$config-stream.txt"
    } >>"$RESULTS/profile-$config.txt"
  fi
  stop_process "$PROXY_PID"
  if [ "$config" = ferry ]; then
    rm -f "/tmp/perf-$PROXY_PID.map" "/tmp/perfinfo-$PROXY_PID.map"
    {
      echo "## allocations by type over warm-up and sampling (Ferry.Bench gateway --sample-allocations)"
      awk '/^allocation samples/ {on = 1} on {print substr($0, 1, 200)}' "$RESULTS/raw/gw-ferry-profile.log"
    } >>"$RESULTS/profile-$config.txt"
  fi
  log "profile of $config: $RESULTS/profile-$config.txt"
done

stop_process "$BACKEND_PID"
echo "$RESULTS"
