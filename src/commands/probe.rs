//! `ratedoctor probe`: resolve provider, key and model, confirm a burst, run the probe
//! source, print text or JSON, record events.

use crate::config::Env;
use crate::error::{AppError, ExitCode};
use crate::probe::{self, Plan, providers};
use crate::views::probe as view;
use crate::views::style::Style;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Options of `ratedoctor probe`.
#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// openai, azure, anthropic, gemini, groq, together, deepseek, openrouter, mistral, xai,
    /// fireworks, perplexity (default: from the base URL, else from the key that is set).
    #[arg(
        short = 'p',
        long,
        value_name = "PROVIDER",
        env = "RATEDOCTOR_PROVIDER"
    )]
    pub provider: Option<String>,

    /// API base URL (OpenAI-style providers include `/v1`; Azure: the resource endpoint).
    #[arg(short = 'u', long, value_name = "URL", env = "RATEDOCTOR_BASE_URL")]
    pub base_url: Option<String>,

    /// Model to call (Azure: the deployment name).
    #[arg(short = 'm', long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Azure OpenAI api-version.
    #[arg(long, value_name = "VERSION", default_value = "2024-10-21")]
    pub api_version: String,

    /// Read the key from this variable instead of the provider's usual one.
    #[arg(long, value_name = "NAME")]
    pub api_key_env: Option<String>,

    /// Read variables from this file too (default: ./.env if present); the real
    /// environment wins.
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    /// Number of calls: more than 1 is a burst that shows the budget draining and stops at
    /// the first 429.
    #[arg(short = 'n', long, value_name = "N", default_value_t = 1)]
    pub calls: u32,

    /// Calls in flight at once during a burst.
    #[arg(short = 'c', long, value_name = "C", default_value_t = 1)]
    pub concurrency: u32,

    /// Hard cap on calls, whatever --calls says.
    #[arg(long, value_name = "CAP", default_value_t = 20)]
    pub max_calls: u32,

    /// Do not ask before a burst (required when not on a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Also print the raw rate-limit headers.
    #[arg(long)]
    pub raw: bool,

    /// Print one JSON document.
    #[arg(short = 'j', long)]
    pub json: bool,

    /// Plain text even on a terminal.
    #[arg(long)]
    pub no_tui: bool,

    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Write every event as JSON Lines to this file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

pub fn run(args: &ProbeArgs) -> Result<ExitCode, AppError> {
    let env = Env::load(args.env_file.as_deref())?;
    let provider = providers::resolve(
        args.provider.as_deref(),
        args.base_url.as_deref(),
        args.api_key_env.as_deref(),
        &env,
    )?;
    let spec = providers::spec(provider)
        .ok_or_else(|| AppError::Usage(format!("{} cannot be probed", provider.name())))?;
    let key = providers::key(provider, args.api_key_env.as_deref(), &env)?;

    // --base-url, else the variable the provider's SDKs read (OPENAI_BASE_URL, …), else
    // the provider's own address.
    let from_env = providers::base_url_from_env(provider, &env);
    let base_url = match (&args.base_url, provider) {
        (Some(u), _) => u.clone(),
        (None, _) if from_env.is_some() => from_env.unwrap_or_default(),
        (None, crate::diagnose::Provider::Azure) => env
            .get("AZURE_OPENAI_ENDPOINT")
            .map(str::to_string)
            .ok_or_else(|| {
                AppError::Usage(
                    "Azure needs its endpoint: --base-url https://NAME.openai.azure.com or AZURE_OPENAI_ENDPOINT"
                        .to_string(),
                )
            })?,
        (None, _) => spec.base_url.to_string(),
    };
    let model = match (&args.model, provider) {
        (Some(m), _) => m.clone(),
        (None, crate::diagnose::Provider::Azure) => env
            .get("AZURE_OPENAI_DEPLOYMENT")
            .map(str::to_string)
            .ok_or_else(|| {
                AppError::Usage(
                    "Azure needs the deployment name: --model DEPLOYMENT or AZURE_OPENAI_DEPLOYMENT"
                        .to_string(),
                )
            })?,
        (None, _) => spec.default_model.to_string(),
    };
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(AppError::Usage(
            "--timeout must be a positive number of seconds".into(),
        ));
    }
    if args.calls == 0 {
        return Err(AppError::Usage("--calls must be at least 1".into()));
    }
    if args.calls > args.max_calls {
        return Err(AppError::Usage(format!(
            "--calls {} is over the cap of {} calls (raise --max-calls to send more)",
            args.calls, args.max_calls
        )));
    }
    let call = providers::minimal_call(spec, &base_url, &model, &args.api_version)?;
    if args.calls > 1 {
        // Each call is a short prompt (~8 tokens) and one output token.
        let per_call = 8 + call.max_tokens;
        let worst = u64::from(args.calls) * per_call;
        eprintln!(
            "ratedoctor: a burst of up to {} calls ({} at a time) costs at most {} tokens ({} per call)",
            args.calls, args.concurrency, worst, per_call
        );
        if !args.yes {
            if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
                return Err(AppError::Usage(format!(
                    "refusing to send {} calls without --yes (not on a terminal)",
                    args.calls
                )));
            }
            eprint!("Send them? [y/N] ");
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                eprintln!("ratedoctor: nothing sent");
                return Ok(ExitCode::Declined);
            }
        }
    }

    let plan = Arc::new(Plan {
        spec,
        call,
        base_url: base_url.clone(),
        calls: args.calls,
        concurrency: args.concurrency.max(1),
        timeout: Duration::from_secs_f64(args.timeout),
    });
    let burst = args.calls > 1;
    let json = args.json;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::Internal(format!("cannot start the runtime: {e}")))?;
    let outcome = runtime.block_on(probe::run(plan, key, move |x| {
        if burst && !json {
            println!("{}", view::burst_line(x));
        }
    }))?;

    if let Some(path) = &args.record {
        let mut text = String::new();
        for e in &outcome.events {
            text.push_str(&e.to_json_line());
            text.push('\n');
        }
        std::fs::write(path, text)
            .map_err(|e| AppError::Unreadable(format!("cannot write {}: {e}", path.display())))?;
    }

    let ctx = view::Context {
        provider,
        model: &model,
        base_url: &base_url,
        raw: args.raw,
        now: jiff::Timestamp::now(),
    };
    if outcome.exchanges.is_empty() {
        let why = outcome
            .failure
            .clone()
            .unwrap_or_else(|| "no answer".into());
        return Err(AppError::Network(why));
    }
    let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    // 128 + N when signal N (or Ctrl-C) closed the view: the report is printed first.
    let mut ended_by_signal = None;
    if tty && !args.json && !args.no_tui {
        // The live view over the probe's events; the text report follows when it closes.
        drop(runtime);
        let (tx, rx) = tokio::sync::mpsc::channel(outcome.events.len().max(1));
        for e in &outcome.events {
            let _ = tx.try_send(e.clone());
        }
        drop(tx);
        let code = crate::tui::run_live(
            crate::tui::LiveSource::Probe {
                target: base_url.clone(),
            },
            rx,
            None,
            crate::tui::LiveOptions::default(),
        )?;
        ended_by_signal = Some(code).filter(|c| *c != ExitCode::Ok);
    }
    // A burst ends with the summary every command prints (a single call has nothing to
    // sum up); in JSON, under "summary".
    let session = burst.then(|| {
        let mut s = crate::session::Session::new();
        for e in &outcome.events {
            s.apply(e);
        }
        s
    });
    let out = if args.json {
        let doc = view::json(&ctx, &outcome);
        match &session {
            Some(s) => with_summary(&doc, s),
            None => doc,
        }
    } else {
        let style = Style {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        if burst {
            println!();
        }
        let mut text = view::text(&ctx, &outcome, style, 100);
        if let Some(s) = &session {
            text.push('\n');
            text.push_str(&crate::views::summary::text(
                &s.summary(&crate::session::Helped::default()),
                s,
                None,
            ));
        }
        text
    };
    print!("{out}");
    let _ = std::io::stdout().flush();
    if let Some(code) = ended_by_signal {
        return Ok(code);
    }

    if let Some(f) = &outcome.failure {
        return Err(AppError::Network(f.clone()));
    }
    let last = outcome.exchanges.last();
    match last {
        Some(x) if x.status == 429 && burst => Ok(ExitCode::Ok),
        Some(x) if x.status >= 400 || x.not_json => Ok(ExitCode::ApiError),
        _ => Ok(ExitCode::Ok),
    }
}

/// The probe's JSON document with the burst's summary added under `summary`.
fn with_summary(doc: &str, s: &crate::session::Session) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(doc) else {
        return doc.to_string();
    };
    if let Some(o) = v.as_object_mut()
        && let Ok(summary) = serde_json::to_value(s.summary(&crate::session::Helped::default()))
    {
        o.insert("summary".into(), summary);
    }
    serde_json::to_string_pretty(&v).map_or_else(|_| doc.to_string(), |t| t + "\n")
}
