"""The official openai SDK against the emulator: calls succeed, and past the limit the SDK
raises its own RateLimitError. Usage: openai_sdk.py BASE_URL RPM"""

import sys

import openai

base, rpm = sys.argv[1], int(sys.argv[2])



def fresh(name):
    """A client with its own key, so each check starts with full budgets."""
    return openai.OpenAI(api_key=f"sk-test-sdk-{name}", base_url=f"{base}/v1", max_retries=0)


# Plain call, streaming with usage, Responses API, embeddings.
client = fresh("plain")
r = client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], max_tokens=20
)
assert r.choices[0].message.content, r
assert r.usage.prompt_tokens == 2 and r.usage.completion_tokens > 0, r.usage
assert r.model == "gpt-4o-mini"
print("openai chat ok")

raw = client.chat.completions.with_raw_response.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
)
assert raw.headers["x-ratelimit-limit-requests"] == str(rpm), dict(raw.headers)
print("openai raw headers ok")

text, usage = "", None
stream = fresh("stream").chat.completions.create(
    model="gpt-4o-mini",
    messages=[{"role": "user", "content": "hello"}],
    stream=True,
    stream_options={"include_usage": True},
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        text += chunk.choices[0].delta.content
    if chunk.usage:
        usage = chunk.usage
assert text and usage and usage.completion_tokens == len(text.split()), (text, usage)
print("openai stream ok")

resp = fresh("responses").responses.create(model="gpt-4.1", input="hello")
assert resp.output_text and resp.usage.output_tokens > 0, resp
print("openai responses ok")

events = [e.type for e in fresh("responses-stream").responses.create(model="gpt-4.1", input="hello", stream=True)]
assert events[0] == "response.created" and events[-1] == "response.completed", events
print("openai responses stream ok")

emb = fresh("embeddings").embeddings.create(model="text-embedding-3-small", input="hello")
assert len(emb.data[0].embedding) == 1536
print("openai embeddings ok")

# Past the limit: the SDK's own RateLimitError with the emulator's body.
limited = fresh("limit")
for _ in range(rpm):
    limited.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
try:
    limited.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    raise SystemExit("expected RateLimitError")
except openai.RateLimitError as e:
    assert e.status_code == 429
    assert e.code == "rate_limit_exceeded", e.body
    assert "on requests per min (RPM)" in str(e), str(e)
    assert e.response.headers["retry-after"].isdigit()
    assert e.request_id and e.request_id.startswith("req_")
print("openai RateLimitError ok")

# Azure through the same SDK.
azure = openai.AzureOpenAI(
    api_key="azure-sdk-key", azure_endpoint=base, api_version="2024-10-21", max_retries=0
)
r = azure.chat.completions.create(model="gpt-4o-prod", messages=[{"role": "user", "content": "hi"}])
assert r.choices[0].message.content and r.model == "gpt-4o-prod"
for _ in range(rpm - 1):
    azure.chat.completions.create(model="gpt-4o-prod", messages=[{"role": "user", "content": "hi"}])
try:
    azure.chat.completions.create(model="gpt-4o-prod", messages=[{"role": "user", "content": "hi"}])
    raise SystemExit("expected RateLimitError from Azure")
except openai.RateLimitError as e:
    assert "exceeded call rate limit" in str(e), str(e)
    assert e.response.headers["retry-after-ms"].isdigit()
print("azure RateLimitError ok")

azure_emb = openai.AzureOpenAI(
    api_key="azure-sdk-embeddings", azure_endpoint=base, api_version="2024-10-21", max_retries=0
)
emb = azure_emb.embeddings.create(model="embeddings-prod", input=["a", "b"])
assert len(emb.data) == 2 and len(emb.data[1].embedding) == 1536
print("azure embeddings ok")
