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
  (g)   4 LiteLLM proxies sharing one Redis, the key's rpm/tpm in their config — what users
        put in front of a fleet today; `pip install 'litellm[proxy]'` into a virtualenv of
        its own (bench/out/litellm-venv). When it cannot be installed or started, the row
        says why and the others go on.

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
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the goodput bench: emulator, theoretical minimum, commit)
import client  # noqa: E402

# row: (proxies, what they are, label). "alone": `watch --pace --retry 3`; "share": the
# same with `--share redis://…`; "litellm": LiteLLM proxies sharing Redis (row g).
ROWS = {
    "e": (4, "alone", "(e) 4 proxies `--pace --retry 3`, each pacing alone"),
    "f": (4, "share", "(f) 4 proxies `--pace --retry 3 --share redis://…`"),
    "d": (1, "alone", "(d) one proxy `--pace --retry 3` for the 4 workers"),
    "e16": (16, "alone", "(e16) 16 proxies, each pacing alone"),
    "f16": (16, "share", "(f16) 16 proxies `--share redis://…`"),
    "g": (4, "litellm", "(g) 4 LiteLLM proxies sharing Redis, `rpm`/`tpm` of the key, `num_retries: 3`"),
}
LITELLM_VENV = os.path.join(ROOT, "bench", "out", "litellm-venv")


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


# ---------------------------------------------------------------- row (g): LiteLLM


class LiteLLMUnavailable(Exception):
    """Row (g) cannot be measured here; the message says why, in one line."""


def rel(path):
    """A path as the table shows it: from the repository's root when it is inside it."""
    r = os.path.relpath(path, ROOT)
    return path if r.startswith("..") else r


def litellm_install(args):
    """pip install args.litellm (`litellm[proxy]` unless told) from PyPI into a virtualenv of
    its own: litellm requires openai, and the workers' SDK must stay the one the other rows
    use. Returns (the `litellm` command, its version, seconds the install took)."""
    t0 = time.time()
    log_path = os.path.join(args.out_dir, "litellm-pip.log")
    py = os.path.join(LITELLM_VENV, "bin", "python")
    steps = []  # (what the reason calls it, the command)
    if not os.path.exists(py):
        steps.append(("python -m venv", [sys.executable, "-m", "venv", LITELLM_VENV]))
    steps.append((f"pip install '{args.litellm}'",
                  [py, "-m", "pip", "install", "--disable-pip-version-check", args.litellm]))
    with open(log_path, "w") as log:
        for name, cmd in steps:
            log.write(f"$ {' '.join(cmd)}\n")
            log.flush()
            try:
                rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    timeout=args.litellm_install_timeout).returncode
            except subprocess.TimeoutExpired:
                raise LiteLLMUnavailable(f"`{name}` did not finish within "
                                         f"{args.litellm_install_timeout} s (see {rel(log_path)})")
            if rc != 0:
                with open(log_path) as f:
                    last = [line.strip() for line in f if line.strip()][-1]
                raise LiteLLMUnavailable(f"`{name}` failed: {last} (see {rel(log_path)})")
    version = subprocess.run([py, "-c", "from importlib.metadata import version; print(version('litellm'))"],
                             capture_output=True, text=True).stdout.strip() or "?"
    return os.path.join(LITELLM_VENV, "bin", "litellm"), version, time.time() - t0


def litellm_config(args, upstream, redis_port):
    """One LiteLLM proxy's config.yaml (JSON is YAML, and needs no yaml module here): the
    emulator as an OpenAI-compatible upstream with the key's limits as the deployment's rpm
    and tpm; `usage-based-routing-v2`, the strategy that keeps those counts in Redis (per
    minute, shared by every proxy that names the same Redis); the proxy's own retries as
    close to `--retry 3` as LiteLLM has: `num_retries`."""
    return {
        "model_list": [{
            "model_name": client.MODEL,
            "litellm_params": {
                "model": f"openai/{client.MODEL}",
                "api_base": upstream + "/v1",
                "api_key": client.API_KEY,
                "rpm": args.rpm,
                "tpm": args.tpm,
            },
        }],
        "router_settings": {
            "routing_strategy": "usage-based-routing-v2",
            "redis_host": "127.0.0.1",
            "redis_port": redis_port,
            "num_retries": args.retry,
        },
    }


def start_litellm(args, exe, upstream, redis_port, master_key, tag, count):
    """Starts `count` LiteLLM proxies at once (each takes 10–40 s to import and start on 2
    cores) and waits until every one answers /health/liveliness. Returns (processes, base
    URLs, seconds until all were up); LiteLLMUnavailable when one dies or is not up in
    args.litellm_start_timeout seconds."""
    t0 = time.time()
    env = dict(os.environ)
    # The workers authenticate with this key (the proxy refuses to start without one);
    # the cost map is the packaged copy: no network but PyPI and loopback here.
    env.update(LITELLM_MASTER_KEY=master_key, LITELLM_LOCAL_MODEL_COST_MAP="True")
    procs, bases, logs = [], [], []
    for k in range(count):
        cfg = os.path.join(args.out_dir, f"litellm-{tag}-{k}.yaml")
        with open(cfg, "w") as f:
            json.dump(litellm_config(args, upstream, redis_port), f, indent=1)
        port = free_port()
        logs.append(os.path.join(args.out_dir, f"litellm-{tag}-{k}.log"))
        with open(logs[-1], "w") as log:
            procs.append(subprocess.Popen(
                [exe, "--config", cfg, "--host", "127.0.0.1", "--port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env))
        bases.append(f"http://127.0.0.1:{port}")
    waiting = set(range(count))
    while waiting:
        for k in sorted(waiting):
            if procs[k].poll() is not None:
                stop_all(procs)
                with open(logs[k]) as f:
                    last = [line.strip() for line in f if line.strip()][-1:] or ["(no output)"]
                raise LiteLLMUnavailable(f"a LiteLLM proxy exited with {procs[k].returncode} at "
                                         f"start: {last[0]} (see {rel(logs[k])})")
            try:
                with urllib.request.urlopen(bases[k] + "/health/liveliness", timeout=2) as r:
                    if r.status == 200:
                        waiting.discard(k)
            except OSError:
                pass
        if waiting and time.time() - t0 > args.litellm_start_timeout:
            stop_all(procs)
            raise LiteLLMUnavailable(f"{len(waiting)} of {count} LiteLLM proxies did not answer "
                                     f"within {args.litellm_start_timeout} s (see {rel(logs[min(waiting)])})")
        time.sleep(0.25)
    return procs, [b + "/v1" for b in bases], time.time() - t0


def one_run(args, row, i):
    proxies, kind, _ = ROWS[row]
    workers, requests = shape(args, proxies)
    tag = f"{row}-{i}"
    out = args.out_dir
    mock, url = bench.start_mock(args, os.path.join(out, f"mock-{tag}.log"))
    procs, redis = [], None
    try:
        ledger = None
        if kind in ("share", "litellm"):
            redis, ledger = start_redis(out, tag)
        bases, key, start_s = [], client.API_KEY, None
        if kind == "litellm":
            key = "sk-" + secrets.token_hex(32)  # the proxies' master key, new each run
            procs, bases, start_s = start_litellm(args, args.litellm_exe, url,
                                                  int(ledger.rsplit(":", 1)[1]), key, tag, proxies)
        else:
            for k in range(proxies):
                p, base = start_proxy(args, url, ledger if kind == "share" else None,
                                      os.path.join(out, f"proxy-{tag}-{k}.log"))
                procs.append(p)
                bases.append(base + "/v1")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env["OPENAI_API_KEY"] = key
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
    if start_s is not None:
        s["proxies_start_s"] = start_s  # not in the time: the workers go once all answer
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


def litellm_note(args, rows, runs, skipped, litellm):
    """The table's note on row (g): how it is set up, and what that took here."""
    if "g" not in rows:
        return "- (g), LiteLLM proxies sharing Redis, was left out of this run (`--rows`)."
    note = (
        f"- (g): `pip install '{args.litellm}'` from PyPI into a virtualenv of its own; each "
        f"proxy `litellm --config` with the emulator as an OpenAI-compatible `api_base`, "
        f"`rpm: {args.rpm}` and `tpm: {args.tpm}` on the deployment, and `router_settings`: "
        f"`routing_strategy: usage-based-routing-v2` (the strategy that keeps the counts in "
        f"Redis), `redis_host`/`redis_port` of a redis-server of the script's own, "
        f"`num_retries: {args.retry}`; the workers send the proxies' master key."
    )
    if litellm:
        note += (f" litellm {litellm['version']}; the install step took "
                 f"{litellm['install_s']:.0f} s in this run.")
    if runs:
        starts = sorted(r["proxies_start_s"] for r in runs)
        spread = f"{starts[0]:.0f}" + (f"–{starts[-1]:.0f}" if len(starts) > 1 else "")
        note += f" The 4 proxies took {spread} s to answer, outside the time."
    if skipped:
        note += (f" Only {len(runs)} of {args.runs} runs: {skipped}." if runs
                 else " Not measured here: the reason is in its row.")
    # Read in litellm 1.108.7's source (router_strategy/lowest_tpm_rpm_v2.py and
    # base_routing_strategy.py): what the figures of this row come from.
    note += (
        " How LiteLLM counts (litellm 1.108.7): each proxy counts the calls it lets through "
        "in its own memory and adds them to Redis in a batch once a second, so within that "
        "second each proxy sees only its own; the count is per calendar minute "
        "(`…:rpm:HH-MM`), and over it a proxy refuses with a 429 saying `retry-after: 60`, "
        "which its retries wait out in full — while the emulator, like the API, refills "
        "continuously."
    )
    return note


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
    ap.add_argument("--litellm", default="litellm[proxy]",
                    help="row g: what pip installs from PyPI (e.g. 'litellm[proxy]==1.108.7')")
    ap.add_argument("--litellm-install-timeout", type=int, default=600, help="seconds")
    ap.add_argument("--litellm-start-timeout", type=int, default=240,
                    help="seconds for the LiteLLM proxies of a run to answer")
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
    # Row (g) that cannot be had here is left out with its reason, in the table too.
    skipped, litellm = {}, None
    if "g" in rows:
        try:
            args.litellm_exe, version, install_s = litellm_install(args)
            litellm = {"requirement": args.litellm, "version": version, "install_s": install_s}
            print(f"  g    set up: litellm {version}, pip install step {install_s:.0f} s", flush=True)
        except LiteLLMUnavailable as e:
            skipped["g"] = str(e)
            print(f"  g    skipped: {e}", flush=True)
    for i in range(args.runs):
        for r in rows:
            if r in skipped:
                continue
            t_min, n = t_min_for(args, ROWS[r][0])
            try:
                s = one_run(args, r, i)
            except LiteLLMUnavailable as e:
                skipped[r] = str(e)
                print(f"  {r:4s} skipped: {e}", flush=True)
                continue
            results[r].append(s)
            print(f"  {r:4s} run {i + 1}: {s['total_s']:6.2f} s = {s['total_s'] / t_min:.3f}× minimum, "
                  f"{s['http_429']} 429s seen, {s['wasted']} wasted calls, {s['failed']} failed",
                  flush=True)
    lat = latency(args)
    print(f"  latency: {json.dumps(lat)}", flush=True)
    doc = {"commit": commit, "command": args.command, "results": results, "latency": lat}
    if "g" in rows:
        doc["litellm"] = dict(litellm or {}, skipped=skipped.get("g"))
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    if not args.no_write:
        with open(os.path.join(ROOT, "bench", "results", "fleet.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")

    lines = []
    for r in rows:
        t_min, n = t_min_for(args, ROWS[r][0])
        if results[r]:
            lines.append(fmt_row(ROWS[r][2], results[r], t_min, n))
        else:
            lines.append(f"| {ROWS[r][2]} | {n} | not measured: {skipped[r]} | | | | | | |")
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
        litellm_note(args, rows, results.get("g"), skipped.get("g"), litellm),
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
