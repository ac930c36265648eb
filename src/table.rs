//! The cause/fix table (core layer): what each cause means and the fastest fix, per
//! provider where the advice differs.
//!
//! Every [`Cause`] has exactly one generic row (`provider: None`); providers whose advice
//! really differs add their own row. [`lookup`] picks the provider's row when it exists and
//! the generic row otherwise. The text is the product's advice: short, plain, concrete.

use crate::snippet::Snip;
use crate::vocab::{Cause, Kind, Provider};

/// One row: what a cause means and the fastest fix, for one provider or for all.
pub struct Row {
    pub cause: Cause,
    /// `None` = the generic row for every provider without a row of its own.
    pub provider: Option<Provider>,
    /// What happened and why, 1–2 sentences, plain words.
    pub meaning: &'static str,
    /// The fastest fix, 1–3 sentences, concrete: which setting, which page, which number to change.
    pub fix: &'static str,
    /// What the fix's short code snippet shows (honour Retry-After, cap concurrency, lower
    /// max_tokens, stop on a quota…); [`crate::snippet`] writes it in the provider's SDK.
    pub snippet: Option<Snip>,
}

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

/// Every row. Grouped by cause in `Cause::ALL` order; the generic row comes first.
pub static ROWS: &[Row] = &[
    // ----- requests per minute -----
    Row {
        cause: Cause::RequestsPerMinute,
        provider: None,
        meaning: "You sent more requests in the last minute than your plan allows. The window \
                  rolls, so capacity comes back within seconds.",
        fix: "Wait for the Retry-After header (or the 'try again in' time), then retry with \
              exponential backoff. To stop it recurring, spread calls out and batch several small \
              prompts into one request.",
        snippet: Some(Snip::RetryAfter),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Openai),
        meaning: "Your organization or project hit the model's requests-per-minute limit. The \
                  limit comes from your usage tier, and some model families share one limit.",
        fix: "Honour Retry-After and back off. Your limits are at \
              platform.openai.com/account/rate-limits and rise with your usage tier as you spend \
              more; send bulk offline work through the Batch API, which has its own larger quota.",
        snippet: Some(Snip::RetryAfter),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Azure),
        meaning: "The deployment exceeded its call rate limit. Azure derives RPM from the \
                  deployment's TPM allocation (6 RPM per 1,000 TPM) and checks it over 1- or \
                  10-second windows, so a burst trips it even when the minute total is fine.",
        fix: "Smooth bursts into a steady pace and wait the retry-after-ms the response gives. To \
              raise RPM, raise the deployment's TPM allocation on the Quotas page in Azure AI \
              Foundry, or spread load over deployments in other regions.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Anthropic),
        meaning: "Your organization hit the requests-per-minute limit for this model class. \
                  Anthropic refills the limit continuously, so short bursts can trip it.",
        fix: "Honour retry-after and send requests evenly instead of in bursts. Limits rise with \
              your usage tier, which goes up as you buy credits; see Settings > Limits in the \
              Claude Console.",
        snippet: Some(Snip::RetryAfter),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Gemini),
        meaning: "Your Google Cloud project hit the model's requests-per-minute limit. Gemini \
                  limits are per project, not per API key.",
        fix: "Wait the retryDelay (or 'Please retry in Ns') from the error, then retry. More API \
              keys in the same project share the same limit and will not help; enable billing on \
              the project to move from the free tier to Tier 1 (current usage: ai.dev/rate-limit).",
        snippet: Some(Snip::GenaiRetry),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Vertex),
        meaning: "Your project hit a Vertex AI per-minute quota for this base model in this \
                  region, named in the error (aiplatform.googleapis.com/...).",
        fix: "Back off and retry. If it keeps happening, request a higher quota for that metric \
              under IAM & Admin > Quotas in the Google Cloud console, or send traffic to another \
              region.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Groq),
        meaning: "Your Groq organization hit the model's requests-per-minute limit. Limits are per \
                  organization and model, and the free tier's are low.",
        fix: "Honour retry-after and pace your calls. Groq's x-ratelimit-*-requests headers count \
              requests per day, not per minute; for higher limits upgrade to the Developer tier at \
              console.groq.com/settings/billing.",
        snippet: Some(Snip::RetryAfter),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Mistral),
        meaning: "Your workspace went over its request rate ('Requests rate limit exceeded' or \
                  type rate_limited). Mistral counts it per second, so bursts trip it.",
        fix: "Back off and retry at a steady pace. Check and raise your workspace limits on the \
              Limits page of La Plateforme; the free Experiment plan is far lower than the paid \
              Scale plan.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Openrouter),
        meaning: "OpenRouter's own limit for free model variants (':free'): 20 requests per \
                  minute.",
        fix: "Keep free-model traffic under 20 requests a minute, or switch to the paid version \
              of the model (same name without ':free'), which does not have this cap.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Together),
        meaning: "Your request rate went above your dynamic limit for this model \
                  (dynamic_request_limited). Together sets it per model from live capacity and \
                  your recent successful usage, and enforces it per second.",
        fix: "Wait the x-ratelimit-reset interval, then ramp up gradually: the dynamic limit \
              grows as you sustain successful traffic. A steady rate gets more through than \
              bursts.",
        snippet: Some(Snip::Ramp),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Deepseek),
        meaning: "DeepSeek has no per-minute request limit. A 429 from it means too many requests \
                  at once for your balance, or heavy load on DeepSeek's servers.",
        fix: "Lower parallelism with a semaphore and retry with backoff. Topping up your balance \
              raises the concurrency limit.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Cohere),
        meaning: "Trial keys are throttled per endpoint per minute ('Trial key ... API calls / \
                  minute').",
        fix: "Pace calls to the number in the message, or create a Production key at \
              dashboard.cohere.com/api-keys for much higher limits.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Xai),
        meaning: "Your team went over the model's request limit. xAI enforces it per second \
                  (your RPM divided by 60), so bursts count.",
        fix: "Smooth bursts and retry with backoff. Limits rise with your spend tier; see them at \
              console.x.ai.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Bedrock),
        meaning: "ThrottlingException: your AWS account went over its Bedrock requests-per-minute \
                  quota for this model in this region.",
        fix: "Use botocore's adaptive retry mode, and request a higher quota in the Service \
              Quotas console (service: Amazon Bedrock). A cross-region inference profile spreads \
              load over several regions.",
        snippet: Some(Snip::BotoAdaptive),
    },
    Row {
        cause: Cause::RequestsPerMinute,
        provider: Some(Provider::Perplexity),
        meaning: "Your account hit the model's requests-per-minute limit for its usage tier \
                  (Tier 0: about 50 RPM for sonar models, 5 for sonar-deep-research).",
        fix: "Back off and pace calls. Tiers rise with total credits bought ($50 for Tier 1, \
              $250 for Tier 2, and so on); check yours in the API settings.",
        snippet: Some(Snip::Backoff),
    },
    // ----- tokens per minute -----
    Row {
        cause: Cause::TokensPerMinute,
        provider: None,
        meaning: "The tokens in your recent requests (prompt plus the max_tokens you reserved) \
                  went over the per-minute token limit. It clears as the minute rolls on.",
        fix: "Wait for Retry-After, then retry. To need fewer retries, lower max_tokens to what \
              you actually use, shorten prompts and history, and spread calls over time.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Openai),
        meaning: "Your organization or project went over the model's tokens-per-minute limit. \
                  OpenAI counts each request as the larger of max_tokens and its estimated \
                  prompt size, so a big max_tokens costs budget even when replies are short.",
        fix: "Honour Retry-After, lower max_tokens (max_completion_tokens) and trim context. \
              Limits depend on your usage tier (platform.openai.com/account/rate-limits) and rise \
              as you spend; move bulk jobs to the Batch API.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Azure),
        meaning: "The deployment used more tokens than its TPM allocation. Azure counts \
                  max_tokens in its estimate and checks short windows, so a few large requests \
                  at once can trip it.",
        fix: "Raise the deployment's TPM allocation on the Quotas page in Azure AI Foundry \
              (request more regional quota at aka.ms/oai/quotaincrease), set max_tokens close to \
              the real output, and smooth bursts. For steady heavy traffic use provisioned \
              throughput or spread over regions.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Anthropic),
        meaning: "Your organization went over a per-minute token limit for this model class. \
                  Anthropic counts input and output tokens against separate limits (ITPM, OTPM).",
        fix: "Shorten the prompt, lower max_tokens and honour retry-after; cache long repeated \
              context with prompt caching. Limits rise with your tier (Settings > Limits in the \
              Claude Console).",
        snippet: Some(Snip::AnthropicCache),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Gemini),
        meaning: "Your project sent more input tokens per minute than the model allows. Limits \
                  are per project, not per API key, and long files, history and images all count.",
        fix: "Wait the retryDelay, then shorten prompts. More API keys will not add quota; \
              enable billing on the project to reach Tier 1's much higher limits.",
        snippet: Some(Snip::GenaiRetry),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Groq),
        meaning: "Your organization went over the model's tokens-per-minute limit. On the free \
                  tier it is only a few thousand tokens for some models.",
        fix: "Wait the 'try again in' time, lower max_tokens and trim prompts; \
              x-ratelimit-remaining-tokens shows the minute budget left. Upgrade to the \
              Developer tier at console.groq.com/settings/billing for higher limits.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Mistral),
        meaning: "Your workspace went over its tokens-per-minute limit; Mistral's limits are \
                  counted in tokens and shown in the x-ratelimitbysize-* headers.",
        fix: "Wait, then send fewer tokens per minute (shorter prompts, lower max_tokens). \
              Raise the workspace limits on the Limits page of La Plateforme, or move to the \
              Scale plan.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Together),
        meaning: "Your token rate went above your dynamic limit for this model \
                  (dynamic_token_limited). The limit follows live capacity and your recent \
                  successful usage.",
        fix: "Wait the x-ratelimit-reset interval, then send a steady token rate and increase \
              it gradually; sustained successful traffic raises the limit. Lower max_tokens to \
              reduce each request's share.",
        snippet: Some(Snip::Ramp),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Cohere),
        meaning: "Trial keys have a tokens-per-minute cap ('trial token rate limit exceeded').",
        fix: "Send fewer tokens per minute, or switch to a Production key at \
              dashboard.cohere.com/api-keys.",
        snippet: None,
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Xai),
        meaning: "'Too many tokens for team': your team went over the model's tokens-per-minute \
                  limit. xAI counts every token: prompt, completion, reasoning and cached.",
        fix: "Wait, then trim prompts and cap output; reasoning models spend many tokens \
              thinking. Limits rise with the spend tier; see them at console.x.ai.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Fireworks),
        meaning: "Fireworks serverless limits tokens per minute per model: total prompt, uncached \
                  prompt and generated tokens each have a limit that adapts to your usage.",
        fix: "Back off and retry; keep a stable prompt prefix so cached tokens count less. The \
              X-Ratelimit-Limit-Tokens-* headers show your limits (per second); for guaranteed \
              capacity use an on-demand deployment.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::TokensPerMinute,
        provider: Some(Provider::Bedrock),
        meaning: "ThrottlingException 'Too many tokens': your account went over its \
                  tokens-per-minute quota for this model and region. Bedrock reserves max_tokens \
                  against the quota when a request starts.",
        fix: "Set max_tokens near the real output size and retry with botocore's adaptive mode. \
              Request a higher quota in the Service Quotas console, or use a cross-region \
              inference profile.",
        snippet: Some(Snip::BotoAdaptive),
    },
    // ----- input tokens per minute -----
    Row {
        cause: Cause::InputTokensPerMinute,
        provider: None,
        meaning: "The prompt tokens you sent in the last minute went over the input-token limit \
                  (ITPM). Output tokens are counted separately.",
        fix: "Retry after the stated wait, then send less input: trim history, attach only the \
              documents you need, summarise long context, and spread large prompts over time.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::InputTokensPerMinute,
        provider: Some(Provider::Anthropic),
        meaning: "Your organization went over the input tokens per minute for this model. \
                  Anthropic estimates it at the start of each request from the prompt size.",
        fix: "Use prompt caching: on most current models, tokens read from the cache do not \
              count toward ITPM. Also trim the prompt, honour retry-after, and raise your tier by \
              buying credits in the Claude Console.",
        snippet: Some(Snip::AnthropicCache),
    },
    Row {
        cause: Cause::InputTokensPerMinute,
        provider: Some(Provider::Gemini),
        meaning: "The project went over the model's input tokens per minute \
                  (...InputTokensPerModelPerMinute). Limits are per project, not per key.",
        fix: "Wait the retryDelay, then send shorter prompts or fewer large files at once. \
              Extra keys will not help; enabling billing (Tier 1) raises the limit.",
        snippet: Some(Snip::GenaiRetry),
    },
    Row {
        cause: Cause::InputTokensPerMinute,
        provider: Some(Provider::Fireworks),
        meaning: "You went over the uncached prompt tokens per minute, usually the first \
                  Fireworks limit to trip (900k uncached vs 3.6M total at the start).",
        fix: "Reuse a stable prompt prefix so most input is served from cache, trim the rest, \
              and retry with backoff. For more, use an on-demand deployment.",
        snippet: Some(Snip::Backoff),
    },
    // ----- output tokens per minute -----
    Row {
        cause: Cause::OutputTokensPerMinute,
        provider: None,
        meaning: "The model generated more output tokens in the last minute than your limit \
                  allows (OTPM).",
        fix: "Lower max_tokens to what you need, ask for shorter answers, and retry after the \
              wait. Fewer long generations running in parallel also helps.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::OutputTokensPerMinute,
        provider: Some(Provider::Anthropic),
        meaning: "Your organization went over the output tokens per minute for this model. \
                  Output is counted as it is generated, and a large max_tokens counts against the \
                  estimate when the request starts.",
        fix: "Lower max_tokens close to the real answer length and run fewer long generations \
              at once. Raise your tier (higher OTPM) by buying credits in the Claude Console.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::OutputTokensPerMinute,
        provider: Some(Provider::Fireworks),
        meaning: "You went over the generated tokens per minute, the smallest Fireworks limit \
                  (36k at the start, about 600 per second).",
        fix: "Lower max_tokens, ask for shorter output, and retry with backoff. For heavy \
              generation use an on-demand deployment.",
        snippet: Some(Snip::MaxTokens),
    },
    // ----- requests per day -----
    Row {
        cause: Cause::RequestsPerDay,
        provider: None,
        meaning: "You used up the requests your plan allows per day. They come back only when \
                  the daily window resets.",
        fix: "Wait for the reset (the error or the reset header often says when), or upgrade \
              the plan for a higher daily allowance. Retrying before the reset only burns \
              attempts.",
        snippet: None,
    },
    Row {
        cause: Cause::RequestsPerDay,
        provider: Some(Provider::Openai),
        meaning: "Your account hit its requests-per-day limit, which mostly applies to free and \
                  low tiers. The window rolls, so requests come back gradually; the reset time \
                  is the 'try again in' value.",
        fix: "Wait the 'try again in' time, or add a payment method at \
              platform.openai.com/account/billing to move to a paid tier with higher limits.",
        snippet: None,
    },
    Row {
        cause: Cause::RequestsPerDay,
        provider: Some(Provider::Gemini),
        meaning: "Your project used the model's requests per day. Gemini's daily quota resets at \
                  midnight Pacific time, not UTC or your local midnight.",
        fix: "Wait for midnight Pacific, switch to a model with its own daily quota, or enable \
              billing on the project for Tier 1 limits. New keys in the same project share the \
              same count.",
        snippet: None,
    },
    Row {
        cause: Cause::RequestsPerDay,
        provider: Some(Provider::Groq),
        meaning: "Your organization used the model's requests per day. Groq's \
                  x-ratelimit-*-requests headers count exactly this daily limit; \
                  x-ratelimit-reset-requests says when it resets.",
        fix: "Wait the x-ratelimit-reset-requests time, use another model (each has its own \
              budget), or upgrade to the Developer tier at console.groq.com/settings/billing.",
        snippet: None,
    },
    Row {
        cause: Cause::RequestsPerDay,
        provider: Some(Provider::Openrouter),
        meaning: "free-models-per-day: free model variants allow 50 requests a day if you have \
                  bought less than 10 credits, 1,000 a day if you have bought 10 or more. It \
                  resets at 00:00 UTC.",
        fix: "Buy at least 10 credits once at openrouter.ai/settings/credits to lift the cap to \
              1,000 a day, use a paid model, or wait for 00:00 UTC (X-RateLimit-Reset is that \
              time in epoch milliseconds).",
        snippet: None,
    },
    // ----- tokens per day -----
    Row {
        cause: Cause::TokensPerDay,
        provider: None,
        meaning: "You used the whole daily token allowance for this model. It comes back when \
                  the daily window resets.",
        fix: "Wait for the reset, use a different model with its own allowance, or upgrade the \
              plan.",
        snippet: None,
    },
    Row {
        cause: Cause::TokensPerDay,
        provider: Some(Provider::Gemini),
        meaning: "Your project used the model's tokens per day. Gemini's daily quotas reset at \
                  midnight Pacific time.",
        fix: "Wait for midnight Pacific, use another model, or enable billing on the project \
              for Tier 1 limits. More keys in the same project will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::TokensPerDay,
        provider: Some(Provider::Groq),
        meaning: "Your organization used the model's tokens per day (for example 100,000 on the \
                  free tier for llama-3.3-70b-versatile). The window rolls; the reset time is \
                  the 'try again in' value.",
        fix: "Wait the stated time, switch to another model (each has its own daily budget), \
              or upgrade to the Developer tier at console.groq.com/settings/billing.",
        snippet: None,
    },
    // ----- images per minute -----
    Row {
        cause: Cause::ImagesPerMinute,
        provider: None,
        meaning: "You asked for more images per minute than the image model allows (IPM). Each \
                  image counts: one request with n=4 is four images.",
        fix: "Ask for fewer images per call, queue jobs at a steady pace, and retry after the \
              wait.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::ImagesPerMinute,
        provider: Some(Provider::Openai),
        meaning: "Your organization hit the image model's images-per-minute limit, which is set \
                  by your usage tier.",
        fix: "Queue image jobs at a steady pace and honour Retry-After. Check the IPM for your \
              tier at platform.openai.com/account/rate-limits; it rises as you move up tiers.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::ImagesPerMinute,
        provider: Some(Provider::Gemini),
        meaning: "Your project hit the image model's images-per-minute limit. Limits are per \
                  project, not per key.",
        fix: "Queue image jobs and wait the retryDelay. Enabling billing (Tier 1) raises the \
              limit; extra keys do not.",
        snippet: Some(Snip::Semaphore),
    },
    // ----- request too large -----
    Row {
        cause: Cause::RequestTooLarge,
        provider: None,
        meaning: "This one request needs more tokens than your whole per-minute limit, so it \
                  never fits, however long you wait.",
        fix: "Shrink the request: fewer input tokens, a lower max_tokens, or split the input \
              into smaller chunks. Retrying it unchanged can never succeed; a higher tier with a \
              bigger limit also solves it.",
        snippet: Some(Snip::Split),
    },
    Row {
        cause: Cause::RequestTooLarge,
        provider: Some(Provider::Openai),
        meaning: "'Request too large': Requested is bigger than Limit on tokens per minute. \
                  OpenAI counts max_tokens in Requested, not just the prompt.",
        fix: "Shrink the request until Requested is below Limit: cut the prompt, lower \
              max_tokens, or split the input. Retrying can never succeed; a higher usage tier \
              raises Limit.",
        snippet: Some(Snip::Split),
    },
    Row {
        cause: Cause::RequestTooLarge,
        provider: Some(Provider::Anthropic),
        meaning: "HTTP 413 request_too_large: the request body is over the size limit (32 MB for \
                  the Messages API), usually because of large images or PDFs.",
        fix: "Shrink the request: resize images, send fewer pages, or upload files once with \
              the Files API and refer to them. Retrying the same body can never succeed.",
        snippet: Some(Snip::Split),
    },
    Row {
        cause: Cause::RequestTooLarge,
        provider: Some(Provider::Groq),
        meaning: "Requested is bigger than Limit with Used 0: the free-tier TPM of this model is \
                  smaller than your single request.",
        fix: "Shrink the request (shorter prompt, lower max_tokens, or split the input), pick a \
              model with a higher TPM, or upgrade to the Developer tier. Retrying can never \
              succeed.",
        snippet: Some(Snip::Split),
    },
    // ----- quota / billing -----
    Row {
        cause: Cause::Quota,
        provider: None,
        meaning: "Your account is out of credit or has no billing set up, so every request is \
                  refused. This is billing, not speed.",
        fix: "Add a payment method or buy credits on the provider's billing page. Retrying will \
              not help: every call fails until billing is fixed.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Openai),
        meaning: "insufficient_quota: the organization has no usable credit or billing. \
                  credit_balance_exhausted means the prepaid credits ran out.",
        fix: "Buy credits or add a payment method at platform.openai.com > Settings > Billing, \
              and turn on auto recharge. Retrying will not help, and neither will a new key in \
              the same organization; access can take a few minutes to return after paying.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Anthropic),
        meaning: "'Your credit balance is too low' (HTTP 400) or billing_error (402): the \
                  organization's prepaid credit is used up.",
        fix: "Buy credits in the Claude Console under Settings > Billing, and turn on auto-reload \
              if you want it to stay topped up. Retrying will not help until the balance is \
              positive.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Gemini),
        meaning: "'Your prepayment credits are depleted': the project's prepaid Gemini credit is \
                  used up, even though the status is 429.",
        fix: "Add credit or fix billing for the project in AI Studio (ai.studio/projects). \
              Retrying will not help until credit is added.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Openrouter),
        meaning: "HTTP 402: your credits cannot pay for this request. OpenRouter prices the \
                  request at its full max_tokens, so a big max_tokens alone can trigger it.",
        fix: "Buy credits at openrouter.ai/settings/credits, or lower max_tokens until the \
              request fits your balance. Retrying the same request will not help.",
        snippet: Some(Snip::MaxTokens),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Together),
        meaning: "Your account has no credit or is on the limited free plan (type credit_limit).",
        fix: "Add credits or a payment method at api.together.xyz/settings/billing. Retrying \
              will not help until billing is set up.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Deepseek),
        meaning: "HTTP 402 'Insufficient Balance': your DeepSeek account balance is used up.",
        fix: "Top up at platform.deepseek.com (Top up page). Retrying will not help until the \
              balance is positive; a bigger balance also raises your concurrency limit.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Xai),
        meaning: "Your team used all its prepaid credits ('used all available credits or reached \
                  its monthly spending limit'). The status may be 429 or 403.",
        fix: "Buy credits on the billing page at console.x.ai; if credits remain, the monthly \
              spending limit is the problem, so raise it there. Retrying will not help.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Fireworks),
        meaning: "HTTP 402: the account is not on a paid plan or has used its credit or usage \
                  limit (412 means the account is suspended).",
        fix: "Add a payment method or credits in the Fireworks billing settings. Retrying will \
              not help until the account can pay.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::Quota,
        provider: Some(Provider::Perplexity),
        meaning: "The Perplexity API is prepaid: your credit balance ran out.",
        fix: "Buy credits (and turn on auto top-up) on the API billing page of your Perplexity \
              account settings. Retrying will not help until credit is added.",
        snippet: Some(Snip::Stop),
    },
    // ----- spend cap -----
    Row {
        cause: Cause::SpendCap,
        provider: None,
        meaning: "A monthly spending or usage cap was reached, set by you or by the provider for \
                  your tier. Nothing runs until the cap is raised or the month rolls over.",
        fix: "Raise the cap in the provider's billing or limits settings, or wait for the \
              monthly reset. Retrying will not help before then.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::SpendCap,
        provider: Some(Provider::Openai),
        meaning: "organization_spend_limit_exceeded or project_spend_limit_exceeded: a budget \
                  you set was reached. organization_usage_limit_exceeded is OpenAI's own monthly \
                  limit for your tier.",
        fix: "Raise the organization budget under Settings > Limits at platform.openai.com, or \
              the project's budget in its project settings; moving up a usage tier raises \
              OpenAI's own limit. Retrying will not help.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::SpendCap,
        provider: Some(Provider::Anthropic),
        meaning: "enforced_spend_limit_reached: your organization crossed the monthly spend \
                  threshold of its API tier. Access returns at 00:00 UTC on the 1st of next \
                  month; the message gives the date.",
        fix: "To get access sooner, move up a tier by buying credits in the Claude Console. If \
              you set the limit yourself ('specified API usage limits', HTTP 400), raise it \
              under Settings > Limits. Retrying will not help, even the SDK's automatic retries.",
        snippet: Some(Snip::AnthropicSpendCap),
    },
    Row {
        cause: Cause::SpendCap,
        provider: Some(Provider::Groq),
        meaning: "HTTP 400 blocked_api_access: your organization reached the spend limit you \
                  set, so every key is blocked.",
        fix: "Raise or remove the spend limit at console.groq.com/settings/billing. Retrying \
              will not help until the limit is raised.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::SpendCap,
        provider: Some(Provider::Openrouter),
        meaning: "The API key's own credit limit is used up (often HTTP 403 'Key limit \
                  exceeded'); the account may still have credit.",
        fix: "Raise or remove the key's credit limit at openrouter.ai/settings/keys, or use \
              another key. Retrying will not help.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::SpendCap,
        provider: Some(Provider::Xai),
        meaning: "Your team reached its monthly spending limit (the message says 'used all \
                  available credits or reached its monthly spending limit'). The status may be \
                  429 or 403.",
        fix: "Raise the team's monthly spending limit in console.x.ai, or buy credits if those \
              ran out. Retrying will not help.",
        snippet: Some(Snip::Stop),
    },
    // ----- zero allowance -----
    Row {
        cause: Cause::ZeroAllowance,
        provider: None,
        meaning: "Your plan has no allowance at all for this model (the limit is 0), so every \
                  request fails however slowly you send.",
        fix: "Enable billing or upgrade the plan, or pick a model your plan includes. Waiting \
              will not help: the limit stays at 0.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::ZeroAllowance,
        provider: Some(Provider::Gemini),
        meaning: "'limit: 0' on a free_tier metric: the free tier has no quota for this model. \
                  The 'retry in Ns' in the message is misleading.",
        fix: "Enable billing on the project in AI Studio (Tier 1), or switch to a model that has \
              free-tier quota, such as a Flash model. Retrying will not help, and neither will \
              waiting for the daily reset.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::ZeroAllowance,
        provider: Some(Provider::Vertex),
        meaning: "Your project's quota for this base model in this region is 0.",
        fix: "Request a quota increase under IAM & Admin > Quotas in the Google Cloud console, \
              or use a region or model where you have quota. Retrying will not help.",
        snippet: Some(Snip::Stop),
    },
    // ----- monthly limit -----
    Row {
        cause: Cause::MonthlyLimit,
        provider: None,
        meaning: "The key's monthly allowance is used up. It comes back only when the next month \
                  starts.",
        fix: "Upgrade to a paid or production key, or wait for the new month. Retrying will not \
              help before then.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::MonthlyLimit,
        provider: Some(Provider::Mistral),
        meaning: "Your workspace used its monthly token limit (x-ratelimitbysize-remaining-month \
                  is 0).",
        fix: "Raise the workspace limits on the Limits page of La Plateforme or move to the \
              Scale plan. Retrying will not help until the limit is raised or the month resets.",
        snippet: Some(Snip::Stop),
    },
    Row {
        cause: Cause::MonthlyLimit,
        provider: Some(Provider::Cohere),
        meaning: "Trial keys allow 1,000 API calls a month in total, and this key has used them.",
        fix: "Create a Production key (with billing) at dashboard.cohere.com/api-keys and use \
              it instead. Retrying the trial key will not help until the month resets.",
        snippet: Some(Snip::Stop),
    },
    // ----- concurrency -----
    Row {
        cause: Cause::Concurrency,
        provider: None,
        meaning: "Too many requests were in flight at the same time. The limit counts open \
                  requests, not requests per minute.",
        fix: "Lower parallelism: cap in-flight calls with a semaphore (start at 5) and raise it \
              step by step. Retry the failed calls after a short backoff.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::Concurrency,
        provider: Some(Provider::Anthropic),
        meaning: "'Number of concurrent connections has exceeded your rate limit': too many \
                  requests open at once, often long streaming calls.",
        fix: "Lower parallelism with a semaphore and keep fewer long streams open at once. For \
              bulk work use the Message Batches API, which does not hold connections open.",
        snippet: Some(Snip::Semaphore),
    },
    Row {
        cause: Cause::Concurrency,
        provider: Some(Provider::Deepseek),
        meaning: "Your account's concurrency limit scales with your remaining balance and is \
                  shared by all your keys ('exceeds your concurrency limit of N based on your \
                  remaining balance').",
        fix: "Lower parallelism below the limit in the message with a semaphore, and top up at \
              platform.deepseek.com to raise it.",
        snippet: Some(Snip::Semaphore),
    },
    // ----- ramp -----
    Row {
        cause: Cause::Ramp,
        provider: None,
        meaning: "Your traffic grew too fast. Some providers throttle sudden jumps even when you \
                  are under your per-minute limits.",
        fix: "Back off, return to your earlier rate, then increase it gradually over several \
              minutes. Retrying at full speed makes it worse.",
        snippet: Some(Snip::Ramp),
    },
    Row {
        cause: Cause::Ramp,
        provider: Some(Provider::Openai),
        meaning: "slow_down: your request rate increased too quickly, even if it is within your \
                  RPM and TPM.",
        fix: "Drop back to your previous steady rate, then raise it by no more than 50% every \
              15 minutes.",
        snippet: Some(Snip::Ramp),
    },
    Row {
        cause: Cause::Ramp,
        provider: Some(Provider::Anthropic),
        meaning: "Acceleration limit: your organization's usage jumped sharply, and Anthropic \
                  throttles sharp increases even under your rate limits.",
        fix: "Go back to a steady rate and increase it in gradual steps. For a large planned \
              increase, talk to Anthropic sales first.",
        snippet: Some(Snip::Ramp),
    },
    Row {
        cause: Cause::Ramp,
        provider: Some(Provider::Together),
        meaning: "Your dynamic limit has not caught up with a sudden jump; it grows only with \
                  sustained successful usage.",
        fix: "Start near your recent rate and increase it gradually; keep traffic steady so the \
              dynamic limit rises with it.",
        snippet: Some(Snip::Ramp),
    },
    // ----- overloaded -----
    Row {
        cause: Cause::Overloaded,
        provider: None,
        meaning: "The provider's servers are overloaded. It is their capacity, not your limit, \
                  and it hits many users at once.",
        fix: "Retry with exponential backoff and jitter; if it lasts, switch to another model \
              or region, or check the provider's status page.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Openai),
        meaning: "503 server_is_overloaded ('engine is currently overloaded'): OpenAI is short of \
                  capacity for this model. Your limits are not the problem.",
        fix: "Retry with backoff, honouring Retry-After when present, or fall back to another \
              model. Check status.openai.com if it lasts.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Azure),
        meaning: "'The system is currently experiencing high demand': the shared Azure capacity \
                  in this region is busy, not your quota.",
        fix: "Wait the seconds the message gives, then retry. For steady latency use \
              provisioned throughput, or add a deployment in another region as a fallback.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Anthropic),
        meaning: "529 overloaded_error: Anthropic's servers are under heavy load across all \
                  users. It is not your rate limit, and your tier does not matter.",
        fix: "Retry with backoff (the SDK retries 529; raise max_retries), fall back to another \
              Claude model, or try again in a few minutes. Check status.anthropic.com if it \
              lasts.",
        snippet: Some(Snip::AnthropicRetries),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Gemini),
        meaning: "503 UNAVAILABLE 'The model is overloaded' or 'experiencing high demand': \
                  Google is short of capacity for this model.",
        fix: "Retry with backoff (google-genai does not retry unless you pass retry options), \
              or fall back to another model, for example from Pro to Flash.",
        snippet: Some(Snip::GenaiRetry),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Vertex),
        meaning: "'Resource exhausted. Please try again later.': the shared capacity behind this \
                  model is busy, or your project's share of it is used.",
        fix: "Retry with exponential backoff, try the global endpoint or another region, and \
              buy Provisioned Throughput if you need guaranteed capacity.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Groq),
        meaning: "498 capacity_exceeded: the flex service tier is full right now. It is Groq's \
                  capacity, not your limit.",
        fix: "Retry later, or send the request on the on_demand service tier instead of flex.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Mistral),
        meaning: "'Service tier capacity exceeded for this model' (429 or 503): Mistral's \
                  servers are at capacity for this model. It is not your limit.",
        fix: "Retry with backoff or use another Mistral model; raising your workspace limits \
              will not change it.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Together),
        meaning: "503 at or below your dynamic rate: the model's live capacity on Together is \
                  exhausted. You are within your limit.",
        fix: "Retry with backoff, without cutting your rate, or use another model.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Deepseek),
        meaning: "503 Server Overloaded: DeepSeek's servers are busy. Under load DeepSeek may also \
                  hold the connection open with empty lines or keep-alive comments.",
        fix: "Retry with backoff, use a long client timeout, or run batch work off-peak.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Fireworks),
        meaning: "503 Service Overloaded: the serverless deployment is shedding load. It can \
                  happen even within your rate limits.",
        fix: "Retry with backoff. The Priority tier makes 503s less likely, and a dedicated \
              on-demand deployment avoids shared load.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Overloaded,
        provider: Some(Provider::Bedrock),
        meaning: "ServiceUnavailableException or ModelNotReadyException: Bedrock cannot serve \
                  the model right now. It is not your quota.",
        fix: "Let botocore retry with backoff, and use a cross-region inference profile so \
              other regions can take the request.",
        snippet: Some(Snip::BotoAdaptive),
    },
    // ----- upstream -----
    Row {
        cause: Cause::Upstream,
        provider: None,
        meaning: "A router passed your request to a provider that is rate-limited or down. It is \
                  that provider's limit, not yours.",
        fix: "Retry shortly, let the router fall back to another provider or model, or use your \
              own key for that provider.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Upstream,
        provider: Some(Provider::Openrouter),
        meaning: "'temporarily rate-limited upstream': the provider serving this model \
                  (metadata.provider_name) hit its limit. Common on ':free' models that everyone \
                  shares.",
        fix: "Retry after a short wait, list fallback models (the models parameter), or add \
              your own provider key (BYOK) at openrouter.ai/settings/integrations so you get \
              your own limits.",
        snippet: Some(Snip::OpenrouterFallback),
    },
    // ----- transient -----
    Row {
        cause: Cause::Transient,
        provider: None,
        meaning: "A 429 without details: you briefly sent too much, too fast. It usually clears \
                  within seconds.",
        fix: "Honour Retry-After if present, else back off exponentially (1, 2, 4 ... s, capped \
              near 60 s, with jitter) and give up after about 6 tries. If it keeps happening, \
              pace requests and cap concurrency.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Transient,
        provider: Some(Provider::Azure),
        meaning: "'Rate limit is exceeded. Try again in N seconds.': the deployment went over its \
                  TPM or RPM allocation in a short window.",
        fix: "Wait the stated seconds (retry-after-ms is exact), then retry. If it happens often, \
              raise the deployment's TPM allocation on the Quotas page in Azure AI Foundry.",
        snippet: Some(Snip::RetryAfter),
    },
    Row {
        cause: Cause::Transient,
        provider: Some(Provider::Vertex),
        meaning: "'Resource exhausted' (429) with no quota named: the shared pool for this model \
                  is busy, or your project's quota was briefly used up.",
        fix: "Retry with exponential backoff. If it is frequent, check IAM & Admin > Quotas, try \
              the global endpoint, or buy Provisioned Throughput.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::Transient,
        provider: Some(Provider::Bedrock),
        meaning: "ThrottlingException without more detail: your account's Bedrock quota for this \
                  model was briefly exceeded.",
        fix: "Use botocore's adaptive retry mode. If it persists, raise the quota in Service \
              Quotas or use a cross-region inference profile.",
        snippet: Some(Snip::BotoAdaptive),
    },
    // ----- not a rate limit: auth -----
    Row {
        cause: Cause::Auth,
        provider: None,
        meaning: "HTTP 401: the API key is missing, wrong, revoked, or belongs to another \
                  provider. Not a rate limit.",
        fix: "Check the key your program actually reads (variable name, no quotes or spaces) and \
              create a new key if needed. Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::Auth,
        provider: Some(Provider::Azure),
        meaning: "HTTP 401 from Azure OpenAI: the key does not match this resource, or the Entra \
                  ID token is missing or expired. Not a rate limit.",
        fix: "Send the resource key in the api-key header (from Keys and Endpoint in the Azure \
              portal) to that resource's endpoint, or refresh the Entra ID token. Retrying will \
              not help.",
        snippet: None,
    },
    Row {
        cause: Cause::Auth,
        provider: Some(Provider::Anthropic),
        meaning: "authentication_error: the key is missing or invalid. Not a rate limit.",
        fix: "Send the key in the x-api-key header (the SDK reads ANTHROPIC_API_KEY), and make a \
              new key in the Claude Console if it was revoked. Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::Auth,
        provider: Some(Provider::Bedrock),
        meaning: "UnrecognizedClientException or ExpiredTokenException: your AWS credentials are \
                  invalid or expired. Not a rate limit.",
        fix: "Refresh the credentials (for example aws sso login) and check the profile and \
              region the client uses. Retrying will not help.",
        snippet: None,
    },
    // ----- not a rate limit: permission -----
    Row {
        cause: Cause::PermissionDenied,
        provider: None,
        meaning: "HTTP 403: the key is valid but not allowed to do this (model access, region, \
                  organization or project role). Not a rate limit.",
        fix: "Check the key's project and permissions, and that your account has access to this \
              model. Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::PermissionDenied,
        provider: Some(Provider::Openai),
        meaning: "The project or key is not allowed to use this model, or the model needs a \
                  verified organization. Not a rate limit.",
        fix: "Allow the model in the project's settings at platform.openai.com, check the key's \
              permissions, or verify your organization. Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::PermissionDenied,
        provider: Some(Provider::Azure),
        meaning: "HTTP 403: your identity lacks a role on the resource, a network rule blocks \
                  you, or an API Management gateway's token quota is used up. Not a rate limit.",
        fix: "Assign the Cognitive Services OpenAI User role, check the resource's networking \
              rules, or raise the gateway's quota policy. Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::PermissionDenied,
        provider: Some(Provider::Xai),
        meaning: "permission-denied (403). If the message mentions credits or a monthly spending \
                  limit, it is billing, not access. Not a rate limit.",
        fix: "Buy credits or raise the team's spending limit in console.x.ai; otherwise check \
              the key's team and model permissions. Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::PermissionDenied,
        provider: Some(Provider::Bedrock),
        meaning: "AccessDeniedException: your IAM identity may not call this model, or model \
                  access is not enabled in this region. Not a rate limit.",
        fix: "Enable access to the model on the Model access page of the Bedrock console for \
              this region, and allow bedrock:InvokeModel in IAM. Retrying will not help.",
        snippet: None,
    },
    // ----- not a rate limit: not found -----
    Row {
        cause: Cause::NotFound,
        provider: None,
        meaning: "HTTP 404: the model name, endpoint URL or deployment does not exist, or your key \
                  cannot see it. Not a rate limit.",
        fix: "Check the exact model id against the provider's model list, and the base URL. \
              Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::NotFound,
        provider: Some(Provider::Azure),
        meaning: "DeploymentNotFound: Azure routes by your deployment name, not the model name. \
                  Not a rate limit.",
        fix: "Use the deployment name shown under Deployments in Azure AI Foundry, with the \
              right endpoint and api-version; a new deployment can take a few minutes to appear. \
              Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::NotFound,
        provider: Some(Provider::Gemini),
        meaning: "'models/... is not found for API version ...': the model name is wrong, \
                  retired, or not on this API version. Not a rate limit.",
        fix: "List the available models (client.models.list()) and use an exact current name. \
              Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::NotFound,
        provider: Some(Provider::Openrouter),
        meaning: "The model id does not exist on OpenRouter, or a ':free' variant was withdrawn. \
                  Not a rate limit.",
        fix: "Use the exact id from openrouter.ai/models in vendor/model form (for example \
              openai/gpt-4o-mini). Retrying will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::NotFound,
        provider: Some(Provider::Bedrock),
        meaning: "ResourceNotFoundException: the model id is wrong or not offered in this region. \
                  Not a rate limit.",
        fix: "Check the model id and region; some models must be called through an inference \
              profile id (with a prefix such as us.). Retrying will not help.",
        snippet: None,
    },
    // ----- not a rate limit: context length -----
    Row {
        cause: Cause::ContextLength,
        provider: None,
        meaning: "The prompt plus max_tokens is longer than the model's context window. Not a \
                  rate limit: it fails the same way every time.",
        fix: "Shrink the request: trim history, summarise or chunk documents, lower max_tokens, \
              or use a model with a bigger context window. Retrying will not help.",
        snippet: Some(Snip::Split),
    },
    // ----- not a rate limit: bad request -----
    Row {
        cause: Cause::BadRequest,
        provider: None,
        meaning: "HTTP 400 or 422: the request is malformed or has an invalid parameter. Not a \
                  rate limit.",
        fix: "Read the message: it names the bad field. Fix that parameter (model name, message \
              format, a value out of range); sending it unchanged will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::BadRequest,
        provider: Some(Provider::Anthropic),
        meaning: "invalid_request_error (400). Not a rate limit, but two 400 messages are \
                  billing: 'Your credit balance is too low' and 'You have reached your specified \
                  API usage limits'.",
        fix: "For those two, buy credits or raise your limit in the Claude Console (Settings > \
              Billing, Settings > Limits); otherwise fix the field the message names. Resending \
              unchanged will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::BadRequest,
        provider: Some(Provider::Gemini),
        meaning: "400 INVALID_ARGUMENT or FAILED_PRECONDITION: a bad field, an invalid API key \
                  ('API key not valid'), or a region where the free tier is not offered. Not a \
                  rate limit.",
        fix: "Fix the field or key the message names; for a region error, enable billing on the \
              project. Resending unchanged will not help.",
        snippet: None,
    },
    Row {
        cause: Cause::BadRequest,
        provider: Some(Provider::Groq),
        meaning: "HTTP 400. Not a rate limit; if the code is blocked_api_access, your \
                  organization's spend limit has been reached.",
        fix: "For blocked_api_access, raise the spend limit at console.groq.com/settings/billing; \
              otherwise fix the field the message names. Resending unchanged will not help.",
        snippet: None,
    },
    // ----- not a rate limit: server error -----
    Row {
        cause: Cause::ServerError,
        provider: None,
        meaning: "HTTP 5xx: something broke on the provider's side. Not a rate limit.",
        fix: "Retry with backoff a few times; if it persists, check the provider's status page \
              and try another model or region.",
        snippet: Some(Snip::Backoff),
    },
    Row {
        cause: Cause::ServerError,
        provider: Some(Provider::Anthropic),
        meaning: "api_error (500), possibly sent mid-stream after an HTTP 200. Not a rate limit.",
        fix: "Retry with backoff (the SDK retries 5xx twice by default). If it persists, check \
              status.anthropic.com.",
        snippet: Some(Snip::AnthropicRetries),
    },
    Row {
        cause: Cause::ServerError,
        provider: Some(Provider::Openrouter),
        meaning: "502: the upstream provider failed; 503: no provider meets your routing \
                  requirements. Not a rate limit.",
        fix: "Retry, add fallback models, or loosen provider routing (allowed providers, \
              required parameters, data policy).",
        snippet: Some(Snip::OpenrouterFallback),
    },
    // ----- not a rate limit: timeout -----
    Row {
        cause: Cause::Timeout,
        provider: None,
        meaning: "The request took too long and the client or a proxy gave up. Not a rate \
                  limit, though an overloaded server makes it more likely.",
        fix: "Raise the client timeout for long generations, stream the response, or lower \
              max_tokens; retrying with backoff is fine.",
        snippet: Some(Snip::Timeout),
    },
    Row {
        cause: Cause::Timeout,
        provider: Some(Provider::Anthropic),
        meaning: "The request ran past the timeout (504 timeout_error, or the SDK's own limit for \
                  long non-streaming calls). Not a rate limit.",
        fix: "Stream long responses (the SDK expects streaming when max_tokens is large), or \
              lower max_tokens; retrying is fine.",
        snippet: Some(Snip::AnthropicStream),
    },
    Row {
        cause: Cause::Timeout,
        provider: Some(Provider::Deepseek),
        meaning: "Under load DeepSeek holds the connection open, sending empty lines or \
                  keep-alive comments, and closes it if inference has not started after about 10 \
                  minutes. Not a rate limit.",
        fix: "Use a long client timeout, stream the response, and retry with backoff or run \
              off-peak.",
        snippet: Some(Snip::Timeout),
    },
    // ----- not a rate limit: connection -----
    Row {
        cause: Cause::Connection,
        provider: None,
        meaning: "The connection failed before any answer came back (DNS, TLS, proxy, firewall or \
                  a dropped network). Not a rate limit.",
        fix: "Check the base URL, proxy settings (HTTPS_PROXY) and network; retry with backoff \
              if it is intermittent.",
        snippet: None,
    },
    Row {
        cause: Cause::Connection,
        provider: Some(Provider::Azure),
        meaning: "The endpoint could not be reached: a wrong resource name in the URL, or a \
                  private endpoint or firewall rule blocking you. Not a rate limit.",
        fix: "Copy the endpoint from Keys and Endpoint in the Azure portal \
              (https://<resource>.openai.azure.com) and check the resource's networking rules.",
        snippet: None,
    },
    // ----- not a rate limit: TLS certificate -----
    Row {
        cause: Cause::Certificate,
        provider: None,
        meaning: "The client refused the server's TLS certificate (CERTIFICATE_VERIFY_FAILED): \
                  usually a corporate proxy that re-signs traffic, or a Python without its CA \
                  bundle. Not a rate limit, and retrying will not help: it fails the same way.",
        fix: "Fix the trust store: point the client at the right CA bundle (SSL_CERT_FILE or \
              REQUESTS_CA_BUNDLE, the proxy's root certificate), or on macOS run Python's \
              Install Certificates command.",
        snippet: None,
    },
];

/// Returned only if the table had no generic row for a cause, which the tests rule out.
static FALLBACK: Row = Row {
    cause: Cause::Transient,
    provider: None,
    meaning: "No advice is recorded for this error. Not a known rate limit.",
    fix: "Read the provider's message and status code; if it is a 429, honour Retry-After and \
          back off.",
    snippet: None,
};

/// The row for this cause and provider: the provider's own row if there is one, else the generic row.
pub fn lookup(cause: Cause, provider: Provider) -> &'static Row {
    ROWS.iter()
        .find(|r| r.cause == cause && r.provider == Some(provider))
        .or_else(|| {
            ROWS.iter()
                .find(|r| r.cause == cause && r.provider.is_none())
        })
        .unwrap_or(&FALLBACK)
}

/// Widest line of [`render`].
const WIDTH: usize = 100;
/// Indent of the wrapped `meaning:` / `fix:` text.
const LABEL_INDENT: &str = "    ";

/// The whole table as plain text for `ratedoctor explain --table`: grouped by kind, one line or
/// wrapped block per row: kind, cause id, provider (or "any"), retry? (yes / no), meaning, fix.
/// Must be readable at 100 columns; no colour codes.
pub fn render() -> String {
    let mut rows: Vec<&Row> = ROWS.iter().collect();
    rows.sort_by_key(|r| (r.cause, r.provider));

    let mut out = String::new();
    out.push_str(&format!(
        "ratedoctor cause/fix table: {} rows, {} causes.\n",
        ROWS.len(),
        Cause::ALL.len()
    ));
    push_wrapped(
        &mut out,
        "",
        "Provider \"any\" is the advice for every provider without a row of its own. \
         retry: yes = waiting and sending the same request again can work; \
         retry: no = change something first (billing, key, request size).",
    );

    for kind in Kind::ALL {
        let group: Vec<&&Row> = rows.iter().filter(|r| r.cause.kind() == kind).collect();
        if group.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&format!("== {}: {} ==\n", kind.id(), kind.title()));
        for row in group {
            out.push('\n');
            out.push_str(&format!(
                "{} | {} | {} | retry: {}\n",
                kind.id(),
                row.cause.id(),
                row.provider.map_or("any", Provider::id),
                if row.cause.retryable() { "yes" } else { "no" },
            ));
            push_wrapped(&mut out, &format!("{LABEL_INDENT}meaning: "), row.meaning);
            push_wrapped(&mut out, &format!("{LABEL_INDENT}fix:     "), row.fix);
        }
    }
    out
}

/// Appends `text` word-wrapped to [`WIDTH`] columns. The first line starts with `first`; the
/// following lines are indented to the same width.
fn push_wrapped(out: &mut String, first: &str, text: &str) {
    let hang = " ".repeat(first.chars().count());
    let mut line = String::from(first);
    let mut line_len = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let word_len = word.chars().count();
        if !empty && line_len + 1 + word_len > WIDTH {
            out.push_str(line.trim_end());
            out.push('\n');
            line = hang.clone();
            line_len = hang.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += word_len;
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn all_text(row: &Row) -> String {
        format!("{} {}", row.meaning, row.fix).to_lowercase()
    }

    fn label(row: &Row) -> String {
        format!(
            "{}/{}",
            row.cause.id(),
            row.provider.map_or("any", Provider::id)
        )
    }

    #[test]
    fn every_cause_has_exactly_one_generic_row() {
        for cause in Cause::ALL {
            let n = ROWS
                .iter()
                .filter(|r| r.cause == cause && r.provider.is_none())
                .count();
            assert_eq!(n, 1, "generic rows for {}", cause.id());
        }
    }

    #[test]
    fn no_duplicate_cause_provider_pairs() {
        let mut seen = HashSet::new();
        for row in ROWS {
            assert!(
                seen.insert((row.cause, row.provider)),
                "duplicate row {}",
                label(row)
            );
        }
    }

    #[test]
    fn table_is_big_enough() {
        assert!(ROWS.len() >= 60, "only {} rows", ROWS.len());
    }

    #[test]
    fn no_row_for_the_unknown_provider() {
        assert!(ROWS.iter().all(|r| r.provider != Some(Provider::Unknown)));
    }

    #[test]
    fn rows_are_grouped_by_cause_with_the_generic_row_first() {
        let mut sorted: Vec<&Row> = ROWS.iter().collect();
        sorted.sort_by_key(|r| (r.cause, r.provider));
        let order: Vec<String> = ROWS.iter().map(label).collect();
        let want: Vec<String> = sorted.into_iter().map(label).collect();
        assert_eq!(order, want);
    }

    #[test]
    fn lookup_returns_the_provider_row_when_present() {
        for row in ROWS {
            if let Some(p) = row.provider {
                let got = lookup(row.cause, p);
                assert_eq!((got.cause, got.provider), (row.cause, Some(p)));
                assert!(std::ptr::eq(got, row));
            }
        }
        let r = lookup(Cause::Overloaded, Provider::Anthropic);
        assert!(r.meaning.contains("529"));
    }

    #[test]
    fn lookup_falls_back_to_the_generic_row() {
        for cause in Cause::ALL {
            for provider in Provider::ALL {
                let got = lookup(cause, provider);
                assert_eq!(got.cause, cause, "{} / {}", cause.id(), provider.id());
                let has_own = ROWS
                    .iter()
                    .any(|r| r.cause == cause && r.provider == Some(provider));
                let want = if has_own { Some(provider) } else { None };
                assert_eq!(got.provider, want, "{} / {}", cause.id(), provider.id());
            }
        }
        assert!(lookup(Cause::Quota, Provider::Unknown).provider.is_none());
        assert!(lookup(Cause::Auth, Provider::Openai).provider.is_none());
    }

    #[test]
    fn texts_are_non_empty_and_trimmed() {
        for row in ROWS.iter().chain(std::iter::once(&FALLBACK)) {
            for (name, text) in [("meaning", row.meaning), ("fix", row.fix)] {
                assert!(!text.trim().is_empty(), "{} {name} empty", label(row));
                assert_eq!(
                    text,
                    text.trim(),
                    "{} {name} has outer whitespace",
                    label(row)
                );
                assert!(
                    !text.contains("  "),
                    "{} {name} has a double space",
                    label(row)
                );
                assert!(!text.contains('\n'), "{} {name} has a newline", label(row));
                assert!(text.is_ascii(), "{} {name} is not ASCII", label(row));
            }
        }
    }

    #[test]
    fn texts_are_short() {
        for row in ROWS {
            assert!(row.meaning.len() <= 320, "{} meaning too long", label(row));
            assert!(row.fix.len() <= 360, "{} fix too long", label(row));
        }
    }

    #[test]
    fn non_retryable_fixes_do_not_say_just_retry() {
        const RETRY_ADVICE: &[&str] = &[
            "just retry",
            "retry later",
            "retry shortly",
            "try again later",
            "try again in",
            "wait and retry",
            "retry with backoff",
            "back off",
            "backoff",
            "retrying is fine",
        ];
        for row in ROWS.iter().filter(|r| !r.cause.retryable()) {
            let fix = row.fix.to_lowercase();
            for phrase in RETRY_ADVICE {
                assert!(!fix.contains(phrase), "{} fix says '{phrase}'", label(row));
            }
            let needs: &[&str] = match row.cause {
                Cause::Quota | Cause::SpendCap | Cause::ZeroAllowance | Cause::MonthlyLimit => &[
                    "billing", "credit", "limit", "plan", "key", "quota", "top up",
                ],
                Cause::RequestTooLarge | Cause::ContextLength => &["shrink"],
                Cause::Auth => &["key", "credential", "token"],
                Cause::PermissionDenied => &["permission", "access", "role", "allow", "credit"],
                Cause::NotFound => &["model", "deployment"],
                _ => &["fix", "parameter", "field"],
            };
            assert!(
                needs.iter().any(|w| fix.contains(w)),
                "{} fix says none of {needs:?}",
                label(row)
            );
        }
    }

    #[test]
    fn non_retryable_rows_say_retrying_will_not_help() {
        const NO_RETRY: &[&str] = &["will not help", "won't help", "never"];
        for row in ROWS.iter().filter(|r| !r.cause.retryable()) {
            let text = all_text(row);
            assert!(
                NO_RETRY.iter().any(|p| text.contains(p)),
                "{} does not say retrying will not help",
                label(row)
            );
        }
        // The brief's explicit rule, kept separate so it survives edits of `retryable()`.
        for row in ROWS
            .iter()
            .filter(|r| matches!(r.cause, Cause::Quota | Cause::SpendCap))
        {
            let text = all_text(row);
            assert!(NO_RETRY.iter().any(|p| text.contains(p)), "{}", label(row));
        }
    }

    #[test]
    fn per_day_rows_say_when_they_reset() {
        for row in ROWS
            .iter()
            .filter(|r| matches!(r.cause, Cause::RequestsPerDay | Cause::TokensPerDay))
        {
            assert!(
                all_text(row).contains("reset"),
                "{} names no reset",
                label(row)
            );
        }
        assert!(
            lookup(Cause::RequestsPerDay, Provider::Gemini)
                .meaning
                .contains("midnight Pacific")
        );
        assert!(
            lookup(Cause::TokensPerDay, Provider::Gemini)
                .meaning
                .contains("midnight Pacific")
        );
        assert!(
            lookup(Cause::RequestsPerDay, Provider::Openrouter)
                .meaning
                .contains("00:00 UTC")
        );
        assert!(
            lookup(Cause::SpendCap, Provider::Anthropic)
                .meaning
                .contains("00:00 UTC")
        );
    }

    #[test]
    fn concurrency_rows_say_lower_parallelism() {
        for row in ROWS.iter().filter(|r| r.cause == Cause::Concurrency) {
            let fix = row.fix.to_lowercase();
            assert!(fix.contains("lower parallelism"), "{}", label(row));
            assert!(fix.contains("semaphore"), "{}", label(row));
        }
    }

    #[test]
    fn request_too_large_rows_say_shrink_and_never() {
        for row in ROWS.iter().filter(|r| r.cause == Cause::RequestTooLarge) {
            let fix = row.fix.to_lowercase();
            assert!(fix.contains("shrink the request"), "{}", label(row));
            assert!(fix.contains("never"), "{}", label(row));
        }
    }

    #[test]
    fn not_rate_limit_rows_say_so() {
        for row in ROWS.iter().filter(|r| r.cause.kind() == Kind::NotRateLimit) {
            assert!(
                row.meaning.to_lowercase().contains("not a rate limit"),
                "{} does not say it is not a rate limit",
                label(row)
            );
        }
    }

    #[test]
    fn render_mentions_every_cause_and_provider() {
        let text = render();
        for cause in Cause::ALL {
            assert!(text.contains(cause.id()), "render lacks {}", cause.id());
        }
        for row in ROWS {
            if let Some(p) = row.provider {
                assert!(
                    text.contains(&format!("| {} |", p.id())),
                    "render lacks {}",
                    p.id()
                );
            }
        }
        for kind in Kind::ALL {
            assert!(
                text.contains(&format!("== {}: ", kind.id())),
                "render lacks {}",
                kind.id()
            );
        }
        let headers = text.lines().filter(|l| l.contains(" | retry: ")).count();
        assert_eq!(headers, ROWS.len());
    }

    #[test]
    fn render_fits_in_100_columns() {
        for line in render().lines() {
            assert!(line.chars().count() <= WIDTH, "line too long: {line}");
            assert_eq!(line, line.trim_end(), "trailing whitespace: {line:?}");
            assert!(!line.contains('\u{1b}'), "colour code: {line:?}");
        }
    }

    #[test]
    fn render_keeps_every_word() {
        let text = render();
        let words: HashSet<&str> = text.split_whitespace().collect();
        for row in ROWS {
            for word in row
                .meaning
                .split_whitespace()
                .chain(row.fix.split_whitespace())
            {
                assert!(words.contains(word), "{} lost word {word:?}", label(row));
            }
        }
    }

    #[test]
    fn render_marks_retry_from_the_cause() {
        let text = render();
        assert!(text.contains("quota | quota | openai | retry: no"));
        assert!(text.contains("rpm | requests_per_minute | any | retry: yes"));
        assert!(text.contains("overloaded | overloaded | anthropic | retry: yes"));
    }
}
