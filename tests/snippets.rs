//! The fix snippets (issue #14, item 8): in `explain --no-tui` and `--json`, written for the
//! provider's SDK (a Gemini error gets google-genai code, not `from openai import ...`),
//! and every one of them is valid Python.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "skip/mod.rs"]
mod skip;

use ratedoctor::diagnose::{Cause, Provider};
use ratedoctor::snippet::for_cause;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn explain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ratedoctor"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("explain")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(args: &[&str]) -> String {
    let out = explain(args);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn json(sample: &str) -> Value {
    serde_json::from_str(&text(&["--json", sample])).unwrap()
}

#[test]
fn no_tui_text_ends_each_card_with_its_snippet() {
    let t = text(&["--no-tui", "samples/01_openai_tpm_python_traceback.txt"]);
    let at = t.find("  snippet    python (openai)").expect(&t);
    assert!(
        t[at..].contains("    resp = client.chat.completions.create("),
        "{t}"
    );
    assert!(t[at..].contains("max_tokens=300"), "{t}");
}

#[test]
fn json_gives_each_diagnosis_its_snippet() {
    let v = json("samples/80_log_anthropic_two_errors.txt");
    let ds = v["diagnoses"].as_array().unwrap();
    assert!(ds.len() >= 2, "{v}");
    for d in ds {
        let s = &d["snippet"];
        assert_eq!(s["language"], "python", "{d}");
        assert_eq!(s["sdk"], "anthropic", "{d}");
        let code = s["code"].as_str().unwrap();
        assert!(!code.contains("openai"), "{code}");
    }
}

#[test]
fn a_gemini_error_gets_google_genai_code_not_openai() {
    for sample in [
        "samples/39_gemini_input_tpm_pretty_json.txt",
        "samples/42_gemini_limit0_genai_python.txt",
        "samples/44_gemini_prepayment_depleted_log.txt",
        "samples/48_vertex_rpm_langchain_retries.txt",
    ] {
        let t = text(&["--no-tui", sample]);
        assert!(t.contains("python (google-genai)"), "{sample}:\n{t}");
        assert!(t.contains("google.genai") || t.contains("from google import genai"));
        assert!(!t.contains("openai"), "{sample}:\n{t}");
        let v = json(sample);
        let code = v["diagnoses"][0]["snippet"]["code"].as_str().unwrap();
        assert!(code.contains("genai"), "{sample}: {code}");
        assert!(!code.contains("from openai"), "{sample}: {code}");
    }
}

#[test]
fn a_quota_error_gets_code_that_stops_instead_of_retrying() {
    for (sample, sdk) in [
        (
            "samples/05_openai_insufficient_quota_old_pretty.txt",
            "openai",
        ),
        ("samples/42_gemini_limit0_genai_python.txt", "google-genai"),
        ("samples/69_cohere_trial_monthly_json.txt", "cohere"),
    ] {
        let v = json(sample);
        let d = &v["diagnoses"][0];
        assert_eq!(d["retryable"], false, "{sample}");
        assert_eq!(d["snippet"]["sdk"], sdk, "{sample}");
        let code = d["snippet"]["code"].as_str().unwrap();
        assert!(code.contains("raise SystemExit"), "{sample}: {code}");
        assert!(!code.contains("for attempt"), "{sample}: {code}");
        assert!(!code.contains("time.sleep"), "{sample}: {code}");
    }
}

#[test]
fn every_snippet_is_valid_python() {
    let mut codes: Vec<String> = Vec::new();
    for cause in Cause::ALL {
        for provider in Provider::ALL {
            if let Some(s) = for_cause(cause, provider)
                && !codes.contains(&s.code)
            {
                codes.push(s.code);
            }
        }
    }
    assert!(codes.len() > 30, "{}", codes.len());
    let script = "import ast, json, sys\n\
                  bad = []\n\
                  for code in json.load(sys.stdin):\n    \
                  try:\n        ast.parse(code)\n    \
                  except SyntaxError as e:\n        bad.append(f'{e}\\n{code}')\n\
                  print('\\n\\n'.join(bad))\n\
                  sys.exit(1 if bad else 0)\n";
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return skip::skip("every_snippet_is_valid_python", "python3 not found");
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&codes).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "snippets that are not Python:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
