//! The fix snippets (core layer): the short Python code a card shows under its fix, written
//! for the SDK of the provider that answered.
//!
//! A row of the cause/fix table names *what* its snippet shows (a [`Snip`]: honour
//! Retry-After, cap concurrency, stop on a quota…); [`for_cause`] writes it for the
//! provider's SDK: `openai` (and the OpenAI-compatible APIs, and an unknown provider),
//! `openai.AzureOpenAI`, `anthropic`, `google-genai` (Gemini and Vertex AI), `groq`,
//! `mistralai`, `cohere` and `boto3` (Bedrock). A cause that waiting cannot clear (quota,
//! billing) gets a snippet that stops and says why, never a retry loop. Snippets are
//! static text: they hold no key and no value from the input.

use crate::diagnose::{Cause, Diagnosis, Provider};
use serde::Serialize;

/// What a snippet shows; [`for_cause`] writes it in the provider's SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snip {
    /// A bounded retry loop that honours Retry-After where the SDK exposes it.
    RetryAfter,
    /// A bounded retry loop with exponential backoff and jitter.
    Backoff,
    /// At most N requests in flight.
    Semaphore,
    /// Reserve fewer tokens per request and keep less history.
    MaxTokens,
    /// Split a big input into several requests (any SDK).
    Split,
    /// Stop, and say why, on an error that waiting cannot clear.
    Stop,
    /// A longer client timeout.
    Timeout,
    /// Raise the request rate gradually (any SDK).
    Ramp,
    /// Anthropic prompt caching of a long, repeated prefix.
    AnthropicCache,
    /// Anthropic: stop on the monthly spend cap.
    AnthropicSpendCap,
    /// Anthropic: more SDK retries for 529 overloaded.
    AnthropicRetries,
    /// Anthropic: stream long outputs.
    AnthropicStream,
    /// google-genai: turn on the client's retries (off by default).
    GenaiRetry,
    /// Bedrock: botocore's adaptive retry mode.
    BotoAdaptive,
    /// OpenRouter: fallback models.
    OpenrouterFallback,
}

/// A snippet as the card, the text output and `--json` give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// Always `python` for now.
    pub language: &'static str,
    /// Which Python package it is written for: `openai`, `anthropic`, `google-genai`, `groq`,
    /// `mistralai`, `cohere`, `boto3`, or `any` when it calls no SDK.
    pub sdk: &'static str,
    pub code: String,
}

impl Snippet {
    /// `python (openai)`, or `python` for code that calls no SDK.
    pub fn label(&self) -> String {
        if self.sdk == "any" {
            self.language.to_string()
        } else {
            format!("{} ({})", self.language, self.sdk)
        }
    }
}

/// The Python SDK a provider is called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdk {
    Openai,
    Azure,
    Anthropic,
    Genai,
    Groq,
    Mistral,
    Cohere,
    Bedrock,
}

impl Sdk {
    pub fn of(p: Provider) -> Sdk {
        match p {
            Provider::Azure => Sdk::Azure,
            Provider::Anthropic => Sdk::Anthropic,
            Provider::Gemini | Provider::Vertex => Sdk::Genai,
            Provider::Groq => Sdk::Groq,
            Provider::Mistral => Sdk::Mistral,
            Provider::Cohere => Sdk::Cohere,
            Provider::Bedrock => Sdk::Bedrock,
            // OpenAI-compatible APIs are most often called with the openai package.
            Provider::Openai
            | Provider::Openrouter
            | Provider::Together
            | Provider::Deepseek
            | Provider::Xai
            | Provider::Fireworks
            | Provider::Perplexity
            | Provider::Unknown => Sdk::Openai,
        }
    }

    /// The package name (`pip install ...`).
    pub fn package(self) -> &'static str {
        match self {
            Sdk::Openai | Sdk::Azure => "openai",
            Sdk::Anthropic => "anthropic",
            Sdk::Genai => "google-genai",
            Sdk::Groq => "groq",
            Sdk::Mistral => "mistralai",
            Sdk::Cohere => "cohere",
            Sdk::Bedrock => "boto3",
        }
    }

    /// The import line(s).
    fn import(self) -> &'static str {
        match self {
            Sdk::Openai => "import openai",
            Sdk::Azure => {
                "import openai\n\n\
                 client = openai.AzureOpenAI()  # AZURE_OPENAI_* env vars"
            }
            Sdk::Anthropic => "import anthropic",
            Sdk::Genai => "from google.genai import errors",
            Sdk::Groq => "import groq",
            Sdk::Mistral => "from mistralai import models",
            Sdk::Cohere => "from cohere.errors import TooManyRequestsError",
            Sdk::Bedrock => "from botocore.exceptions import ClientError",
        }
    }

    /// The call that sends one request, given `**req`.
    fn call(self) -> &'static str {
        match self {
            Sdk::Openai | Sdk::Azure | Sdk::Groq => "client.chat.completions.create",
            Sdk::Anthropic => "client.messages.create",
            Sdk::Genai => "client.models.generate_content",
            Sdk::Mistral => "client.chat.complete",
            Sdk::Cohere => "client.chat",
            Sdk::Bedrock => "client.converse",
        }
    }

    /// The exception a rate limit raises, and the condition (on `e`) under which retrying
    /// will not help, if the exception also covers such errors.
    fn rate_limit(self) -> (&'static str, Option<&'static str>) {
        match self {
            Sdk::Openai | Sdk::Azure => (
                "openai.RateLimitError",
                Some("e.code == \"insufficient_quota\""),
            ),
            Sdk::Anthropic => ("anthropic.RateLimitError", None),
            Sdk::Groq => ("groq.RateLimitError", None),
            Sdk::Genai => ("errors.APIError", Some("e.code not in (429, 503)")),
            Sdk::Mistral => ("models.SDKError", Some("e.status_code not in (429, 503)")),
            Sdk::Cohere => ("TooManyRequestsError", None),
            Sdk::Bedrock => (
                "ClientError",
                Some("e.response[\"Error\"][\"Code\"] != \"ThrottlingException\""),
            ),
        }
    }

    /// Whether the SDK's error carries the response headers (`retry-after`).
    fn has_headers(self) -> bool {
        matches!(self, Sdk::Openai | Sdk::Azure | Sdk::Anthropic | Sdk::Groq)
    }
}

/// The retry loop: bounded, gives up on what retrying cannot fix.
fn retry(sdk: Sdk, jitter: bool) -> String {
    if sdk == Sdk::Bedrock {
        return BOTO_ADAPTIVE.to_string();
    }
    let (exc, no_retry) = sdk.rate_limit();
    let give_up = match no_retry {
        Some(c) => format!("{c} or "),
        None => String::new(),
    };
    let doubling = if jitter {
        "min(2 ** attempt, 60) * random.uniform(0.5, 1.0)"
    } else {
        "min(2 ** attempt, 60)"
    };
    let wait = match (sdk.has_headers(), jitter) {
        (true, false) => format!(
            "ra = e.response.headers.get(\"retry-after\")\n            \
             time.sleep(float(ra) if ra else {doubling})"
        ),
        (true, true) => format!(
            "ra = e.response.headers.get(\"retry-after\")\n            \
             back = {doubling}\n            \
             time.sleep(float(ra) if ra else back)"
        ),
        (false, _) => format!("time.sleep({doubling})"),
    };
    let modules = if jitter { "random, time" } else { "time" };
    format!(
        "import {modules}\n{}\n\ndef call(req, tries=6):\n    for attempt in range(tries):\n        \
         try:\n            return {}(**req)\n        except {exc} as e:\n            \
         if {give_up}attempt == tries - 1:\n                raise\n            {wait}",
        sdk.import(),
        sdk.call()
    )
}

/// Stop, and say so, on an error that waiting will not clear.
fn stop(sdk: Sdk) -> String {
    // (the exception, a line that names what is tested, the test)
    let (exc, name, when) = match sdk {
        Sdk::Openai | Sdk::Azure => (
            "openai.APIStatusError",
            "",
            "e.status_code == 402 or e.code in QUOTA",
        ),
        Sdk::Anthropic => (
            "anthropic.APIStatusError",
            "",
            "\"credit balance\" in str(e)",
        ),
        Sdk::Genai => (
            "errors.ClientError",
            "gone = \"limit: 0\" in str(e) or \"depleted\" in str(e)",
            "e.code == 429 and gone",
        ),
        Sdk::Groq => ("groq.APIStatusError", "", "e.status_code in (402, 413)"),
        Sdk::Mistral => ("models.SDKError", "", "e.status_code in (402, 429)"),
        Sdk::Cohere => ("TooManyRequestsError", "", "\"limit\" in str(e)"),
        Sdk::Bedrock => (
            "ClientError",
            "code = e.response[\"Error\"][\"Code\"]",
            "code == \"ServiceQuotaExceededException\"",
        ),
    };
    let quota = if matches!(sdk, Sdk::Openai | Sdk::Azure) {
        "\n\nQUOTA = (\"insufficient_quota\", \"credit_balance_exhausted\")"
    } else {
        ""
    };
    let name = if name.is_empty() {
        String::new()
    } else {
        format!("{name}\n    ")
    };
    format!(
        "{}{quota}\n\ntry:\n    resp = {}(**req)\nexcept {exc} as e:\n    {name}\
         if {when}:\n        \
         raise SystemExit(f\"Waiting will not clear this: {{e}}\") from e\n    raise",
        sdk.import(),
        sdk.call()
    )
}

/// One user message, in the SDK's shape.
fn ask_call(sdk: Sdk) -> &'static str {
    match sdk {
        Sdk::Openai | Sdk::Azure | Sdk::Groq => {
            "client.chat.completions.create(  # the async client\n            \
             model=MODEL, messages=[{\"role\": \"user\", \"content\": prompt}])"
        }
        Sdk::Anthropic => {
            "client.messages.create(  # anthropic.AsyncAnthropic\n            \
             model=MODEL, max_tokens=1024,\n            \
             messages=[{\"role\": \"user\", \"content\": prompt}])"
        }
        Sdk::Genai => {
            "client.aio.models.generate_content(\n            model=MODEL, contents=prompt)"
        }
        Sdk::Mistral => {
            "client.chat.complete_async(\n            \
             model=MODEL, messages=[{\"role\": \"user\", \"content\": prompt}])"
        }
        Sdk::Cohere => {
            "client.chat(  # cohere.AsyncClientV2\n            \
             model=MODEL, messages=[{\"role\": \"user\", \"content\": prompt}])"
        }
        Sdk::Bedrock => {
            "asyncio.to_thread(client.converse, modelId=MODEL,\n            \
             messages=[{\"role\": \"user\", \"content\": [{\"text\": prompt}]}])"
        }
    }
}

fn semaphore(sdk: Sdk) -> String {
    format!(
        "import asyncio\n\nsem = asyncio.Semaphore(5)  # at most 5 in flight; raise slowly\n\n\
         async def ask(prompt):\n    async with sem:\n        return await {}\n\n\
         async def main(prompts):\n    return await asyncio.gather(*(ask(p) for p in prompts))",
        ask_call(sdk)
    )
}

fn max_tokens(sdk: Sdk) -> String {
    let (head, model, history, reserve) = match sdk {
        Sdk::Openai | Sdk::Azure | Sdk::Groq | Sdk::Mistral | Sdk::Cohere | Sdk::Anthropic => {
            ("", "model", "messages", "max_tokens=300,")
        }
        Sdk::Genai => (
            "from google.genai import types\n\n",
            "model",
            "contents",
            "config=types.GenerateContentConfig(max_output_tokens=300),",
        ),
        Sdk::Bedrock => (
            "",
            "modelId",
            "messages",
            "inferenceConfig={\"maxTokens\": 300},",
        ),
    };
    format!(
        "{head}resp = {}(\n    {model}=MODEL,\n    \
         {history}={history}[-10:],  # keep only the recent history\n    \
         # reserve only what the answer needs\n    {reserve}\n)",
        sdk.call()
    )
}

fn timeout(sdk: Sdk) -> &'static str {
    match sdk {
        Sdk::Openai => {
            "from openai import OpenAI\n\n\
             client = OpenAI(timeout=300.0, max_retries=3)  # seconds"
        }
        Sdk::Azure => {
            "from openai import AzureOpenAI\n\n\
             client = AzureOpenAI(timeout=300.0, max_retries=3)  # seconds"
        }
        Sdk::Anthropic => {
            "import anthropic\n\n\
             client = anthropic.Anthropic(timeout=300.0, max_retries=3)  # seconds"
        }
        Sdk::Genai => {
            "from google import genai\nfrom google.genai import types\n\n\
             client = genai.Client(\n    \
             http_options=types.HttpOptions(timeout=300_000))  # milliseconds"
        }
        Sdk::Groq => {
            "from groq import Groq\n\n\
             client = Groq(timeout=300.0, max_retries=3)  # seconds"
        }
        Sdk::Mistral => {
            "from mistralai import Mistral\n\n\
             client = Mistral(api_key=KEY, timeout_ms=300_000)  # milliseconds"
        }
        Sdk::Cohere => "import cohere\n\nclient = cohere.ClientV2(timeout=300)  # seconds",
        Sdk::Bedrock => {
            "import boto3\nfrom botocore.config import Config\n\n\
             client = boto3.client(\"bedrock-runtime\",\n    \
             config=Config(read_timeout=300))  # seconds"
        }
    }
}

/// Split a big input into several smaller requests.
const SPLIT: &str = r#"def chunks(text, size=8000):  # characters, roughly 2,000 tokens
    for i in range(0, len(text), size):
        yield text[i:i + size]

parts = [summarise(c) for c in chunks(document)]  # many small requests
answer = summarise("\n".join(parts))"#;

/// Ramp traffic up gradually.
const RAMP: &str = r#"import time

rate, target = 5.0, 50.0  # requests/s: start where it worked before
raised = time.monotonic()
for req in jobs:
    send(req)
    time.sleep(1 / rate)
    if rate < target and time.monotonic() - raised > 15 * 60:
        rate, raised = min(rate * 1.5, target), time.monotonic()"#;

/// Anthropic prompt caching for a long, repeated prefix.
const ANTHROPIC_CACHE: &str = r#"msg = client.messages.create(
    model=MODEL,
    max_tokens=1024,
    system=[{"type": "text", "text": LONG_CONTEXT,
             "cache_control": {"type": "ephemeral"}}],  # cached
    messages=[{"role": "user", "content": question}],
)  # cached input tokens do not count towards ITPM"#;

/// Anthropic: do not retry the monthly spend cap.
const ANTHROPIC_SPEND_CAP: &str = r#"import anthropic

try:
    msg = client.messages.create(**req)
except anthropic.RateLimitError as e:
    err = (e.body or {}).get("error", {})
    code = (err.get("details") or {}).get("error_code")
    if code == "enforced_spend_limit_reached":
        raise SystemExit("Monthly spend cap reached: no retry.") from e
    raise"#;

/// Anthropic: more SDK retries for 529.
const ANTHROPIC_RETRIES: &str = r#"import anthropic

# 529 overloaded is retried by the SDK; give it more than 2 tries
client = anthropic.Anthropic(max_retries=6)"#;

/// Stream long outputs so the connection is not idle.
const ANTHROPIC_STREAM: &str = r#"with client.messages.stream(model=MODEL, max_tokens=8000,
                            messages=messages) as stream:
    for text in stream.text_stream:
        print(text, end="", flush=True)"#;

/// google-genai does not retry by default.
const GENAI_RETRY: &str = r#"from google import genai
from google.genai import types

client = genai.Client(http_options=types.HttpOptions(
    retry_options=types.HttpRetryOptions(attempts=5)))  # off by default"#;

/// botocore adaptive retries for Bedrock.
const BOTO_ADAPTIVE: &str = r#"import boto3
from botocore.config import Config

client = boto3.client("bedrock-runtime", config=Config(
    retries={"max_attempts": 10, "mode": "adaptive"}))  # paces itself"#;

/// OpenRouter fallback models.
const OPENROUTER_FALLBACK: &str = r#"resp = client.chat.completions.create(
    model="deepseek/deepseek-chat-v3-0324:free",
    extra_body={"models": ["deepseek/deepseek-chat-v3-0324",
                           "openai/gpt-4o-mini"]},  # tried in order
    messages=messages,
)"#;

/// `snip` written for `sdk`: the code, and the package it uses (`any` for none).
pub fn write(snip: Snip, sdk: Sdk) -> (String, &'static str) {
    let own = |code: &str, package: &'static str| (code.to_string(), package);
    match snip {
        Snip::RetryAfter => (retry(sdk, false), sdk.package()),
        Snip::Backoff => (retry(sdk, true), sdk.package()),
        Snip::Semaphore => (semaphore(sdk), sdk.package()),
        Snip::MaxTokens => (max_tokens(sdk), sdk.package()),
        Snip::Stop => (stop(sdk), sdk.package()),
        Snip::Timeout => (timeout(sdk).to_string(), sdk.package()),
        Snip::Split => own(SPLIT, "any"),
        Snip::Ramp => own(RAMP, "any"),
        Snip::AnthropicCache => own(ANTHROPIC_CACHE, "anthropic"),
        Snip::AnthropicSpendCap => own(ANTHROPIC_SPEND_CAP, "anthropic"),
        Snip::AnthropicRetries => own(ANTHROPIC_RETRIES, "anthropic"),
        Snip::AnthropicStream => own(ANTHROPIC_STREAM, "anthropic"),
        Snip::GenaiRetry => own(GENAI_RETRY, "google-genai"),
        Snip::BotoAdaptive => own(BOTO_ADAPTIVE, "boto3"),
        Snip::OpenrouterFallback => own(OPENROUTER_FALLBACK, "openai"),
    }
}

/// The snippet for this cause from this provider, if the table gives one.
pub fn for_cause(cause: Cause, provider: Provider) -> Option<Snippet> {
    let snip = crate::table::lookup(cause, provider).snippet?;
    let (code, sdk) = write(snip, Sdk::of(provider));
    Some(Snippet {
        language: "python",
        sdk,
        code,
    })
}

/// The snippet of a diagnosis.
pub fn of(d: &Diagnosis) -> Option<Snippet> {
    for_cause(d.detail, d.provider)
}

#[cfg(test)]
mod tests;
