#!/usr/bin/env python3
"""One goodput workload, done one way: WORKERS processes sharing one API key, each sending
REQUESTS chat completions to $OPENAI_BASE_URL with the official openai SDK.

Run without --worker it is the launcher: it starts the workers, waits until every one has
imported its libraries and built its client, lets them all go at the same instant, collects
their results and writes one JSON summary (--out). Each worker counts, from an httpx
response hook on the SDK's own HTTP client, every response its process received (so the
SDK's internal retries are counted too) and how many of them were 429s.

Ways (--way):
  seed      the beginner guide's recipe: AsyncOpenAI(max_retries=0), a tenacity decorator
            (retry on RateLimitError, wait_exponential(multiplier=1, min=2, max=60),
            stop_after_attempt(6)) around a call that holds asyncio.Semaphore(5)
  sdk       the SDK's own retries (default max_retries=2), every request at once with
            asyncio.gather, no semaphore
  cookbook  a dual token-bucket pacer paced the way the OpenAI cookbook's parallel request
            processor paces: request and token buckets refilled continuously from
            --rpm/--tpm, a token estimate per request (prompt + max_tokens), a 15 s pause
            of all new sends after any 429, the failed request queued again (5 attempts)
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time

MODEL = "gpt-4o-mini"
API_KEY = "sk-goodput-bench-000000000000000000000000"


def prompt(worker: int, i: int) -> str:
    return f"Give me fact #{i} about the number {worker * 1000 + i}."


# ---------------------------------------------------------------- launcher


def launch(args: argparse.Namespace) -> None:
    env = dict(os.environ)
    env.setdefault("OPENAI_API_KEY", API_KEY)
    base = [sys.executable, os.path.abspath(__file__)] + [
        a for a in sys.argv[1:]
    ]
    # One base URL per worker (bench/goodput/fleet.py: each worker on a "machine" of its
    # own, with its own proxy), given as a comma-separated list; else OPENAI_BASE_URL.
    own = [u for u in os.environ.get("BENCH_WORKER_BASE_URLS", "").split(",") if u]
    procs = []
    for w in range(args.workers):
        if own:
            env = dict(env, OPENAI_BASE_URL=own[w % len(own)])
        procs.append(
            subprocess.Popen(
                base + ["--worker", str(w)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                text=True,
            )
        )
    for p in procs:
        line = p.stdout.readline()
        if line.strip() != "ready":
            for q in procs:
                q.kill()
            sys.exit(f"a worker did not start: {line!r}")
    go = time.time()
    for p in procs:
        p.stdin.write(f"{go}\n")
        p.stdin.flush()
        p.stdin.close()
    results = []
    for p in procs:
        out = p.stdout.read()
        p.wait()
        results.append(json.loads(out.strip().splitlines()[-1]))
    end = max(r["end"] for r in results)
    summary = {
        "way": args.way,
        "workers": args.workers,
        "requests": args.workers * args.requests,
        "go": go,
        "end": end,
        "total_s": end - go,
        "ok": sum(r["ok"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "responses": sum(r["responses"] for r in results),
        "http_429": sum(r["http_429"] for r in results),
        "errors": sorted({e for r in results for e in r["errors"]}),
    }
    with open(args.out, "w") as f:
        json.dump(summary, f)


# ---------------------------------------------------------------- worker


async def work(args: argparse.Namespace) -> dict:
    import openai
    from openai import AsyncOpenAI

    counts = {"responses": 0, "http_429": 0}

    async def on_response(response) -> None:
        counts["responses"] += 1
        if response.status_code == 429:
            counts["http_429"] += 1

    http = openai.DefaultAsyncHttpxClient(event_hooks={"response": [on_response]})
    if args.way == "sdk":
        client = AsyncOpenAI(http_client=http)  # the SDK's default retries
    else:
        client = AsyncOpenAI(http_client=http, max_retries=0)

    async def call(text: str) -> str:
        r = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": text}],
            max_tokens=args.max_tokens,
        )
        return r.choices[0].message.content or ""

    prompts = [prompt(args.worker, i) for i in range(args.requests)]
    if args.way == "seed":
        runner = seed_way(call)
    elif args.way == "sdk":
        runner = sdk_way(call)
    else:
        runner = cookbook_way(call, args)

    # Everything is imported and built: wait for the common start.
    print("ready", flush=True)
    go = float(sys.stdin.readline())
    delay = go - time.time()
    if delay > 0:
        await asyncio.sleep(delay)
    outcomes = await runner(prompts)
    end = time.time()
    await client.close()
    errors = sorted({type(o).__name__ for o in outcomes if isinstance(o, BaseException)})
    failed = sum(1 for o in outcomes if isinstance(o, BaseException))
    return {
        "ok": len(outcomes) - failed,
        "failed": failed,
        "end": end,
        "errors": errors,
        **counts,
    }


def seed_way(call):
    import openai
    from tenacity import (
        retry,
        retry_if_exception_type,
        stop_after_attempt,
        wait_exponential,
    )

    semaphore = asyncio.Semaphore(5)

    @retry(
        retry=retry_if_exception_type(openai.RateLimitError),
        wait=wait_exponential(multiplier=1, min=2, max=60),
        stop=stop_after_attempt(6),
    )
    async def ask(text: str) -> str:
        async with semaphore:
            return await call(text)

    async def run(prompts):
        return await asyncio.gather(*(ask(p) for p in prompts), return_exceptions=True)

    return run


def sdk_way(call):
    async def run(prompts):
        return await asyncio.gather(*(call(p) for p in prompts), return_exceptions=True)

    return run


def cookbook_way(call, args):
    """Paces like the cookbook's processor; written from its description."""
    import openai

    pause_after_429 = 15.0
    max_attempts = 5
    rpm, tpm = float(args.rpm), float(args.tpm)

    def estimate(text: str) -> float:
        # The cookbook counts chat tokens as, per message, 4 + the tokens of each field,
        # plus 2 for the reply's priming, plus max_tokens for the completion; it uses
        # tiktoken, which needs a download: here four characters make a token.
        fields = ["user", text]
        return 4 + sum(-(-len(f) // 4) for f in fields) + 2 + args.max_tokens

    async def run(prompts):
        results: list = [None] * len(prompts)
        todo = [(i, 1) for i in range(len(prompts))]
        todo.reverse()
        retry_queue: list = []
        tasks: set = set()
        requests_left, tokens_left = rpm, tpm  # the buckets start full
        last_update = time.monotonic()
        last_429 = float("-inf")

        async def one(i: int, attempt: int) -> None:
            nonlocal last_429
            try:
                results[i] = await call(prompts[i])
            except openai.RateLimitError as e:
                last_429 = time.monotonic()
                if attempt < max_attempts:
                    retry_queue.append((i, attempt + 1))
                else:
                    results[i] = e
            except Exception as e:  # noqa: BLE001 - a failed request, counted
                results[i] = e

        next_req = None
        while True:
            if next_req is None:
                if retry_queue:
                    next_req = retry_queue.pop(0)
                elif todo:
                    next_req = todo.pop()
            now = time.monotonic()
            elapsed = now - last_update
            requests_left = min(rpm, requests_left + rpm * elapsed / 60.0)
            tokens_left = min(tpm, tokens_left + tpm * elapsed / 60.0)
            last_update = now
            if next_req is not None:
                need = estimate(prompts[next_req[0]])
                if requests_left >= 1 and tokens_left >= need:
                    requests_left -= 1
                    tokens_left -= need
                    t = asyncio.create_task(one(*next_req))
                    tasks.add(t)
                    t.add_done_callback(tasks.discard)
                    next_req = None
            if next_req is None and not todo and not retry_queue and not tasks:
                break
            await asyncio.sleep(0.001)
            since = time.monotonic() - last_429
            if since < pause_after_429:
                await asyncio.sleep(pause_after_429 - since)
        return results

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--way", choices=["seed", "sdk", "cookbook"], required=True)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--requests", type=int, default=150, help="per worker")
    ap.add_argument("--max-tokens", type=int, default=100)
    ap.add_argument("--rpm", type=float, help="cookbook: requests per minute each worker paces to")
    ap.add_argument("--tpm", type=float, help="cookbook: tokens per minute each worker paces to")
    ap.add_argument("--out", help="launcher: where to write the JSON summary")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.way == "cookbook" and (args.rpm is None or args.tpm is None):
        ap.error("--way cookbook needs --rpm and --tpm")
    if args.worker is None:
        if not args.out:
            ap.error("--out is required")
        launch(args)
    else:
        print(json.dumps(asyncio.run(work(args))), flush=True)


if __name__ == "__main__":
    main()
