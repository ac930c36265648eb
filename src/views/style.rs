//! Terminal styling for plain-text output: ANSI colour only when asked (a TTY without
//! `NO_COLOR`), and word wrapping for cards.

/// Whether to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    fn wrap(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }
    pub fn dim(self, t: &str) -> String {
        self.wrap("2", t)
    }
    pub fn red(self, t: &str) -> String {
        self.wrap("31;1", t)
    }
    pub fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    pub fn yellow(self, t: &str) -> String {
        self.wrap("33", t)
    }
    pub fn cyan(self, t: &str) -> String {
        self.wrap("36", t)
    }
}

/// Wraps `text` to `width` columns; lines after the first are indented by `indent`.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let width = width.max(indent + 20);
    let mut out = String::new();
    let mut col = indent;
    let pad = " ".repeat(indent);
    let mut first = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !first && col + 1 + len > width {
            out.push('\n');
            out.push_str(&pad);
            col = indent;
        } else if !first {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
        first = false;
    }
    out
}

/// Re-wraps each line of a `label  value` block (a summary) that is wider than `width`
/// at word boundaries, continuing under the value's column, so a terminal never breaks a
/// word (the recommendation is one long line).
pub fn wrap_block(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if body.chars().count() <= width {
            out.push_str(line);
            continue;
        }
        // The value starts after the first run of two spaces that follows the label.
        let lead = body.len() - body.trim_start().len();
        let col = body[lead..]
            .find("  ")
            .map(|i| lead + i)
            .map(|i| {
                let rest = &body[i..];
                i + rest.len() - rest.trim_start().len()
            })
            .filter(|c| *c < width / 2)
            .unwrap_or(lead);
        out.push_str(&body[..col]);
        out.push_str(&wrap(&body[col..], width, body[..col].chars().count()));
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The width of the terminal on `stdout` or `stderr` when that stream is one.
pub fn terminal_width(stderr: bool) -> Option<usize> {
    use std::io::IsTerminal;
    let tty = if stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    tty.then(crossterm::terminal::size)
        .and_then(Result::ok)
        .map(|(w, _)| w as usize)
        .filter(|w| *w > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_line_wraps_at_words_under_its_value() {
        let text = "summary\n  requests        12\n  recommendation  Requests are the tight budget: cap concurrency (a semaphore) and batch small calls; ratedoctor run --pace spaces them for you.\n";
        let w = wrap_block(text, 80);
        assert!(w.starts_with("summary\n  requests        12\n  recommendation  Requests"));
        for line in w.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        let cont: Vec<&str> = w.lines().skip(3).collect();
        assert!(!cont.is_empty(), "{w}");
        assert!(cont.iter().all(|l| l.starts_with(&" ".repeat(18))), "{w}");
        // No word is split: the words are the same, in order.
        let words = |t: &str| t.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(words(&w), words(text));
        assert!(w.ends_with('\n'));
    }

    #[test]
    fn wraps_with_indent() {
        let w = wrap("one two three four five six seven eight nine ten", 24, 4);
        for line in w.lines() {
            assert!(line.chars().count() <= 24, "{line:?}");
        }
        assert!(w.lines().skip(1).all(|l| l.starts_with("    ")));
    }

    #[test]
    fn plain_has_no_escapes() {
        assert_eq!(Style::PLAIN.red("x"), "x");
        assert_eq!(Style { color: true }.red("x"), "\x1b[31;1mx\x1b[0m");
    }
}
