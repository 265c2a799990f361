#!/usr/bin/env python3
"""Turns one benchmark run (bench/results/<time>/) into docs/benchmarks.md and docs/benchmarks.png.

  report.py RESULTS_DIR [--doc docs/benchmarks.md] [--chart docs/benchmarks.png]

Every number comes from RESULTS_DIR/results.tsv (script, round, config, metric, value); tables give the median
over the rounds and the min-max. The hand-written analysis between the <!-- analysis --> markers of an existing
document is kept. Needs python3-matplotlib for the chart.
"""
import argparse
import os
import statistics
import sys
from collections import defaultdict

ANALYSIS_BEGIN = "<!-- analysis:begin (kept by bench/report.py across runs) -->"
ANALYSIS_END = "<!-- analysis:end -->"
PROXIES = ["ferry", "nginx", "haproxy"]
NAMES = {"direct": "direct", "ferry": "Ferry", "nginx": "nginx", "haproxy": "HAProxy",
         "ferry-client": "Ferry client", "h2load": "h2load"}


def load(results):
    data = defaultdict(list)        # (script, config, metric) -> [values in round order]
    by_round = defaultdict(dict)    # (script, metric) -> {(round, config): value}
    with open(os.path.join(results, "results.tsv"), encoding="utf-8") as f:
        for line in f:
            script, rnd, config, metric, value = line.rstrip("\n").split("\t")
            data[(script, config, metric)].append(float(value))
            by_round[(script, metric)][(int(rnd), config)] = float(value)
    return data, by_round


def read_env(path):
    env, notes = {}, []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            line = line.rstrip("\n")
            if line.startswith("# "):
                notes.append(line[2:])
            elif "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env, notes


def med(values):
    return statistics.median(values) if values else None


def fmt(v, kind):
    if v is None:
        return "–"
    if kind == "rate":
        return f"{v:,.0f}"
    if kind == "us":
        return f"{v / 1000:,.2f} ms" if v >= 10000 else f"{v:,.0f} µs"
    if kind == "cpu":
        return f"{v:,.1f} µs"
    if kind == "mib":
        return f"{v:,.0f}"
    if kind == "mb":
        return f"{v / 1024:,.1f} MB"
    if kind == "bytes":
        return f"{v:,.0f} B"
    if kind == "x":
        return f"{v:.2f}x"
    return f"{v:,.2f}"


def cell(values, kind):
    if not values:
        return "–"
    m = med(values)
    if len(values) == 1:
        return fmt(m, kind)
    return f"{fmt(m, kind)} ({fmt(min(values), kind)}–{fmt(max(values), kind)})"


def added(by_round, metric, config):
    """Per-round difference to direct (the rounds are interleaved, so each pair ran minutes apart at most)."""
    rows = by_round.get(("gateway", metric), {})
    out = []
    for (rnd, cfg), value in sorted(rows.items()):
        if cfg == config and (rnd, "direct") in rows:
            out.append(value - rows[(rnd, "direct")])
    return out


def core_section(data, out):
    c = lambda cfg, metric, kind: cell(data.get(("core", cfg, metric), []), kind)
    out.append("| | Ferry client → Ferry server | h2load → Ferry server |")
    out.append("|---|---|---|")
    out.append(f"| unary calls/s (16 connections x 32 streams, 100-byte messages) | {c('ferry-client', 'unary_rate', 'rate')} | {c('h2load', 'unary_rate', 'rate')} |")
    out.append(f"| unary p50 latency | {c('ferry-client', 'unary_p50_us', 'us')} | {c('h2load', 'unary_p50_us', 'us')} |")
    out.append(f"| unary p99 latency | {c('ferry-client', 'unary_p99_us', 'us')} | {c('h2load', 'unary_p99_us', 'us')} |")
    out.append(f"| server CPU per unary call | {c('ferry-client', 'unary_server_cpu_us', 'cpu')} | {c('h2load', 'unary_server_cpu_us', 'cpu')} |")
    out.append(f"| bidi ping-pong messages/s (16 x 32 streams, 100 bytes each way) | {c('ferry-client', 'pingpong_rate', 'rate')} | – (h2load cannot) |")
    out.append(f"| ping-pong p50 / p99 round trip | {c('ferry-client', 'pingpong_p50_us', 'us')} / {c('ferry-client', 'pingpong_p99_us', 'us')} | – |")
    out.append(f"| server stream MiB/s (256 MiB as 64 KiB messages) | {c('ferry-client', 'stream_mib_s', 'mib')} | {c('h2load', 'stream_mib_s', 'mib')} |")
    out.append(f"| bidi echo MiB/s (64 MiB of 64 KiB messages each way) | {c('ferry-client', 'bidi_mib_s', 'mib')} | {c('h2load', 'bidi_mib_s', 'mib')} |")
    rss = data.get(("core", "server", "peak_rss_kib"), [])
    if rss:
        out.append(f"\nPeak RSS of the server at the end of the run: {fmt(rss[0], 'mb')}.")


GATEWAY_ROWS = [
    ("unary calls/s (16 x 32)", "unary_rate", "rate"),
    ("unary p50", "unary_p50_us", "us"),
    ("unary p99", "unary_p99_us", "us"),
    ("one stream p50", "single_p50_us", "us"),
    ("one stream p99", "single_p99_us", "us"),
    ("server stream MiB/s (256 MiB)", "stream_mib_s", "mib"),
    ("bidi echo MiB/s (64 MiB each way)", "bidi_mib_s", "mib"),
    ("proxy CPU per unary call", "proxy_cpu_us", "cpu"),
    ("… of it in the kernel", "proxy_sys_cpu_us", "cpu"),
    ("backend CPU per unary call", "backend_cpu_us", "cpu"),
    ("proxy peak RSS under load", "peak_rss_kib", "mb"),
]


def gateway_section(data, by_round, configs, out):
    g = lambda cfg, metric: data.get(("gateway", cfg, metric), [])
    out.append("| | " + " | ".join(NAMES[c] for c in configs) + " |")
    out.append("|---" * (len(configs) + 1) + "|")
    for label, metric, kind in GATEWAY_ROWS:
        out.append(f"| {label} | " + " | ".join(cell(g(c, metric), kind) for c in configs) + " |")
        if metric == "single_p99_us":
            for pct in ("p50", "p99"):
                out.append(f"| latency added, one stream {pct} | " + " | ".join(
                    "–" if c == "direct" else cell(added(by_round, f"single_{pct}_us", c), "us") for c in configs) + " |")
    out.append("")
    out.append("Relative to direct (medians; direct = 1.00):")
    out.append("")
    out.append("| | " + " | ".join(NAMES[c] for c in configs if c != "direct") + " |")
    out.append("|---" * len(configs) + "|")
    for label, metric, kind in GATEWAY_ROWS[:7]:
        base = med(g("direct", metric))
        if not base:
            continue
        out.append(f"| {label} | " + " | ".join(
            fmt(med(g(c, metric)) / base, "x") if g(c, metric) else "–" for c in configs if c != "direct") + " |")
    base = med(g("direct", "backend_cpu_us"))
    if base:
        out.append("| backend CPU per call | " + " | ".join(
            fmt(med(g(c, "backend_cpu_us")) / base, "x") if g(c, "backend_cpu_us") else "–" for c in configs if c != "direct") + " |")


def goals(data, by_round):
    """Issue 3 §5: each goal, Ferry's value, what it is compared with, the ratio and PASS or behind."""
    g = lambda cfg, metric: med(data.get(("gateway", cfg, metric), []))
    rows = []
    if not all(g(c, "unary_rate") for c in PROXIES):
        return rows

    def better(metric, higher_is_better):
        vals = {c: g(c, metric) for c in ("nginx", "haproxy") if g(c, metric) is not None}
        pick = max(vals, key=vals.get) if higher_is_better else min(vals, key=vals.get)
        return pick, vals[pick]

    who, best = better("unary_rate", True)
    ferry = g("ferry", "unary_rate")
    rows.append(("small-unary calls/s ≥ 1.5x the better of nginx and HAProxy", fmt(ferry, "rate"),
                 f"{NAMES[who]} {fmt(best, 'rate')}", ferry / best, ferry >= 1.5 * best, "≥ 1.50x"))
    who, best = better("unary_p99_us", False)
    ferry = g("ferry", "unary_p99_us")
    rows.append(("unary p99 (16 x 32) no worse than theirs (the better of the two)", fmt(ferry, "us"),
                 f"{NAMES[who]} {fmt(best, 'us')}", ferry / best, ferry <= best, "≤ 1.00x"))
    for pct in ("p50", "p99"):
        ferry = med(added(by_round, f"single_{pct}_us", "ferry"))
        nginx = med(added(by_round, f"single_{pct}_us", "nginx"))
        if ferry is not None and nginx is not None:
            ratio = ferry / nginx if nginx > 0 else None
            rows.append((f"one-stream added latency ({pct}) below nginx's", fmt(ferry, "us"), f"nginx {fmt(nginx, 'us')}",
                         ratio, ferry < nginx, "< 1.00x"))
    ferry, nginx = g("ferry", "stream_mib_s"), g("nginx", "stream_mib_s")
    rows.append(("server stream MiB/s ≥ 0.95x nginx's", fmt(ferry, "mib"), f"nginx {fmt(nginx, 'mib')}", ferry / nginx,
                 ferry >= 0.95 * nginx, "≥ 0.95x"))
    ferry, hap = g("ferry", "proxy_cpu_us"), g("haproxy", "proxy_cpu_us")
    rows.append(("proxy CPU per call at or below HAProxy's", fmt(ferry, "cpu"), f"HAProxy {fmt(hap, 'cpu')}", ferry / hap,
                 ferry <= hap, "≤ 1.00x"))
    ferry, hap = g("ferry", "peak_rss_kib"), g("haproxy", "peak_rss_kib")
    rows.append(("peak RSS under load ≤ 2x HAProxy's", fmt(ferry, "mb"), f"HAProxy {fmt(hap, 'mb')}", ferry / hap,
                 ferry <= 2 * hap, "≤ 2.00x"))
    return rows


def chart(data, by_round, configs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [
        ("unary calls/s (16 x 32)", "unary_rate", 1, None),
        ("unary p99, ms (16 x 32)", "unary_p99_us", 1e-3, None),
        ("one-stream latency added, µs (p50)", "single_p50_us", 1, "added"),
        ("server stream MiB/s (256 MiB)", "stream_mib_s", 1, None),
        ("bidi echo MiB/s (64 MiB)", "bidi_mib_s", 1, None),
        ("CPU per unary call, µs (proxy + backend)", "cpu", 1, "stack"),
        ("proxy peak RSS, MB", "peak_rss_kib", 1 / 1024, None),
    ]
    colors = {"direct": "#888888", "ferry": "#1f77b4", "nginx": "#2ca02c", "haproxy": "#d62728"}
    fig, axes = plt.subplots(2, 4, figsize=(16, 7.5))
    for ax, (title, metric, scale, mode) in zip(axes.flat, panels):
        shown = [c for c in configs if not (mode in ("added",) or metric == "peak_rss_kib") or c != "direct"]
        xs = range(len(shown))
        if mode == "stack":
            proxy = [(med(data.get(("gateway", c, "proxy_cpu_us"), [])) or 0) for c in shown]
            backend = [(med(data.get(("gateway", c, "backend_cpu_us"), [])) or 0) for c in shown]
            ax.bar(xs, backend, color="#bbbbbb", label="backend")
            ax.bar(xs, proxy, bottom=backend, color=[colors[c] for c in shown], label="proxy")
            ax.legend(fontsize=8)
        else:
            vals, lo, hi = [], [], []
            for c in shown:
                v = added(by_round, metric, c) if mode == "added" else data.get(("gateway", c, metric), [])
                v = [x * scale for x in v] or [0]
                m = med(v)
                vals.append(m)
                lo.append(m - min(v))
                hi.append(max(v) - m)
            ax.bar(xs, vals, yerr=[lo, hi], capsize=4, color=[colors[c] for c in shown])
        ax.set_xticks(list(xs), [NAMES[c] for c in shown])
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes.flat[-1].axis("off")
    axes.flat[-1].text(0, 0.5, "bars: median of the rounds\nwhiskers: min–max\nh2load on CPU 0;\nbackend and proxy on CPU 1",
                       fontsize=10, va="center")
    fig.suptitle("Ferry gateway vs nginx grpc_pass vs HAProxy (h2) — same backend, same run", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--doc", default="docs/benchmarks.md")
    parser.add_argument("--chart", default="docs/benchmarks.png")
    args = parser.parse_args()
    data, by_round = load(args.results)
    core_env, core_notes = read_env(os.path.join(args.results, "machine-core.env"))
    gw_env, gw_notes = read_env(os.path.join(args.results, "machine-gateway.env"))
    env = gw_env or core_env
    command = open(os.path.join(args.results, "command.txt"), encoding="utf-8").read().strip() \
        if os.path.exists(os.path.join(args.results, "command.txt")) else "bench/run.sh"
    configs = [c for c in ["direct", "ferry", "nginx", "haproxy"] if any(k[0] == "gateway" and k[1] == c for k in data)]
    section_rounds = {}
    for (section, _), rows in by_round.items():
        section_rounds[section] = max([section_rounds.get(section, 0)] + [r for (r, _) in rows])
    rounds = ", ".join(f"{section} {count}" for section, count in sorted(section_rounds.items())) or "0"

    previous = open(args.doc, encoding="utf-8").read() if os.path.exists(args.doc) else ""
    analysis = ""
    if ANALYSIS_BEGIN in previous and ANALYSIS_END in previous:
        analysis = previous.split(ANALYSIS_BEGIN, 1)[1].split(ANALYSIS_END, 1)[0].strip("\n")

    out = ["# Benchmarks", ""]
    out.append("Produced by `bench/` and nothing else: every number below was measured in the run described here and "
               "written by `bench/report.py` from that run's `results.tsv`. Each cell is the **median over the rounds, "
               "with the min–max in brackets**. MiB/s counts payload bytes in one direction.")
    out.append("")
    out.append("## The run")
    out.append("")
    out.append(f"- Command: `{command}`{' (quick mode: not for comparison)' if env.get('quick') == '1' else ''}")
    dirty = int(env.get("uncommitted_files", "0") or 0)
    out.append(f"- Date (UTC): {env.get('date_utc', '?')}; rounds: {rounds}; built from the working tree at commit "
               f"{env.get('commit', '?')}" + (f", which then held {dirty} uncommitted or new files under src/ or bench/" if dirty else ""))
    build = env.get("ferry_gateway_build", "jit")
    out.append("- Ferry gateway: " + ("compiled ahead of time (native, as run in production; `FERRY_AOT=0` measures the JIT build)"
                                      if build == "native" else "the JIT-compiled build (`FERRY_AOT=0`)"))
    out.append(f"- Machine: {env.get('cpu_model', '?')}, {env.get('cpus', '?')} cores (KVM guest), {env.get('kernel', '?')}, "
               f"loopback only; .NET SDK {env.get('dotnet', '?')}; {env.get('h2load', '?')}; nginx {env.get('nginx', '?')}; "
               f"HAProxy {env.get('haproxy', '?')}")
    loads = []
    for name, e in (("core", core_env), ("gateway", gw_env)):
        if e:
            loads.append(f"{name}: {e.get('load_at_start', '?')} at start"
                         f"{', ' + e['load_at_end'] + ' at end' if 'load_at_end' in e else ''}")
    waited = max(int(core_env.get("waited_for_quiet_s", 0) or 0), int(gw_env.get("waited_for_quiet_s", 0) or 0))
    out.append(f"- Load average (1/5/15 min): {'; '.join(loads)}"
               f"{f' (waited {waited} s for the 1-minute load to fall below 0.7 first)' if waited else ''}. The benchmark's "
               "own processes count towards the load at the end; a high load at the start means other work on this VM "
               "shared the cores during the run.")
    out.append(f"- Pinning: backend and proxy on CPU 1 (`taskset -c 1`), load generator (h2load or the Ferry client) "
               f"and the interop checks on CPU 0.")
    for note in core_notes + gw_notes:
        out.append(f"- {note}")
    out.append("")

    out.append("## Core: Ferry server (issue 2 §6)")
    out.append("")
    out.append("`bench/core.sh`: `Ferry.Bench server` (grpc.testing.TestService on Kestrel h2c; max message 64 MiB; "
               "Kestrel: no data-rate minimums, 1000 streams per connection, 4 MiB connection / 1 MiB stream windows) "
               "loaded by `Ferry.Bench client` (16 `GrpcChannel`s = 16 TCP connections, 32 calls or streams each, latency "
               "in a log-bucket histogram) and by h2load (`-c 16 -m 32` with a framed `SimpleRequest` body, p50/p99 from "
               "its `--log-file`). Each Ferry client run checks every status and byte count; each h2load run must end with "
               "every request done, HTTP 200 and exactly the expected DATA bytes; `ferry interop-client` checks grpc-status "
               "before and after.")
    out.append("")
    core_section(data, out)
    out.append("")

    if configs:
        out.append("## Gateway: Ferry vs nginx vs HAProxy (issue 3 §5)")
        out.append("")
        out.append("`bench/gateway.sh`: one backend (`Ferry.Bench server`), reached directly and through each proxy; the "
                   "configurations are interleaved, their order rotated each round, and each proxy is started fresh for "
                   "each measurement (so its peak RSS is its own). Load generator: h2load. Before and after each "
                   "measurement `ferry interop-client` (large_unary, server_streaming, ping_pong, custom_metadata, "
                   "status_code_and_message) passes through the same path. CPU per call is utime+stime from "
                   "`/proc/PID/stat` over the measured unary run divided by its calls; peak RSS is `VmHWM` (summed over "
                   "nginx's master and worker).")
        out.append("")
        gateway_section(data, by_round, configs, out)
        out.append("")
        rows = goals(data, by_round)
        if rows:
            out.append("### Goals")
            out.append("")
            out.append("| goal | Ferry | compared with | ratio | target | status |")
            out.append("|---|---|---|---|---|---|")
            for goal, ferry, other, ratio, ok, target in rows:
                shown = "–" if ratio is None else f"{ratio:.2f}x"
                out.append(f"| {goal} | {ferry} | {other} | {shown} | {target} | {'**PASS**' if ok else '**behind**'} |")
            out.append("")
        warm = sorted({int(m[len("warmup_rate_"):-1]) for (sc, c, m) in data if sc == "gateway" and c == "ferry" and m.startswith("warmup_rate_")})
        if warm:
            out.append("Ferry's calls/s (16 x 32) in 5-second steps after each start, before its measurement (median of the "
                       "rounds; the measured window follows this warm-up):")
            out.append("")
            out.append("| seconds after start | " + " | ".join(f"{t - 5}–{t}" for t in warm) + " |")
            out.append("|---" * (len(warm) + 1) + "|")
            out.append("| calls/s | " + " | ".join(fmt(med(data[("gateway", "ferry", f"warmup_rate_{t}s")]), "rate") for t in warm) + " |")
            out.append("")
        alloc = data.get(("gateway", "ferry", "alloc_bytes_per_call"), [])
        gcs = data.get(("gateway", "ferry", "gcs_per_1k_calls"), [])
        if alloc:
            g = lambda m: data.get(("gateway", "ferry", m), [])
            out.append(f"Inside the Ferry gateway (its own /metrics around the measured runs): **{cell(alloc, 'bytes')} allocated per "
                       f"forwarded call** (`dotnet_gc_heap_total_allocated_bytes_total`), {cell(gcs, 'num')} garbage collections "
                       f"per 1,000 calls, {cell(g('threadpool_items_per_call'), 'num')} thread-pool work items per call at 16 x 32 and "
                       f"{cell(g('single_threadpool_items_per_call'), 'num')} at one stream (`dotnet_thread_pool_work_item_count_total`); "
                       f"after the load the GC had {cell(g('gc_committed_kib'), 'mb')} committed for "
                       f"{cell(g('gc_heap_after_gc_kib'), 'mb')} of heap live after the last collection.")
            out.append("")
        out.append("![benchmark chart](benchmarks.png)")
        out.append("")

    out.append("## Where Ferry is behind, and why")
    out.append("")
    out.append(ANALYSIS_BEGIN)
    out.append(analysis or "_No analysis written for this run yet._")
    out.append(ANALYSIS_END)
    out.append("")

    profiles = [p for p in PROXIES if os.path.exists(os.path.join(args.results, f"profile-{p}.txt"))]
    if profiles:
        out.append("### Profiles (bench/profile.sh, same run)")
        out.append("")
        for p in profiles:
            text = open(os.path.join(args.results, f"profile-{p}.txt"), encoding="utf-8").read().rstrip()
            out.append(f"<details><summary>{NAMES[p]}</summary>")
            out.append("")
            out.append("```")
            out.append(text)
            out.append("```")
            out.append("</details>")
            out.append("")

    out.append("## How the proxies were configured")
    out.append("")
    out.append("All three run on the same core as the backend, with one worker or thread; all keep backend connections "
               "open and multiplexed, have no message or body size cap, log nothing per request and have timeouts longer "
               "than any transfer.")
    out.append("")
    out.append("- **Ferry**: `Ferry.Bench gateway` hosts `GatewayHost` (what `ferry gateway` runs) with one route to one "
               "cluster, shipped defaults (1000 streams per client connection, 4 MiB / 1 MiB HTTP/2 windows, multiple "
               "upstream connections when the backend's stream limit is reached, outlier detection), the access log off "
               "(as nginx's and HAProxy's are) and /metrics on an admin port. GC: workstation with background "
               "collections (what `ferry` ships). Server GC cannot be chosen on this layout: a process whose affinity is one CPU gets "
               "workstation GC even with `DOTNET_gcServer=1` (the gateway reports `gc=workstation cpus=1` in both cases). "
               "Like `ferry`, `Ferry.Bench` raises the shared ArrayPool to 1024 arrays per size "
               "(`DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION`) and runs without dynamic PGO "
               "(`TieredPGO` false: under sustained load hot code stayed in PGO's instrumented tier). Upstream calls go "
               "through Ferry's own HTTP/2 client (`Ferry.Grpc.Http2`), not HttpClient. "
               + ("Compiled ahead of time (`-p:FerryAot=true`, as the README recommends for production) with a 4 MiB "
                  "gen0 budget; it runs at full speed from the start (warm-up table above)."
                  if build == "native" else
                  "JIT-compiled (`FERRY_AOT=0`): each fresh gateway gets a longer warm-up than the native proxies (table "
                  "above), as it tiers up under load."))
    out.append("- **nginx**: `worker_processes 1`; `listen ... http2`; upstream `keepalive 1000`, `keepalive_requests "
               "1000000000`, `keepalive_timeout 1h`; the same two on the client side; `client_max_body_size 0`; "
               "`http2_max_concurrent_streams 1000`; `http2_body_preread_size 1m` (the client's stream window); "
               "`http2_chunk_size 64k`; `grpc_buffer_size 1m`; `access_log off`; run in the foreground with its own pid "
               "and error log in /tmp.")
    out.append("- **HAProxy**: `nbthread 1`; `mode http`; `bind ... proto h2` and `server ... proto h2`; `http-reuse always` "
               "(every stream may share a backend connection); `tune.h2.initial-window-size 1048576`; "
               "`tune.h2.max-concurrent-streams 1000`; `tune.bufsize 65536`; one-hour timeouts; no `log` lines.")
    out.append("")
    for name, fence in (("nginx.conf", "nginx"), ("haproxy.cfg", "haproxy")):
        path = os.path.join(args.results, name)
        if os.path.exists(path):
            out.append(f"<details><summary>{name} as run</summary>")
            out.append("")
            out.append("```" + fence)
            out.append(open(path, encoding="utf-8").read().rstrip())
            out.append("```")
            out.append("</details>")
            out.append("")

    out.append("## Reproducing")
    out.append("")
    out.append("```sh")
    out.append("bench/run.sh                # full: waits for load < 0.7, core + gateway + profiles, ~20 min, rewrites this file")
    out.append("QUICK=1 bench/run.sh        # about two minutes, 1 round, for development (marks the document as quick)")
    out.append("bench/core.sh; bench/gateway.sh; bench/profile.sh   # one part; results in bench/results/<time>/")
    out.append("bench/report.py bench/results/<time>                 # the document from a results directory")
    out.append("```")
    out.append("")
    os.makedirs(os.path.dirname(os.path.abspath(args.doc)), exist_ok=True)
    with open(args.doc, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    if configs:
        chart(data, by_round, configs, args.chart)
    print(args.doc)


if __name__ == "__main__":
    sys.exit(main())
