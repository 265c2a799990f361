#!/usr/bin/env bash
# The whole benchmark: core (bench/core.sh), gateway (bench/gateway.sh) and profiles (bench/profile.sh) into one
# results directory, then docs/benchmarks.md and docs/benchmarks.png from it (bench/report.py).
#
#   bench/run.sh            full (~20 min): first waits up to 10 min for the 1-minute load average to drop below 0.7
#   QUICK=1 bench/run.sh    about two minutes, one round, for development
#   PROFILE=0 bench/run.sh  without the perf profiles
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export RESULTS="${RESULTS:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$RESULTS"
echo "$([ "$QUICK" = 1 ] && echo 'QUICK=1 ')bench/run.sh" >"$RESULTS/command.txt"

# Build once (the build itself loads the machine), then wait for quiet once for all three parts.
init_results
build_all
wait_for_quiet
export SKIP_BUILD=1 QUIET_WAITED=1 WAITED_FOR_QUIET
trap - EXIT
cleanup

"$BENCH_DIR/core.sh"
"$BENCH_DIR/gateway.sh"
if [ "${PROFILE:-1}" = 1 ]; then
  "$BENCH_DIR/profile.sh"
fi
"$PY" "$BENCH_DIR/report.py" "$RESULTS" --doc "$ROOT/docs/benchmarks.md" --chart "$ROOT/docs/benchmarks.png"
log "done: $RESULTS -> docs/benchmarks.md, docs/benchmarks.png"
