"""Runs under `ratedoctor run`: the official anthropic SDK finds the proxy through
ANTHROPIC_BASE_URL alone, sends a message and a stream, runs past the limit, and lets the
SDK retry a 429 itself. Usage: run_anthropic.py RPM"""

import os
import sys

import anthropic

rpm = int(sys.argv[1])
base = os.environ["ANTHROPIC_BASE_URL"]
assert base.startswith("http://127.0.0.1:"), base
print(f"base {base}")

CANARY = "sk-ant-api03-CANARY0123456789abcdefghij"
client = anthropic.Anthropic(api_key=CANARY, max_retries=0)
m = client.messages.create(
    model="claude-sonnet-4-5", max_tokens=20, messages=[{"role": "user", "content": "hello"}]
)
assert m.content[0].text and m.usage.output_tokens > 0, m
print("anthropic plain ok")

with client.messages.stream(
    model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "hello"}]
) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
assert text and final.usage.output_tokens == len(text.split()), (text, final.usage)
print("anthropic stream ok")

limited = anthropic.Anthropic(api_key="sk-ant-test-run-limit", max_retries=0)
for i in range(rpm * 3):
    try:
        limited.messages.create(
            model="claude-sonnet-4-5", max_tokens=1, messages=[{"role": "user", "content": f"fill {i}"}]
        )
    except anthropic.RateLimitError as e:
        assert e.status_code == 429 and e.body["error"]["type"] == "rate_limit_error", e.body
        print(f"RateLimitError ok after {i} calls")
        break
else:
    raise SystemExit("never rate limited")

patient = anthropic.Anthropic(api_key="sk-ant-test-run-limit", max_retries=3)
m = patient.messages.create(
    model="claude-sonnet-4-5", max_tokens=1, messages=[{"role": "user", "content": "after the wait"}]
)
assert m.content is not None
print("sdk retry ok")
