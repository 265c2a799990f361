#!/usr/bin/env bash
# Runs Ferry's whole test suite on a fresh Debian machine: installs the real peers the tests talk to
# (Python grpcio from Debian, Node grpc-js from npm, nginx and HAProxy), builds, tests, and prints "N passed, N failed".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DEBIAN_FRONTEND=noninteractive

missing=()
dpkg -s python3-grpcio >/dev/null 2>&1 || missing+=(python3-grpcio)
dpkg -s python3-prometheus-client >/dev/null 2>&1 || missing+=(python3-prometheus-client)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v cc >/dev/null 2>&1 || missing+=(gcc)        # links the ahead-of-time compiled ferry
dpkg -s libc6-dev >/dev/null 2>&1 || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d interop/node/node_modules/@grpc/grpc-js ]; then
  (cd interop/node && npm ci --no-audit --no-fund --loglevel=error)
fi

results="$root/artifacts/test-results"
rm -rf "$results"
status=0
# The ahead-of-time compiled ferry that tests/Ferry.Tests runs, published before the tests so it does not compete
# with them for the CPU.
case "$(uname -m)" in aarch64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
echo "test.sh: publishing ferry ahead of time ($rid)" >&2
dotnet publish src/Ferry/Ferry.csproj -c Release -r "$rid" -p:FerryAot=true -o "$root/artifacts/native" -nologo -v quiet -clp:ErrorsOnly
export FERRY_NATIVE="$root/artifacts/native/ferry"
dotnet test Ferry.sln -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

# The summary line is counted from the TRX results, not from console text.
/usr/bin/python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find(f"{ns}ResultSummary/{ns}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
