"""A small program for `ratedoctor run` (tests/reliability_secrets.rs): it calls every
provider family through the proxy with the keys in its environment (canaries), in every
place a key travels — Authorization, x-api-key, api-key, x-goog-api-key, ?key= — and in
the prompt, plain and streamed. Standard library only; prints status codes, never a key.
"""

import json
import os
import urllib.error
import urllib.request

BASE = os.environ["RATEDOCTOR_PROXY"]
OPENAI = os.environ["OPENAI_API_KEY"]
ANTHROPIC = os.environ["ANTHROPIC_API_KEY"]
GEMINI = os.environ["GEMINI_API_KEY"]
AZURE = os.environ["AZURE_OPENAI_API_KEY"]


def call(path, headers, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        headers={**headers, "content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        e.read()
        return e.code


chat = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "my key is " + OPENAI}],
    "max_tokens": 5,
}
gem = {"contents": [{"role": "user", "parts": [{"text": "key " + GEMINI}]}]}
msg = {
    "model": "claude-sonnet-4-20250514",
    "max_tokens": 5,
    "messages": [{"role": "user", "content": "key " + ANTHROPIC}],
}
bearer = {"authorization": "Bearer " + OPENAI}
codes = [call("/v1/chat/completions", bearer, chat) for _ in range(3)]
codes.append(call("/v1/chat/completions", bearer, {**chat, "stream": True}))
codes.append(
    call("/v1/messages", {"x-api-key": ANTHROPIC, "anthropic-version": "2023-06-01"}, msg)
)
codes.append(
    call(
        "/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-08-01-preview",
        {"api-key": AZURE},
        chat,
    )
)
model = "/v1beta/models/gemini-2.5-flash"
codes.append(call(model + ":generateContent", {"x-goog-api-key": GEMINI}, gem))
codes.append(call(model + ":generateContent?key=" + GEMINI, {}, gem))
codes.append(call(model + ":streamGenerateContent?alt=sse&key=" + GEMINI, {}, gem))
print("statuses", " ".join(str(c) for c in codes))
