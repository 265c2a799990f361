#!/usr/bin/env python3
"""Self time of a perf profile by component: reads `perf report --no-children --sort dso,sym --stdio -g none`
output on stdin and sums the overhead per .NET assembly (the [Assembly] in perf-map names of JIT-compiled methods)
or per shared object (the kernel, libcoreclr.so: the runtime with its GC, allocator and casting helpers, the JIT).

  perf report ... | perfsummary.py
"""
import re
import sys
from collections import defaultdict

LINE = re.compile(r"^\s+([0-9.]+)%\s+(\S.*?)\s{2,}\[(.)\]\s+(.*)$")
ASSEMBLY = re.compile(r"\[([A-Za-z][\w.]*)\]\s+[\w.`+<>]+::")
LABELS = {
    "libcoreclr.so": "runtime (libcoreclr: GC, allocation, casts, stubs, thread pool)",
    "libclrjit.so": "JIT compiler",
    "[kernel.kallsyms]": "kernel (sockets, scheduling, page faults)",
}

totals = defaultdict(float)
for line in sys.stdin:
    m = LINE.match(line)
    if not m:
        continue
    share, dso, _, sym = float(m.group(1)), m.group(2).strip(), m.group(3), m.group(4)
    if dso.startswith("[JIT]") or dso.startswith("perf-"):
        a = ASSEMBLY.search(sym)
        key = f"managed: {a.group(1)}" if a else "managed: runtime stubs"
    elif dso.endswith(".dll"):
        key = f"managed, precompiled (ReadyToRun): {dso.rsplit('/', 1)[-1][:-4]}"
    else:
        key = LABELS.get(dso, dso)
    totals[key] += share

for key, share in sorted(totals.items(), key=lambda kv: -kv[1]):
    if share >= 0.5:
        print(f"{share:6.1f}%  {key}")
