//! The golden corpus: every file in `samples/` is diagnosed and compared with
//! `samples/expected.json` (only the fields an entry names are checked).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ratedoctor::diagnose::diagnose;
use serde_json::Value;
use std::path::Path;

fn expected() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/expected.json"),
    )
    .expect("samples/expected.json");
    match serde_json::from_str(&text).expect("valid JSON") {
        Value::Object(m) => m,
        _ => panic!("expected.json must be an object"),
    }
}

fn sample_files() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("samples/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    names
}

fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (
                a.as_f64().unwrap_or(f64::NAN),
                b.as_f64().unwrap_or(f64::NAN),
            );
            (a - b).abs() <= 1e-6 * a.abs().max(1.0)
        }
        _ => want == got,
    }
}

#[test]
fn every_error_sample_has_a_trigger_literal() {
    for name in sample_files() {
        if name.starts_with("82_") {
            continue;
        }
        let t = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("samples")
                .join(&name),
        )
        .unwrap();
        assert!(
            ratedoctor::diagnose::has_trigger(&t),
            "{name} has none of the trigger literals: add one to segment::TRIGGERS"
        );
    }
}

#[test]
fn every_sample_has_an_expectation_and_vice_versa() {
    let exp = expected();
    let files = sample_files();
    assert!(
        files.len() >= 40,
        "at least 40 samples, found {}",
        files.len()
    );
    for f in &files {
        assert!(exp.contains_key(f), "{f} has no entry in expected.json");
    }
    for k in exp.keys() {
        assert!(
            files.contains(k),
            "expected.json names {k}, which is not in samples/"
        );
    }
}

#[test]
fn every_sample_is_diagnosed_as_expected() {
    let exp = expected();
    let mut failures = Vec::new();
    for name in sample_files() {
        let Some(want) = exp.get(&name) else {
            failures.push(format!("{name}: no entry in samples/expected.json"));
            continue;
        };
        let text = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("samples")
                .join(&name),
        )
        .expect("read sample");
        let text = String::from_utf8_lossy(&text);
        let got = diagnose(&text);
        // A card never says a 429 clears within seconds beside a wait of minutes.
        for d in &got {
            if d.retry_after_s.is_some_and(|s| s > 60.0) && d.cause.contains("within seconds") {
                failures.push(format!("{name}: '{}' beside a wait of {}", d.cause, d.wait));
            }
        }
        let got_json = serde_json::to_value(&got).expect("serialize");
        let got_list = got_json.as_array().cloned().unwrap_or_default();
        if let Some(count) = want.get("count").and_then(Value::as_u64)
            && got_list.len() as u64 != count
        {
            failures.push(format!(
                "{name}: {} diagnoses, expected {count}: {:?}",
                got_list.len(),
                got.iter()
                    .map(|d| format!("{}/{}", d.provider, d.kind))
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        let wants = want
            .get("diagnoses")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, w) in wants.iter().enumerate() {
            // Every expected diagnosis says its kind: nothing is left unchecked.
            if w.get("kind").is_none() {
                failures.push(format!("{name} #{i}: expected.json gives no kind"));
            }
            let Some(g) = got_list.get(i) else {
                failures.push(format!("{name}: diagnosis #{i} missing"));
                continue;
            };
            for (field, wv) in w.as_object().into_iter().flatten() {
                let gv = g.get(field).unwrap_or(&Value::Null);
                if !same(wv, gv) {
                    failures.push(format!("{name} #{i}: {field} = {gv}, expected {wv}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The card each sample prints, reviewed as a snapshot (`cargo insta review`).
#[test]
fn sample_cards_snapshot() {
    insta::glob!("../samples", "*.txt", |path| {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        let diags = diagnose(&text);
        let cards =
            ratedoctor::views::explain::cards(&diags, ratedoctor::views::style::Style::PLAIN, 100);
        insta::assert_snapshot!(cards);
    });
}

/// Big inputs take the SIMD search path; the answer must not depend on how the bytes
/// arrive, and every inserted error must be found.
#[test]
fn a_large_log_gives_the_same_answer_in_any_chunking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let errors: Vec<String> = [
        "02_openai_rpm_compact_json.txt",
        "39_gemini_input_tpm_pretty_json.txt",
        "28_anthropic_otpm_curl.txt",
        "67_deepseek_concurrency.txt",
    ]
    .iter()
    .map(|n| std::fs::read_to_string(dir.join(n)).unwrap())
    .collect();
    let mut text = String::new();
    let mut inserted = 0;
    for i in 0..40_000 {
        text.push_str(&format!(
            "2025-03-01T10:{:02}:{:02}Z INFO worker-{} processed job {} in {} ms\n",
            i % 60,
            i % 59,
            i % 7,
            i,
            i % 997
        ));
        if i % 1000 == 999 {
            text.push_str(&errors[inserted % errors.len()]);
            text.push('\n');
            inserted += 1;
        }
    }
    assert!(text.len() > 2_000_000);
    let whole = diagnose(&text);
    let total: u64 = whole.iter().map(|d| d.occurrences).sum();
    assert_eq!(whole.len(), errors.len(), "{whole:#?}");
    assert_eq!(total, inserted as u64);
    for chunk in [997, 65_543, 1 << 20] {
        let mut s = ratedoctor::diagnose::Scanner::new();
        for part in text.as_bytes().chunks(chunk) {
            s.feed(part);
        }
        assert_eq!(s.finish(), whole, "chunk {chunk}");
    }
}
