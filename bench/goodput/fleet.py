#!/usr/bin/env python3
"""Fleet pacing (issue #16): the goodput job spread over "machines", each a proxy of its own.

The job of BENCHMARKS.md's goodput table — 600 chat completions from worker processes that
share one key, each worker running the openai SDK with its own retries (way (b)) — against
`ratedoctor mock --rpm 360 --tpm 48000 --latency 250`, where every worker talks to a
`ratedoctor watch --pace --retry 3` of its own, as if each ran on its own machine:

  (e)   4 proxies, each pacing alone
  (f)   4 proxies sharing one ledger: `--share redis://…` (a redis-server of the script's own)
  (d)   one proxy for all 4 workers (what one machine gets today)
  (e16) (f16)  the same with 16 proxies and 16 workers (38 requests each: 608 in all)

Then the time `--share` adds to a request when nothing holds it: sequential requests
through `watch --pace` with and without `--share`, to an emulator with limits nothing
reaches and no latency; p50 and p99 of each, and their difference.

Each run starts a fresh emulator (and Redis). Medians of RUNS runs, rows interleaved.
Writes the table into BENCHMARKS.md between <!-- fleet:begin --> and <!-- fleet:end -->
and the per-run figures to bench/results/fleet.json. Called by bench/fleet.sh.
"""

import argparse
import datetime
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the goodput bench: emulator, theoretical minimum, commit)
import client  # noqa: E402

ROWS = {
    "e": (4, False, "(e) 4 proxies `--pace --retry 3`, each pacing alone"),
    "f": (4, True, "(f) 4 proxies `--pace --retry 3 --share redis://…`"),
    "d": (1, False, "(d) one proxy `--pace --retry 3` for the 4 workers"),
    "e16": (16, False, "(e16) 16 proxies, each pacing alone"),
    "f16": (16, True, "(f16) 16 proxies `--share redis://…`"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(out_dir, tag):
    exe = shutil.which("redis-server")
    if not exe:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    log = open(os.path.join(out_dir, f"redis-{tag}.log"), "w")
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    end = time.time() + 10
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, f"redis://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"redis-server did not start (see {log.name})")


def start_proxy(args, upstream, share, log_path, retry=True):
    cmd = [args.bin, "watch", "--no-tui", "--pace", "--listen", "127.0.0.1:0",
           "--upstream", f"openai={upstream}"]
    if retry:
        cmd += ["--retry", str(args.retry)]
    if share:
        cmd += ["--share", share]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        log.write(line)
        if "proxy listening on " in line:
            base = line.split("proxy listening on ", 1)[1].split()[0]
            break
    else:
        proc.kill()
        sys.exit(f"a proxy did not start (see {log_path})")

    def drain():  # the rest of its stderr (warnings, the summary) goes to its log
        for rest in proc.stderr:
            log.write(rest)
        log.close()

    threading.Thread(target=drain, daemon=True).start()
    return proc, base


def stop_all(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def one_run(args, row, i):
    proxies, share, _ = ROWS[row]
    workers, requests = shape(args, proxies)
    tag = f"{row}-{i}"
    out = args.out_dir
    mock, url = bench.start_mock(args, os.path.join(out, f"mock-{tag}.log"))
    procs, redis = [], None
    try:
        ledger = None
        if share:
            redis, ledger = start_redis(out, tag)
        bases = []
        for k in range(proxies):
            p, base = start_proxy(args, url, ledger, os.path.join(out, f"proxy-{tag}-{k}.log"))
            procs.append(p)
            bases.append(base + "/v1")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env["OPENAI_API_KEY"] = client.API_KEY
        env["BENCH_WORKER_BASE_URLS"] = ",".join(bases)
        summary_path = os.path.join(out, f"client-{tag}.json")
        cmd = [args.python, os.path.join(HERE, "client.py"), "--way", "sdk",
               "--workers", str(workers), "--requests", str(requests),
               "--max-tokens", str(args.max_tokens), "--out", summary_path]
        with open(os.path.join(out, f"out-{tag}.log"), "w") as log:
            rc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            sys.exit(f"{row} run {i} exited with {rc}: see {out}/out-{tag}.log")
        with open(summary_path) as f:
            s = json.load(f)
        st = bench.mock_state(url)
    finally:
        stop_all(procs)
        if redis:
            stop_all([redis])
        bench.stop(mock)
    first_call = st["started_at"] + st["first_call_s"]
    s["first_call_s"] = first_call - s["go"]
    s["from_first_s"] = s["end"] - first_call
    s["upstream_calls"] = st["requests"]
    s["upstream_ok"] = st["ok"]
    s["wasted"] = st["requests"] - st["ok"]
    return s


def shape(args, proxies):
    """(workers, requests per worker): one worker per proxy, at least 4, about 600 in all."""
    workers = max(4, proxies)
    return workers, math.ceil(args.requests / workers)


def t_min_for(args, proxies):
    workers, requests = shape(args, proxies)
    a = argparse.Namespace(**vars(args))
    a.workers, a.requests = workers, requests
    t_min, n, _, _ = bench.theoretical_min(a)
    return t_min, n


def latency(args):
    """Milliseconds per request through `watch --pace` alone and with `--share`, nothing
    held: (p50, p99) of each, measured in alternating blocks."""
    a = argparse.Namespace(**vars(args))
    a.rpm, a.tpm, a.latency_ms = 10_000_000, 1_000_000_000, 0
    out = args.out_dir
    mock, url = bench.start_mock(a, os.path.join(out, "mock-latency.log"))
    redis, ledger = start_redis(out, "latency")
    alone, alone_base = start_proxy(args, url, None, os.path.join(out, "proxy-latency-alone.log"), retry=False)
    shared, shared_base = start_proxy(args, url, ledger, os.path.join(out, "proxy-latency-shared.log"), retry=False)
    body = json.dumps({"model": client.MODEL, "max_tokens": 5,
                       "messages": [{"role": "user", "content": "hi"}]})
    headers = {"content-type": "application/json",
               "authorization": f"Bearer {client.API_KEY}"}
    times = {"alone": [], "shared": []}
    try:
        conns = {}
        for name, base in (("alone", alone_base), ("shared", shared_base)):
            host, port = base.removeprefix("http://").split(":")
            conns[name] = http.client.HTTPConnection(host, int(port), timeout=10)
        for block in range(args.latency_requests // 50):
            for name in ("alone", "shared") if block % 2 == 0 else ("shared", "alone"):
                c = conns[name]
                for _ in range(50):
                    t0 = time.perf_counter()
                    c.request("POST", "/v1/chat/completions", body=body, headers=headers)
                    r = c.getresponse()
                    r.read()
                    if r.status != 200:
                        sys.exit(f"latency: {name} answered {r.status}")
                    times[name].append((time.perf_counter() - t0) * 1000)
    finally:
        stop_all([alone, shared, redis])
        bench.stop(mock)

    def pct(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    return {name: {"p50": pct(v, 0.50), "p99": pct(v, 0.99), "n": len(v)} for name, v in times.items()}


def fmt_row(label, runs, t_min, n):
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    ratios = sorted(r["total_s"] / t_min for r in runs)
    most = lambda key: max(r[key] for r in runs)  # noqa: E731
    return (
        f"| {label} | {n} | **{med('total_s') / t_min:.3f}×** ({ratios[0]:.3f}–{ratios[-1]:.3f}) "
        f"| {med('total_s'):.2f} s | {med('from_first_s') / t_min:.3f}× "
        f"| {med('http_429'):.0f} (≤ {most('http_429')}) "
        f"| {med('wasted'):.0f} = {100 * med('wasted') / n:.1f} % (≤ {most('wasted')}) "
        f"| {med('failed'):.0f} (≤ {most('failed')}) | {med('ok'):.0f} |"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--requests", type=int, default=600, help="in all")
    ap.add_argument("--rpm", type=int, default=360)
    ap.add_argument("--tpm", type=int, default=48000)
    ap.add_argument("--max-tokens", type=int, default=100)
    ap.add_argument("--latency-ms", type=int, default=250)
    ap.add_argument("--retry", type=int, default=3)
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--latency-requests", type=int, default=2000)
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "bench", "out", "fleet"))
    ap.add_argument("--markdown", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--command", default="bench/fleet.sh")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    bench._PY[0] = args.python
    os.makedirs(args.out_dir, exist_ok=True)
    rows = [r for r in args.rows.split(",") if r]
    for r in rows:
        if r not in ROWS:
            sys.exit(f"unknown row {r!r}; rows: {', '.join(ROWS)}")
    commit = bench.git_commit()
    started = time.time()
    results = {r: [] for r in rows}
    for i in range(args.runs):
        for r in rows:
            t_min, n = t_min_for(args, ROWS[r][0])
            s = one_run(args, r, i)
            results[r].append(s)
            print(f"  {r:4s} run {i + 1}: {s['total_s']:6.2f} s = {s['total_s'] / t_min:.3f}× minimum, "
                  f"{s['http_429']} 429s seen, {s['wasted']} wasted calls, {s['failed']} failed",
                  flush=True)
    lat = latency(args)
    print(f"  latency: {json.dumps(lat)}", flush=True)
    doc = {"commit": commit, "command": args.command, "results": results, "latency": lat}
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    if not args.no_write:
        with open(os.path.join(ROOT, "bench", "results", "fleet.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")

    lines = []
    for r in rows:
        t_min, n = t_min_for(args, ROWS[r][0])
        lines.append(fmt_row(ROWS[r][2], results[r], t_min, n))
    added50 = lat["shared"]["p50"] - lat["alone"]["p50"]
    added99 = lat["shared"]["p99"] - lat["alone"]["p99"]
    t4, n4 = t_min_for(args, 4)
    t16, n16 = t_min_for(args, 16)
    pyver = subprocess.run([args.python, "-c", "import platform; print(platform.python_version())"],
                           capture_output=True, text=True).stdout.strip()
    redis_ver = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()
    redis_ver = next((w.split("=", 1)[1] for w in redis_ver if w.startswith("v=")), "?")
    body = "\n".join([
        "## Fleet pacing: many machines, one key",
        "",
        f"The goodput job ({n4} chat completions, `max_tokens={args.max_tokens}`) against "
        f"`ratedoctor mock --rpm {args.rpm} --tpm {args.tpm} --latency {args.latency_ms}`, each "
        f"worker process (the openai SDK with its own retries, way (b) above) sending through a "
        f"proxy of its own as if each ran on its own machine; the workers start together. The "
        f"limits allow it in **{t4:.2f} s** at best ({t16:.2f} s for the {n16} requests of the "
        f"16-worker rows). Medians of {args.runs} runs, range of the ratio in brackets; rows take "
        f"turns within each round.",
        "",
        "| row | requests | time ÷ minimum | time | first call to last answer ÷ minimum | 429s the clients saw (worst run) | wasted calls (worst run) | failed (worst run) | succeeded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *lines,
        "",
        f"Time `--share` adds to a request that nothing holds (`watch --pace` with and without "
        f"`--share`, to an emulator with limits nothing reaches and no latency, "
        f"{lat['alone']['n']} sequential requests each on one kept-alive connection, alternating "
        f"blocks of 50): p50 {lat['alone']['p50']:.2f} ms alone, {lat['shared']['p50']:.2f} ms "
        f"shared → **{added50:+.2f} ms**; p99 {lat['alone']['p99']:.2f} ms alone, "
        f"{lat['shared']['p99']:.2f} ms shared → **{added99:+.2f} ms**.",
        "",
        "- *Wasted calls*: calls the emulator answered with a 429 (requests − ok in its "
        "`/_mock/state`), here the proxies' own retries included, as a share of the requests. "
        "*429s the clients saw*: counted by an httpx hook in each worker.",
        "- *First call to last answer*: the time the pacing decides (before the first call, "
        "each worker builds its requests), over the same minimum.",
        "- (g), LiteLLM proxies sharing Redis, is not in this table: the script does not set "
        "it up.",
        f"- Made by `{args.command}` on {datetime.date.today().isoformat()} at commit `{commit}`, "
        f"{os.cpu_count()} cores, Python {pyver}, openai {bench.pip_version('openai')}, "
        f"redis-server {redis_ver}; per-run figures in `bench/results/fleet.json`. "
        f"{(time.time() - started) / 60:.1f} min in all.",
    ])
    print()
    print(body)
    if args.no_write:
        return
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "md_section.py"), "fleet",
                    args.markdown], input=body, text=True, check=True)
    print("\nwrote the fleet section of BENCHMARKS.md")


if __name__ == "__main__":
    main()
