#!/usr/bin/env python3
"""Scores a ratedoctor binary on the real-error corpus (tests/corpus/*.jsonl).

    python3 bench/corpus_score.py [--bin target/release/ratedoctor] [--misses] [FILE.jsonl ...]

Each case's text is given to `explain --json` as a file; the first diagnosis is compared with
the label: kind, provider, retryable, window, model, and the numbers (limit, used, requested,
retry_after_s; a case's numbers are right when all four are). Prints the same table as the
corpus test (tests/corpus.rs), a kind confusion table, and with --misses every miss by id.
"""
import argparse, glob, json, os, subprocess, sys, tempfile, collections

NUMS = ("limit", "used", "requested", "retry_after_s")


def same_num(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(root, "target/release/ratedoctor"))
    ap.add_argument("--misses", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    files = a.files or sorted(glob.glob(os.path.join(root, "tests/corpus/*.jsonl")))
    cases = [json.loads(l) for f in files for l in open(f, encoding="utf-8") if l.strip()]
    score = collections.Counter()
    confusion = collections.Counter()
    misses = []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "case.txt")
        for c in cases:
            with open(path, "w", encoding="utf-8") as f:
                f.write(c["text"])
            out = subprocess.run([a.bin, "explain", "--json", path], capture_output=True)
            try:
                ds = json.loads(out.stdout).get("diagnoses", [])
            except ValueError:
                ds = []
            got = ds[0] if ds else {}
            lab = c["label"]
            score["cases"] += 1
            wrong = []
            look_alike = lab["kind"] == "not_rate_limit"
            if not ds and not look_alike:
                score["none_found"] += 1
                wrong.append("no API error found")
            if not ds and look_alike:
                # "no API error found" tells a look-alike it is not a rate limit: right.
                got = {"kind": "not_rate_limit"}
            for field in ("kind", "provider", "retryable", "window", "model"):
                unscored = (field == "model" and look_alike) or (not ds and look_alike)
                if unscored or got.get(field) == lab.get(field):
                    score[field] += 1
                elif ds:
                    wrong.append(f"{field} {got.get(field)!r} want {lab.get(field)!r}")
            nums_ok = True
            for n in NUMS:
                if same_num(got.get(n), lab.get(n)) or (not ds and look_alike):
                    score[n] += 1
                else:
                    nums_ok = False
                    if ds:
                        wrong.append(f"{n} {got.get(n)!r} want {lab.get(n)!r}")
            score["numbers"] += nums_ok
            if lab["retryable"] is False:
                score["nonretryable"] += 1
                score["nonretryable_caught"] += got.get("retryable") is False or (
                    not ds and look_alike)
            score["one_diagnosis"] += len(ds) == 1
            confusion[(lab["kind"], got.get("kind", "none"))] += 1
            if wrong:
                misses.append((c["id"], wrong))
    n = score["cases"]
    pct = lambda k, d=n: f"{100.0 * score[k] / max(d, 1):5.1f}%"
    print(f"corpus: {n} cases from {len(files)} file(s), binary {a.bin}")
    for k in ("kind", "provider", "retryable", "window", "model", "numbers") + NUMS:
        print(f"  {k:<22} {pct(k)}  ({score[k]}/{n})")
    print(f"  {'non-retryable caught':<22} {pct('nonretryable_caught', score['nonretryable'])}  "
          f"({score['nonretryable_caught']}/{score['nonretryable']})")
    print(f"  {'no API error found':<22} {score['none_found']}")
    print(f"  {'exactly one diagnosis':<22} {pct('one_diagnosis')}")
    kinds = sorted({k for k, _ in confusion} | {g for _, g in confusion})
    print("\nkind confusion (rows: label, columns: first diagnosis)")
    w = max(len(k) for k in kinds)
    print(" " * (w + 1) + " ".join(f"{k[:6]:>6}" for k in kinds))
    for r in kinds:
        if any(confusion[(r, g)] for g in kinds):
            print(f"{r:<{w}} " + " ".join(f"{confusion[(r, g)] or '.':>6}" for g in kinds))
    if a.misses:
        print("\nmisses")
        for i, w_ in misses:
            print(f"  {i}: " + "; ".join(w_))


if __name__ == "__main__":
    main()
