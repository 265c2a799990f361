# Shared by bench/core.sh, bench/gateway.sh and bench/profile.sh: build, process control, pinning, /proc
# readings, h2load runs with their checks, and the results file. Source it; it sets -euo pipefail.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
PY="${PYTHON:-/usr/bin/python3}"          # Debian's python3 (python3-matplotlib lives there)
QUICK="${QUICK:-0}"
SERVER_CPU="${SERVER_CPU:-1}"              # backend and proxies
LOAD_CPU="${LOAD_CPU:-0}"                  # h2load, the Ferry client, interop checks
BIN="$ROOT/artifacts/bench"                # Release builds of Ferry.Bench and the ferry program, made by build_all
CLK_TCK="$(getconf CLK_TCK)"
GRPC_HEADERS=(-H 'content-type: application/grpc' -H 'te: trailers')
INTEROP_CASES="large_unary,server_streaming,ping_pong,custom_metadata,status_code_and_message"

# Results of this run: RESULTS (a directory under bench/results/ unless given) holds every raw output and
# results.tsv, one measurement a line: script, round, config, metric, value.
init_results() {
  RESULTS="${RESULTS:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}"
  mkdir -p "$RESULTS/raw"
  TSV="$RESULTS/results.tsv"
  touch "$TSV"
  WORK="$(mktemp -d /tmp/ferry-bench.XXXXXX)"
  STARTED_PIDS=()
  trap cleanup EXIT
}

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

record() { # script round config metric value
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$TSV"
}

# At the end of a script: the load average then, which shows whether other work joined during the run.
record_load_at_end() {
  echo "load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/machine-$1.env"
}

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "${WORK:-/nonexistent}"
}

# Builds Ferry.Bench and the ferry program (for interop-client) into artifacts/bench, Release (SKIP_BUILD=1
# reuses the last build). Other builds on the machine share obj/ and may make a copy step fail
# (MSB3026/MSB3030/CS2012): retried.
source_state() {
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD)"
  echo "uncommitted_files=$(git -C "$ROOT" status --porcelain -- src bench/Ferry.Bench 2>/dev/null | wc -l)"
  echo "ferry_gateway_build=$([ "$FERRY_AOT" = 1 ] && echo native || echo jit)"
}

# FERRY_AOT=1 (default): the gateway measured is Ferry.Bench compiled ahead of time, as ferry runs in production
# (README); FERRY_AOT=0 measures the JIT-compiled build. Both builds are made.
FERRY_AOT="${FERRY_AOT:-1}"

build_all() {
  local project out attempt
  BENCH=(dotnet "$BIN/bench/Ferry.Bench.dll")
  FERRY=(dotnet "$BIN/ferry/ferry.dll")
  FERRY_GATEWAY=("${BENCH[@]}")
  if [ "$FERRY_AOT" = 1 ]; then
    FERRY_GATEWAY=("$BIN/bench-aot/Ferry.Bench")
  fi
  if [ "${SKIP_BUILD:-0}" = 1 ] && [ -f "$BIN/bench/Ferry.Bench.dll" ] && [ -f "$BIN/ferry/ferry.dll" ]; then
    log "SKIP_BUILD=1: using the builds in $BIN"
    return
  fi
  for project in bench/Ferry.Bench/Ferry.Bench.csproj:bench src/Ferry/Ferry.csproj:ferry; do
    out="$BIN/${project#*:}"
    for attempt in 1 2 3 4; do
      if dotnet build "$ROOT/${project%%:*}" -c Release -o "$out" -nologo -v quiet -clp:ErrorsOnly >"$WORK/build.log" 2>&1; then
        break
      fi
      if [ "$attempt" = 4 ] || ! grep -qE 'MSB3026|MSB3027|MSB3030|CS2012|being used by another process' "$WORK/build.log"; then
        cat "$WORK/build.log" >&2
        die "build of ${project%%:*}"
      fi
      log "build of ${project%%:*} collided with another build; retrying"
      sleep 5
    done
  done
  if [ "$FERRY_AOT" = 1 ]; then
    dotnet publish "$ROOT/bench/Ferry.Bench/Ferry.Bench.csproj" -c Release -r linux-x64 -p:FerryAot=true -o "$BIN/bench-aot" \
      -nologo -v quiet -clp:ErrorsOnly >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "ahead-of-time build of Ferry.Bench"; }
  fi
  source_state >"$BIN/build.env"
}

# Before a full run: wait (up to 10 minutes) for the 1-minute load average to fall below 0.7, since other
# builds share the machine; the load at start is recorded either way (bench/run.sh waits once for all scripts).
wait_for_quiet() {
  local waited=0
  if [ "$QUICK" != 1 ] && [ "${QUIET_WAITED:-0}" != 1 ]; then
    while awk '{exit !($1 >= 0.7)}' /proc/loadavg && [ "$waited" -lt 600 ]; do
      [ $((waited % 60)) = 0 ] && log "waiting for a quiet machine: load $(cut -d' ' -f1-3 /proc/loadavg)"
      sleep 10
      waited=$((waited + 10))
    done
  fi
  WAITED_FOR_QUIET=$((${WAITED_FOR_QUIET:-0} + waited))
  LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"
  log "load average at start: $LOAD_AT_START"
}

write_machine() {
  {
    echo "date_utc=$(date -u '+%Y-%m-%d %H:%M:%S')"
    echo "cpu_model=$(lscpu | sed -n 's/^Model name: *//p')"
    echo "cpus=$(nproc)"
    echo "kernel=$(uname -sr)"
    echo "dotnet=$(dotnet --version)"
    echo "h2load=$(h2load --version 2>&1 | head -1)"
    echo "nginx=$(nginx -v 2>&1 | sed 's/.*: //')"
    echo "haproxy=$(haproxy -v 2>&1 | head -1 | awk '{print $3}')"
    echo "load_at_start=$LOAD_AT_START"
    echo "waited_for_quiet_s=${WAITED_FOR_QUIET:-0}"
    echo "quick=$QUICK"
    # What the binaries were built from, recorded by build_all: HEAD may have moved on during a long run.
    if [ -f "$BIN/build.env" ]; then cat "$BIN/build.env"; else source_state; fi
  } >"$RESULTS/machine-$1.env"
}

# start_pinned NAME CPU CMD... : starts CMD pinned to CPU, output in raw/NAME.log; sets STARTED_PID.
start_pinned() {
  local name="$1" cpu="$2"
  shift 2
  taskset -c "$cpu" "$@" >"$RESULTS/raw/$name.log" 2>&1 &
  STARTED_PID=$!
  STARTED_PIDS+=("$STARTED_PID")
}

# wait_listening NAME PID PORT : until PORT accepts (and the process still lives), at most 60 s.
wait_listening() {
  local i
  for i in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || { cat "$RESULTS/raw/$1.log" >&2; die "$1 exited during start-up"; }
    if [ -n "$(ss -Hltn "sport = :$3")" ]; then
      return 0
    fi
    sleep 0.1
  done
  die "$1 did not listen on port $3 within 60 s"
}

stop_process() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# The process and its children (nginx: master and worker).
process_tree() {
  local pid="$1" child
  echo "$pid"
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    process_tree "$child"
  done
}

cpu_ticks() { # PID [system] : user+system (or only system) clock ticks of the process tree
  local total=0 pid t fields='$12 + $13'
  [ "${2:-}" = system ] && fields='$13'
  for pid in $(process_tree "$1"); do
    t=$(sed 's/^.*) //' /proc/"$pid"/stat 2>/dev/null | awk "{print $fields}")
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

peak_rss_kib() { # VmHWM summed over the process tree
  local total=0 pid v
  for pid in $(process_tree "$1"); do
    v=$(awk '/^VmHWM:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# interop_check LABEL PORT : the ferry program's interop client (a real gRPC client) must pass every case.
interop_check() {
  local out="$RESULTS/raw/interop-$1.log"
  if ! taskset -c "$LOAD_CPU" "${FERRY[@]}" interop-client --server_port "$2" --test_case "$INTEROP_CASES" >"$out" 2>&1; then
    cat "$out" >&2
    die "interop check $1 (port $2)"
  fi
  grep -q '^5 passed, 0 failed' "$out" || { cat "$out" >&2; die "interop check $1: unexpected summary"; }
}

# h2load_run LABEL EXPECTED_DATA_BYTES_PER_REQUEST H2LOAD-ARGS... : runs h2load pinned to the load CPU with a
# per-request log, then checks that every request finished with HTTP 200 and brought exactly the expected DATA
# bytes (with -D, calls cut off by the end of the time may have brought part of theirs); grpc-status itself is only
# visible to a real client: see interop_check. Sets H2_DONE (requests completed) and H2_LOG.
h2load_run() {
  local label="$1" per_request="$2"
  shift 2
  local out="$RESULTS/raw/h2load-$label.txt" log="$WORK/h2load-$label.log"
  rm -f "$log"
  taskset -c "$LOAD_CPU" h2load --log-file="$log" "$@" >"$out" 2>&1 || { tail -20 "$out" >&2; die "h2load $label exited non-zero"; }
  local timed=""
  case " $* " in *" -D "*) timed=--timed ;; esac
  if ! "$PY" "$BENCH_DIR/h2stats.py" check "$out" "$per_request" $timed >"$WORK/check"; then
    cat "$WORK/check" >&2
    tail -12 "$out" >&2
    if declare -F on_h2load_failure >/dev/null; then on_h2load_failure "$label" >&2 || true; fi
    die "h2load $label: bad result"
  fi
  H2_DONE="$(cat "$WORK/check")"
  H2_LOG="$log"
}

h2load_percentiles() { # LOG -> "count p50_us p99_us sum_us"
  "$PY" "$BENCH_DIR/h2stats.py" percentiles "$1"
}
