#!/usr/bin/env python3
"""Generate a large, deterministic application log for the `explain` benchmark.

    python3 bench/gen_log.py OUT [SIZE_MB] [--seed N] [--every N]

Mostly ordinary log lines (plain-text app logs, DEBUG/INFO/WARN, nginx access lines,
httpx request lines, JSON-structured lines, some with innocent words such as "retry",
"timeout", "limit" or "quota" that are not API errors); one line in `--every` (default
1000) is instead an API error block copied verbatim from `samples/*.txt` (all of them
except `82_log_no_errors.txt`, in rotation; multi-line ones included).

Writes OUT (SIZE_MB MiB, default 1024) and OUT.manifest.json:
    {"bytes": ..., "lines": ..., "error_blocks": N, "per_sample": {"01_….txt": n, ...}}
and prints "error blocks inserted: N".  Same arguments, same bytes.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = os.path.join(HERE, "..", "samples")
SKIP = {"82_log_no_errors.txt"}

# Timestamp styles: 0 = python logging, 1 = ISO-8601 UTC (JSON logs), 2 = nginx CLF.
PY, ISO, CLF = 0, 1, 2

SERVICES = ["chat-service", "ingest", "billing-sync", "search-api", "worker", "scheduler",
            "auth", "gateway", "embedder", "notifier"]
MODULES = ["app", "db", "cache", "http", "queue", "worker-1", "worker-2", "worker-3",
           "scheduler", "auth", "metrics", "storage", "config", "uvicorn.access", "celery"]
USERS = ["u_%05d" % i for i in range(0, 90000, 37)]
PATHS = ["/", "/api/v1/chat", "/api/v1/documents", "/api/v1/documents/{id}", "/api/v1/search",
         "/healthz", "/metrics", "/static/app.{h}.js", "/static/style.{h}.css", "/login",
         "/api/v1/users/{id}", "/api/v1/embeddings", "/api/v2/jobs/{id}/status", "/favicon.ico"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
          "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
          "curl/8.5.0", "python-requests/2.32.3", "kube-probe/1.29", "Prometheus/2.53.0",
          "okhttp/4.12.0", "Go-http-client/1.1"]
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-sonnet-4-20250514", "gemini-2.0-flash",
          "llama-3.3-70b-versatile", "mistral-large-latest", "text-embedding-3-small"]
TABLES = ["documents", "users", "jobs", "sessions", "chunks", "invoices", "events"]
HOSTS = ["api.openai.com", "api.anthropic.com", "generativelanguage.googleapis.com",
         "api.groq.com", "internal-search.svc.cluster.local", "s3.eu-west-1.amazonaws.com"]


def ordinary_pool(rng, n):
    """n ordinary lines, each split as (before-timestamp, style, after-timestamp)."""

    def hexid(k):
        return "%0*x" % (k, rng.getrandbits(4 * k))

    def path():
        p = rng.choice(PATHS)
        return p.replace("{id}", str(rng.randint(1, 999999))).replace("{h}", hexid(8))

    def lvl(weights=(("INFO ", 70), ("DEBUG", 22), ("WARN ", 8))):
        return rng.choices([w[0] for w in weights], [w[1] for w in weights])[0]

    def py(msg, level=None, mod=None):
        return ("", PY, " %s %s: %s" % (level or lvl(), mod or rng.choice(MODULES), msg))

    def js(level, msg, **kw):
        fields = "".join(', "%s": %s' % (k, json.dumps(v)) for k, v in kw.items())
        return ('{"ts": "', ISO, 'Z", "level": "%s", "service": "%s", "msg": %s%s}'
                % (level, rng.choice(SERVICES), json.dumps(msg), fields))

    def templates():
        r = rng
        ms = r.randint(1, 2400)
        yield 30, lambda: py("request %s %s completed in %dms (user=%s)" % (
            r.choice(["GET", "POST", "PUT"]), path(), ms, r.choice(USERS)))
        yield 12, lambda: ('10.%d.%d.%d - - [' % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254)),
                           CLF, '] "%s %s HTTP/1.1" %d %d "-" "%s" %.3f' % (
                               r.choice(["GET", "GET", "POST", "HEAD"]), path(),
                               r.choice([200, 200, 200, 200, 201, 204, 304, 301]),
                               r.randint(0, 250000), r.choice(AGENTS), r.random() * 2))
        yield 8, lambda: py('HTTP Request: POST https://%s/v1/%s "HTTP/1.1 200 OK"' % (
            r.choice(HOSTS), r.choice(["chat/completions", "messages", "embeddings", "responses"])), "INFO ", "httpx")
        yield 14, lambda: js(r.choice(["info", "info", "debug"]), "request completed",
                             method=r.choice(["GET", "POST"]), path=path(), status=r.choice([200, 200, 201, 204]),
                             duration_ms=ms, trace_id=hexid(32), user=r.choice(USERS))
        yield 8, lambda: js("info", "llm call ok", model=r.choice(MODELS), tokens_in=r.randint(50, 9000),
                            tokens_out=r.randint(1, 2000), latency_ms=ms, request_id="req_" + hexid(24))
        yield 6, lambda: py("SELECT id, status FROM %s WHERE owner_id = %d ORDER BY created_at DESC LIMIT %d OFFSET %d (%.1f ms)" % (
            r.choice(TABLES), r.randint(1, 99999), r.choice([10, 20, 50, 100]), r.randint(0, 5000), r.random() * 40), "DEBUG", "db")
        yield 5, lambda: py("cache %s key=%s:%s ttl=%ds" % (
            r.choice(["hit", "hit", "miss", "set"]), r.choice(TABLES), hexid(12), r.choice([60, 300, 3600])), "DEBUG", "cache")
        yield 5, lambda: py("job %s (%s) finished: %d items in %.2fs" % (
            hexid(8), r.choice(["reindex", "embed-batch", "send-digest", "sync-invoices"]),
            r.randint(1, 5000), r.random() * 90))
        yield 4, lambda: py("rpm=%d tpm=%d errors=0 p95=%dms queue_depth=%d" % (
            r.randint(1, 400), r.randint(100, 90000), r.randint(80, 3000), r.randint(0, 40)), "INFO ", "metrics")
        # Innocent words: retry, timeout, limit, quota, rate limiter, exception (handled, not an API error).
        yield 2, lambda: py("job %s scheduled with retry policy exponential(max_retries=%d, base=2s)" % (
            hexid(8), r.randint(2, 6)))
        yield 2, lambda: py("pool: size=%d idle=%d timeout=30s" % (r.randint(5, 50), r.randint(0, 20)), "DEBUG", "db")
        yield 1, lambda: py("rate_limit_rpm=%d burst=%d upload size limit=%dMB" % (
            r.choice([60, 500, 3000]), r.choice([10, 50]), r.choice([10, 25, 100])), "INFO ", "config")
        yield 1, lambda: py("disk quota check ok (%d%% of %dGB used)" % (
            r.randint(10, 80), r.choice([50, 100, 500])), "INFO ", "storage")
        yield 1, lambda: py("websocket %s closed by client after idle timeout (%ds)" % (hexid(6), r.choice([30, 60, 120])), "WARN ")
        yield 1, lambda: py("slow request %s took %dms (threshold 1000ms), will retry prefetch later" % (path(), r.randint(1001, 9000)), "WARN ")
        yield 1, lambda: js("warn", "feature flag limit reached, using default", flag="beta_%s" % hexid(4), limit=r.randint(1, 10))
        yield 1, lambda: py("user %s password reset email queued (attempt %d)" % (r.choice(USERS), r.randint(1, 3)))
        yield 1, lambda: py("collected %d objects in %.1fms" % (r.randint(100, 90000), r.random() * 30), "DEBUG", "gc")

    pool = []
    for _ in range(n):
        gen = list(templates())
        pick = rng.choices([g[1] for g in gen], [g[0] for g in gen])[0]
        pool.append(pick())
    return pool


def load_samples():
    names = sorted(f for f in os.listdir(SAMPLES) if f.endswith(".txt") and f not in SKIP)
    out = []
    for name in names:
        with open(os.path.join(SAMPLES, name), encoding="utf-8") as fh:
            text = fh.read()
        if not text.endswith("\n"):
            text += "\n"
        out.append((name, text))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("size_mb", nargs="?", type=float, default=1024)
    ap.add_argument("--seed", type=int, default=429)
    ap.add_argument("--every", type=int, default=1000, help="one error block per N lines (0: none)")
    args = ap.parse_args()

    t0 = time.time()
    rng = random.Random(args.seed)
    pool = ordinary_pool(rng, 50_000)
    samples = load_samples()
    target = int(args.size_mb * 1024 * 1024)

    # Timestamp pieces: per-second prefixes (cached) + per-millisecond suffixes.
    ms_py = [",%03d" % i for i in range(1000)]
    ms_iso = [".%03d" % i for i in range(1000)]
    steps = [rng.randint(0, 60) for _ in range(1 << 16)]
    mask = len(steps) - 1
    clock = int(datetime.datetime(2025, 10, 2, 8, 0, 0, tzinfo=datetime.timezone.utc).timestamp() * 1000)

    per_sample = {}
    written = 0
    lines = 0
    blocks = 0
    k = 0
    every = args.every if args.every > 0 else 1 << 62  # 0: no errors at all
    until_err = every - 1
    with open(args.out, "w", encoding="utf-8", newline="\n", buffering=1 << 24) as fh:
        while written < target:
            n = min(until_err, 2000)
            until_err -= n
            picks = rng.choices(pool, k=n)
            out = []
            cur = -1
            for pre, style, post in picks:
                clock += steps[k & mask]
                k += 1
                sec, ms = divmod(clock, 1000)
                if sec != cur:
                    cur = sec
                    d = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
                    s_py = d.strftime("%Y-%m-%d %H:%M:%S")
                    s_iso = d.strftime("%Y-%m-%dT%H:%M:%S")
                    s_clf = d.strftime("%d/%b/%Y:%H:%M:%S +0000")
                if style == PY:
                    out.append(pre + s_py + ms_py[ms] + post)
                elif style == ISO:
                    out.append(pre + s_iso + ms_iso[ms] + post)
                else:
                    out.append(pre + s_clf + post)
            out.append("")
            text = "\n".join(out) if n else ""
            lines += n
            if written + len(text) >= target:
                # Last chunk: ordinary lines only, cut at a line end near the target size.
                cut = text.rfind("\n", 0, max(1, target - written)) + 1
                lines -= text.count("\n", cut)
                text = text[:cut]
                fh.write(text)
                written += len(text)
                break
            fh.write(text)
            written += len(text)
            if until_err == 0:
                name, err = samples[blocks % len(samples)]
                fh.write(err)
                written += len(err)
                lines += err.count("\n")
                blocks += 1
                per_sample[name] = per_sample.get(name, 0) + 1
                until_err = every - 1

    written = os.path.getsize(args.out)
    manifest = {"bytes": written, "lines": lines, "error_blocks": blocks, "every": args.every,
                "seed": args.seed, "per_sample": per_sample}
    with open(args.out + ".manifest.json", "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1, sort_keys=True)
    print("wrote %s: %.1f MB, %d lines in %.1fs" % (args.out, written / 1048576, lines, time.time() - t0),
          file=sys.stderr)
    print("error blocks inserted: %d" % blocks)


if __name__ == "__main__":
    main()
