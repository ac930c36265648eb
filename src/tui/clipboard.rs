//! The clipboard through the terminal: OSC 52 (`ESC ] 52 ; c ; BASE64 BEL`), which xterm,
//! kitty, WezTerm, iTerm2, foot, Windows Terminal and tmux (`set-clipboard on`) understand.
//! A terminal that does not ignores it; the snippet is printed again when the UI closes.

/// The escape sequence that puts `text` on the system clipboard.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", crate::base64::encode(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_wraps_the_base64_text() {
        assert_eq!(osc52("import time"), "\x1b]52;c;aW1wb3J0IHRpbWU=\x07");
    }
}
