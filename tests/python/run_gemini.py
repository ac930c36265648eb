"""Runs under `ratedoctor run`: the official google-genai SDK finds the proxy through
GOOGLE_GEMINI_BASE_URL alone, generates content plain and streamed, then runs past the
limit until the SDK raises the 429. Usage: run_gemini.py RPM"""

import os
import sys

from google import genai
from google.genai import errors, types

rpm = int(sys.argv[1])
base = os.environ["GOOGLE_GEMINI_BASE_URL"]
assert base.startswith("http://127.0.0.1:"), base
print(f"base {base}")

CANARY = "AIzaCANARY0123456789abcdefghijklmnopqrs"
# No retries by the SDK: the 429 must reach this script.
no_retry = types.HttpOptions(retry_options=types.HttpRetryOptions(attempts=1))
client = genai.Client(api_key=CANARY, http_options=no_retry)
r = client.models.generate_content(model="gemini-2.5-flash", contents="hello")
assert r.text and r.usage_metadata.candidates_token_count > 0, r
print("gemini plain ok")

parts = [c.text or "" for c in client.models.generate_content_stream(model="gemini-2.5-flash", contents="hello")]
assert "".join(parts), parts
print("gemini stream ok")

for i in range(rpm * 3):
    try:
        client.models.generate_content(model="gemini-2.5-flash", contents=f"fill {i}")
    except errors.ClientError as e:
        assert e.code == 429 and e.status == "RESOURCE_EXHAUSTED", (e.code, e.status)
        print(f"ClientError 429 ok after {i} calls")
        break
else:
    sys.exit("no 429 after filling the limit")
