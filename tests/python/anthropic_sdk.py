"""The official anthropic SDK against the emulator: calls and streams succeed, and past the
limit the SDK raises its own RateLimitError. Usage: anthropic_sdk.py BASE_URL RPM"""

import sys

import anthropic

base, rpm = sys.argv[1], int(sys.argv[2])

client = anthropic.Anthropic(api_key="sk-ant-test-sdk-plain", base_url=base, max_retries=0)
m = client.messages.create(
    model="claude-sonnet-4-5", max_tokens=50, messages=[{"role": "user", "content": "hello"}]
)
assert m.content[0].text and m.usage.output_tokens > 0 and m.usage.input_tokens == 2, m
assert m.stop_reason == "end_turn"
print("anthropic message ok")

with client.messages.stream(
    model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "hello"}]
) as stream:
    text = "".join(stream.text_stream)
    final = stream.get_final_message()
assert text and final.usage.output_tokens == len(text.split()) <= 5, (text, final.usage)
print("anthropic stream ok")

raw = client.messages.with_raw_response.create(
    model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
)
assert raw.headers["anthropic-ratelimit-requests-limit"] == str(rpm)
assert raw.headers["anthropic-ratelimit-requests-reset"].endswith("Z")
print("anthropic raw headers ok")

limited = anthropic.Anthropic(api_key="sk-ant-test-sdk-limit", base_url=base, max_retries=0)
for _ in range(rpm):
    limited.messages.create(
        model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
try:
    limited.messages.create(
        model="claude-sonnet-4-5", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
    )
    raise SystemExit("expected RateLimitError")
except anthropic.RateLimitError as e:
    assert e.status_code == 429
    assert e.body["error"]["type"] == "rate_limit_error", e.body
    assert "requests per minute" in str(e), str(e)
    assert e.response.headers["retry-after"].isdigit()
    assert e.request_id and e.request_id.startswith("req_")
print("anthropic RateLimitError ok")
