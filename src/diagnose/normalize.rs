//! What people paste, made plain before it is read: quotes and punctuation folded to
//! ASCII, box drawing removed, escapes undone at any depth.
//!
//! The result is for finding evidence (phrases, quota ids, numbers), never for showing:
//! the card quotes the input as it was.

use std::borrow::Cow;

/// Folds one character: curly quotes, primes and full-width forms to their ASCII
/// counterparts, odd spaces to a space; box drawing (a `rich` traceback's frame) to a
/// space; `None` keeps it.
fn fold(c: char) -> Option<char> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => '"',
        '\u{00A0}' | '\u{2007}' | '\u{202F}' | '\u{3000}' | '\u{2002}'..='\u{200A}' => ' ',
        '\u{2500}'..='\u{257F}' => ' ',
        // Full-width ASCII (U+FF01..U+FF5E).
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
        '\u{3001}' => ',',
        '\u{3002}' => '.',
        _ => return None,
    })
}

/// The text with every escape level undone (`\"` and `\\\"` to `"`, `\n` to a line
/// break), quotes and full-width punctuation folded, box drawing blanked.
pub fn normalize(text: &str) -> Cow<'_, str> {
    let needs_fold = !text.is_ascii() && text.chars().any(|c| fold(c).is_some());
    let needs_unescape = text.contains('\\');
    if !needs_fold && !needs_unescape {
        return Cow::Borrowed(text);
    }
    let mut out: String = if needs_fold {
        text.chars().map(|c| fold(c).unwrap_or(c)).collect()
    } else {
        text.to_string()
    };
    // Each pass undoes one level of escaping; JSON in a string in a string is two.
    for _ in 0..4 {
        if !out.contains('\\') {
            break;
        }
        let next = super::value::unescape_once(&out);
        if next == out {
            break;
        }
        out = next;
    }
    Cow::Owned(out)
}

/// The text on one line: every run of white space one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_full_width_fold() {
        assert_eq!(
            normalize("your organization’s rate limit（TPM）：Limit"),
            "your organization's rate limit(TPM):Limit"
        );
    }

    #[test]
    fn box_drawing_goes() {
        let t = "│ │ 'quotaId': 'X',    │ │\n╰──╯";
        assert_eq!(one_line(&normalize(t)), "'quotaId': 'X',");
    }

    #[test]
    fn escapes_undone_at_any_depth() {
        assert_eq!(
            normalize(r#"{\"error\":{\\\"code\\\": 429,\n \"x\"}}"#),
            "{\"error\":{\"code\": 429,\n \"x\"}}"
        );
        assert_eq!(normalize("plain text"), "plain text");
    }
}
