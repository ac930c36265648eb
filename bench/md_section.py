#!/usr/bin/env python3
"""Replace one marked section of BENCHMARKS.md with stdin.

    some-report | python3 bench/md_section.py NAME [FILE]

The section is everything between `<!-- NAME:begin -->` and `<!-- NAME:end -->`; it is
appended (markers included) when the file does not have it yet. Other sections are left
as they are, so each bench script owns its own.
"""
import pathlib
import sys

name = sys.argv[1]
path = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "BENCHMARKS.md")
begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
body = sys.stdin.read().strip("\n")
block = f"{begin}\n{body}\n{end}"
text = path.read_text() if path.exists() else "# Benchmarks\n"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    text = head + block + tail
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
path.write_text(text)
