"""Runs under `ratedoctor run`: the official openai SDK finds the proxy through
OPENAI_BASE_URL / AZURE_OPENAI_ENDPOINT alone (no base_url in the code), calls plain and
streamed, runs past the limit, and lets the SDK retry a 429 itself.
Usage: run_openai.py RPM"""

import os
import sys

import openai

rpm = int(sys.argv[1])
base = os.environ["OPENAI_BASE_URL"]
assert base.startswith("http://127.0.0.1:") and base.endswith("/v1"), base
print(f"base {base}")

CANARY = "sk-proj-CANARY0123456789abcdefghijKLMN"
client = openai.OpenAI(api_key=CANARY, max_retries=0)
r = client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": f"my key is {CANARY}"}], max_tokens=20
)
assert r.choices[0].message.content and r.usage.completion_tokens > 0, r
print("openai plain ok")

text, usage = "", None
for chunk in client.chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "hello"}],
    stream=True,
    stream_options={"include_usage": True},
):
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
    if chunk.usage:
        usage = chunk.usage
assert text and usage and usage.completion_tokens == len(text.split()), (text, usage)
print("openai stream ok")

# Past the limit with retries off: the SDK's own RateLimitError.
limited = openai.OpenAI(api_key="sk-test-run-limit", max_retries=0)
for i in range(rpm * 3):
    try:
        limited.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": f"fill {i}"}], max_tokens=1
        )
    except openai.RateLimitError as e:
        assert e.status_code == 429 and e.code == "rate_limit_exceeded", e.body
        print(f"RateLimitError ok after {i} calls")
        break
else:
    raise SystemExit("never rate limited")

# The SDK's own retry: it waits what retry-after says, then succeeds.
patient = openai.OpenAI(api_key="sk-test-run-limit", max_retries=3)
r = patient.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "after the wait"}], max_tokens=1
)
assert r.choices[0].message.content is not None
print("sdk retry ok")

# Azure through AZURE_OPENAI_ENDPOINT.
azure = openai.AzureOpenAI(api_key="azure-run-key", api_version="2024-10-21", max_retries=0)
r = azure.chat.completions.create(model="gpt-4o-prod", messages=[{"role": "user", "content": "hi"}])
assert r.model == "gpt-4o-prod"
print("azure ok")
