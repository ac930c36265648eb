#!/usr/bin/env python3
"""Goodput under limits: one workload done several ways against `ratedoctor mock`.

Each run starts a fresh emulator (full budgets), runs client.py's launcher one way (for
the ratedoctor way, under `ratedoctor run --pace --retry N`), reads the emulator's
counters, and stops it. Every way runs RUNS times; the table shows medians. The table goes
into BENCHMARKS.md between <!-- goodput:begin --> and <!-- goodput:end --> (bench/md_section.py),
or another with --section (e.g. a job where tokens bind, which the title then says).

Called by bench/goodput.sh, which installs the virtualenv and builds the binary.
"""

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import client  # noqa: E402  (same folder: the prompts and the model)



def start_mock(args, log_path):
    cmd = [
        args.bin, "mock", "--listen", "127.0.0.1:0",
        "--rpm", str(args.rpm), "--tpm", str(args.tpm),
        "--latency", str(args.latency_ms), "--seed", "1",
    ]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("listening on "):
        proc.kill()
        sys.exit(f"the emulator did not start: {line!r} (see {log_path})")
    return proc, line[len("listening on "):]


def mock_state(url):
    """The emulator's counters, and the wall-clock instant its uptime 0 stands for (taken
    in the middle of the request, to a millisecond or so on loopback)."""
    before = time.time()
    with urllib.request.urlopen(url + "/_mock/state", timeout=10) as r:
        st = json.load(r)
    st["started_at"] = (before + time.time()) / 2 - st["uptime_s"]
    return st


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def client_cmd(args, way, out):
    cmd = [
        args.python, os.path.join(HERE, "client.py"),
        "--way", way,
        "--workers", str(args.workers),
        "--requests", str(args.requests),
        "--max-tokens", str(args.max_tokens),
        "--out", out,
    ]
    if way == "cookbook":
        cmd += ["--rpm", str(args.rpm), "--tpm", str(args.tpm)]
    elif way == "cookbook-split":
        cmd[cmd.index("cookbook-split")] = "cookbook"
        cmd += ["--rpm", str(args.rpm / args.workers), "--tpm", str(args.tpm / args.workers)]
    return cmd


WAYS = {
    "seed": "(a) seed guide: SDK `max_retries=0` + tenacity `wait_exponential(min=2, max=60)`, `stop_after_attempt(6)`, `Semaphore(5)`",
    "sdk": "(b) SDK's own retries (`max_retries=2`), `asyncio.gather`, no semaphore",
    "cookbook": "(c) cookbook-style dual token bucket, 15 s pause after a 429; each worker told the key's limits",
    "cookbook-split": "(c') the same, each worker told a quarter of the key's limits (split by hand)",
    "ratedoctor": "(d) client (b) under `ratedoctor run --pace --retry {retry}`",
}


def one_run(args, way, i):
    out_dir = args.out_dir
    tag = f"{way}-{i}"
    mock, url = start_mock(args, os.path.join(out_dir, f"mock-{tag}.log"))
    summary_path = os.path.join(out_dir, f"client-{tag}.json")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env["OPENAI_API_KEY"] = client.API_KEY
        cmd = client_cmd(args, "sdk" if way == "ratedoctor" else way, summary_path)
        if way == "ratedoctor":
            cmd = [
                args.bin, "run", "--pace", "--retry", str(args.retry), "--no-tui",
                "--upstream", f"openai={url}",
                "--record", os.path.join(out_dir, f"run-{tag}.jsonl"),
                "--",
            ] + cmd
        else:
            env["OPENAI_BASE_URL"] = url + "/v1"
        with open(os.path.join(out_dir, f"out-{tag}.log"), "w") as log:
            rc = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        if rc != 0:
            sys.exit(f"{way} run {i} exited with {rc}: see {out_dir}/out-{tag}.log")
        with open(summary_path) as f:
            s = json.load(f)
        st = mock_state(url)
    finally:
        stop(mock)
    # When the first call reached the emulator: the client's own start-up before it, and
    # the stretch from it to the last answer, which the pacing decides.
    first_call = st["started_at"] + st["first_call_s"]
    s["first_call_s"] = first_call - s["go"]
    s["from_first_s"] = s["end"] - first_call
    s["upstream_calls"] = st["requests"]
    s["upstream_ok"] = st["ok"]
    s["wasted"] = st["requests"] - st["ok"]
    return s


def theoretical_min(args):
    """Seconds the limits force: the emulator's buckets start full (capacity = the limit)
    and refill continuously at limit/60 per second, so with N requests costing c each the
    last can be admitted no sooner than (N*c - limit) / (limit/60) after the first; its
    answer comes `latency` later."""
    n = args.workers * args.requests
    tokens = 0
    for w in range(args.workers):
        for i in range(args.requests):
            est = max(1, math.ceil(len(client.prompt(w, i)) / 4))
            tokens += max(est, args.max_tokens)  # OpenAI's charge: max(max_tokens, estimate)
    by_requests = max(0.0, (n - args.rpm) / (args.rpm / 60.0))
    by_tokens = max(0.0, (tokens - args.tpm) / (args.tpm / 60.0))
    return max(by_requests, by_tokens) + args.latency_ms / 1000.0, n, tokens, by_tokens > by_requests


def git_commit():
    """The commit the binary was built from, with a note when the sources differ from it."""
    def git(*a):
        return subprocess.run(["git", "-C", ROOT, *a], capture_output=True, text=True)
    head = git("rev-parse", "--short", "HEAD").stdout.strip() or "unknown"
    dirty = git("diff", "--quiet", "HEAD", "--", "src", "Cargo.toml", "Cargo.lock").returncode != 0
    return head + (" plus uncommitted changes" if dirty else "")


def pip_version(name):
    try:
        out = subprocess.run([args_python(), "-m", "pip", "show", name], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


_PY = [sys.executable]


def args_python():
    return _PY[0]


def fmt_row(label, runs, t_min):
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    ratios = sorted(r["total_s"] / t_min for r in runs)
    return (
        f"| {label} | **{med('total_s') / t_min:.3f}×** ({ratios[0]:.3f}–{ratios[-1]:.3f}) "
        f"| {med('total_s'):.2f} s | {med('first_call_s'):.2f} s "
        f"| {med('from_first_s') / t_min:.3f}× | {med('http_429'):.0f} | {med('wasted'):.0f} "
        f"| {med('failed'):.0f} | {med('ok'):.0f} |"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--requests", type=int, default=150, help="per worker")
    ap.add_argument("--rpm", type=int, default=360)
    ap.add_argument("--tpm", type=int, default=48000)
    ap.add_argument("--max-tokens", type=int, default=100)
    ap.add_argument("--latency-ms", type=int, default=250)
    ap.add_argument("--retry", type=int, default=3)
    ap.add_argument("--ways", default=",".join(WAYS))
    ap.add_argument("--section", default="goodput", help="the marked section of --markdown to write")
    ap.add_argument("--out-dir", help="per-run files (default bench/out/SECTION)")
    ap.add_argument("--markdown", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--command", default="bench/goodput.sh")
    ap.add_argument("--no-write", action="store_true", help="print the table only")
    args = ap.parse_args()
    _PY[0] = args.python
    args.out_dir = args.out_dir or os.path.join(ROOT, "bench", "out", args.section)
    os.makedirs(args.out_dir, exist_ok=True)
    begin, end = f"<!-- {args.section}:begin -->", f"<!-- {args.section}:end -->"
    ways = [w for w in args.ways.split(",") if w]
    for w in ways:
        if w not in WAYS:
            sys.exit(f"unknown way {w!r}; ways: {', '.join(WAYS)}")

    t_min, n, tokens, tokens_bind = theoretical_min(args)
    print(f"workload: {n} requests, {tokens} tokens charged; limits rpm={args.rpm} tpm={args.tpm}; "
          f"theoretical minimum {t_min:.2f} s", flush=True)
    results = {w: [] for w in ways}
    # The commit the binary was built from: read before the runs, which take minutes.
    commit = git_commit()
    started = time.time()
    # Interleave the ways, so a slow spell of the machine does not fall on one way only.
    for i in range(args.runs):
        for w in ways:
            r = one_run(args, w, i)
            results[w].append(r)
            print(f"  {w:15s} run {i + 1}: {r['total_s']:6.2f} s = {r['total_s'] / t_min:.3f}× minimum "
                  f"(first call after {r['first_call_s']:.2f} s, then {r['from_first_s'] / t_min:.3f}×), "
                  f"{r['http_429']} 429s seen, {r['wasted']} wasted calls, {r['failed']} failed",
                  flush=True)
    doc = {"commit": commit, "command": args.command, "t_min": t_min, "results": results}
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    # The per-run figures the table cites, kept in the repository (small JSON), so anyone
    # can recompute the medians.
    kept = os.path.join(ROOT, "bench", "results", f"{args.section}.json")
    if not args.no_write:
        os.makedirs(os.path.dirname(kept), exist_ok=True)
        with open(kept, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")

    rows = [fmt_row(WAYS[w].format(retry=args.retry), results[w], t_min) for w in ways]
    cores = os.cpu_count()
    try:
        cores = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        pass
    today = datetime.date.today().isoformat()
    pyver = subprocess.run([args.python, "-c", "import platform; print(platform.python_version())"],
                           capture_output=True, text=True).stdout.strip()
    if tokens_bind:
        binding = (f"{tokens:,} − {args.tpm:,} tokens charged at {args.tpm / 60:g}/s after the "
                   f"first {args.tpm:,}, {tokens // n} a request: the larger of `max_tokens` and "
                   f"the prompt's estimate, as OpenAI charges (the {n} requests fit in "
                   f"{args.rpm:,} RPM sooner)")
    else:
        binding = (f"{n} − {args.rpm} requests at {args.rpm / 60:g}/s after the first {args.rpm} "
                   f"(the {tokens:,} tokens charged fit in {args.tpm:,} TPM sooner)")
    section = "\n".join([
        begin,
        "## Goodput under limits" + (", where tokens bind" if tokens_bind else ""),
        "",
        f"One job — {n} chat completions (`max_tokens={args.max_tokens}`, prompts of about 10 tokens) "
        f"from {args.workers} worker processes started together, {args.requests} each, sharing one key — "
        f"against `ratedoctor mock --rpm {args.rpm} --tpm {args.tpm} --latency {args.latency_ms}`. "
        f"The emulator's buckets start full and refill continuously at limit/60 a second, so the "
        f"limits allow the job in **{t_min:.2f} s** at best: {binding}, and one answer's latency. "
        f"Time runs from the instant every worker has "
        f"started (interpreter up, SDK imported) to the last answer. Medians of {args.runs} runs, "
        f"range of the ratio in brackets; the ways take turns within each round.",
        "",
        "| way | time ÷ minimum | time | first call reached the server | first call to last answer ÷ minimum | 429s the client saw | wasted calls | failed requests | succeeded |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "- *First call reached the server*: after the common start, by the emulator's clock "
        "(`first_call_s` in `/_mock/state`); before it each client builds its requests, and "
        "a client that builds all of them before sending any (`asyncio.gather` over the SDK, "
        "rows (b) and (d)) starts later. *First call to last answer*: the rest of the time, "
        "which the pacing decides, over the same minimum.",
        "- *429s the client saw*: counted by an httpx response hook on the SDK's own HTTP client "
        "in each worker, so the SDK's internal retries count too. *Wasted calls*: calls the "
        "emulator answered with a 429 (its `/_mock/state`: requests − ok). *Failed*: requests "
        "the client gave up on; a row with failures ends sooner by dropping work, so compare "
        "times among rows with none.",
        "- (c) paces the way the OpenAI cookbook's parallel request processor does (request and "
        "token buckets refilled continuously, prompt + `max_tokens` reserved per request, a 15 s "
        "pause of new sends after any 429, up to 5 attempts), written here from that description; "
        "(c') is the same code given a quarter of the limits per worker, which needs the user to "
        "know how many processes share the key.",
        f"- Made by `{args.command}` on {today} at commit `{commit}`, {cores} cores (`nproc`), "
        f"Python {pyver}, openai {pip_version('openai')}, tenacity {pip_version('tenacity')}; "
        f"per-run figures in `bench/results/{args.section}.json`. Whole script: "
        f"{(time.time() - started) / 60:.1f} min of runs.",
        end,
    ])
    print()
    print(section)
    if args.no_write:
        return
    # The section without its markers, through the shared writer (other sections stay).
    body = section[len(begin):-len(end)].strip("\n")
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "md_section.py"), args.section,
                    args.markdown], input=body, text=True, check=True)
    path = args.markdown
    print(f"\nwrote the {args.section} section of {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    main()
