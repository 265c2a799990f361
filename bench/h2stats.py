#!/usr/bin/env python3
"""h2load output checks and per-request latency percentiles for the bench scripts.

  h2stats.py check OUTPUT BYTES_PER_REQUEST [--timed]
                                              every request done, succeeded, HTTP 2xx, none failed/errored/timed
                                              out, and exactly BYTES_PER_REQUEST DATA bytes each; prints requests done.
                                              --timed (h2load -D): requests still in flight when the time is up may
                                              have brought their headers and DATA but not their end; they are allowed
  h2stats.py percentiles LOG...               from h2load --log-file (start us, status, elapsed us per request):
                                              prints "count p50_us p99_us sum_us" (nearest rank); all must be 200
"""
import math
import re
import sys


def check(output_path, per_request, timed):
    text = open(output_path, encoding="utf-8", errors="replace").read()
    req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", text)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    traffic = re.search(r"traffic: .*? \((\d+)\) data", text)
    if not (req and codes and traffic):
        sys.exit("h2load output lacks the requests/status codes/traffic lines")
    total, started, done, succeeded, failed, errored, timeout = map(int, req.groups())
    ok2xx = int(codes.group(1))
    data = int(traffic.group(1))
    problems = []
    if done == 0:
        problems.append("no request finished")
    in_flight = started - done if timed else 0
    if succeeded != done or not done <= ok2xx <= done + in_flight:
        problems.append(f"{done} done but {succeeded} succeeded and {ok2xx} with 2xx ({in_flight} in flight at the end)")
    if not timed and total != done:
        problems.append(f"{total} requested but {done} done")
    if failed or errored or timeout:
        problems.append(f"{failed} failed, {errored} errored, {timeout} timed out")
    expected = done * per_request
    if not expected <= data <= expected + (ok2xx - done) * per_request:
        problems.append(f"{data} DATA bytes for {done} requests, expected {expected}"
                        + (f" (+ up to {(ok2xx - done) * per_request} from unfinished ones)" if ok2xx > done else ""))
    if problems:
        sys.exit("h2load: " + "; ".join(problems))
    print(done)


def percentiles(paths):
    values = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split("\t")
                if len(parts) < 3:
                    continue
                if parts[1] != "200":
                    sys.exit(f"{path}: a request ended with HTTP status {parts[1]}")
                values.append(int(parts[2]))
    if not values:
        sys.exit("no requests in the log")
    values.sort()

    def rank(p):
        return values[max(0, math.ceil(p / 100 * len(values)) - 1)]

    print(len(values), rank(50), rank(99), sum(values))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "check":
        check(sys.argv[2], int(sys.argv[3]), "--timed" in sys.argv[4:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "percentiles":
        percentiles(sys.argv[2:])
    else:
        sys.exit(__doc__)
