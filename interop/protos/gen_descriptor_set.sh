#!/usr/bin/env bash
# Regenerates interop/python/interop_descriptors.pb (the FileDescriptorSet the
# Python peers build their message classes from) after editing the protos.
# Uses $PROTOC, else protoc on PATH, else the one in the Grpc.Tools NuGet
# package. With --check, only verifies that the committed file is current.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/../python/interop_descriptors.pb"

PROTOC="${PROTOC:-}"
if [ -z "$PROTOC" ]; then
  if command -v protoc > /dev/null; then
    PROTOC=protoc
  else
    PROTOC="$(ls -d "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/grpc.tools/*/tools/linux_x64/protoc 2>/dev/null | sort -V | tail -1)"
  fi
fi
if [ -z "$PROTOC" ]; then
  echo "no protoc found (set PROTOC)" >&2
  exit 1
fi

TMP="$(mktemp)"
trap 'rm -f "$TMP"' EXIT
"$PROTOC" -I"$HERE" --include_imports --descriptor_set_out="$TMP" "$HERE/test.proto"

if [ "${1:-}" = "--check" ]; then
  # Compare the decoded sets: byte layout may differ between protoc versions.
  /usr/bin/python3 - "$TMP" "$OUT" <<'EOF'
import sys
from google.protobuf import descriptor_pb2
a, b = (descriptor_pb2.FileDescriptorSet.FromString(open(p, "rb").read()) for p in sys.argv[1:3])
for fds in (a, b):
    for f in fds.file:
        f.ClearField("source_code_info")
if a != b:
    sys.exit("interop_descriptors.pb is stale: run interop/protos/gen_descriptor_set.sh")
print("interop_descriptors.pb is current")
EOF
else
  cp "$TMP" "$OUT"
  echo "wrote $OUT"
fi
