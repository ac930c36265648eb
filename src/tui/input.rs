//! Keys → actions (view layer, pure): one table, one function. The help pane lists
//! [`BINDINGS`], so the help and the behaviour cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Ctrl-C (raw mode turns it into a key): quit at once, no question asked, and exit
    /// as SIGINT would (130).
    Interrupt,
    /// Ctrl-Z (a key in raw mode): give the terminal back and stop; `fg` resumes.
    Suspend,
    /// From Home: leave and start `ratedoctor demo`.
    StartDemo,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    Back,
    Filter,
    Pause,
    Paste,
    Help,
    /// Filter bar: only 429s (toggle).
    Only429,
    /// Filter bar: next model.
    CycleModel,
    /// Filter bar: next dimension.
    CycleDimension,
    /// Filter bar: clear every filter.
    ClearFilter,
    /// Paste area: a typed character (terminals without bracketed paste).
    Char(char),
    /// Paste area: delete the character before the cursor.
    Backspace,
    /// Paste area: delete the character under the cursor.
    Delete,
    /// Paste area: cursor one character left.
    Left,
    /// Paste area: cursor one character right.
    Right,
    /// Paste area: a new line.
    Newline,
    /// Paste area: clear the text.
    ClearText,
    /// Copy the snippet of the card in hand to the clipboard.
    Copy,
    /// `run`'s live view: type a line to the program's input.
    Input,
    /// While typing to the program: Ctrl-D, the end of its input.
    EndInput,
}

/// Which table applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// The filter bar is open.
    Filter,
    /// The paste area, or the program's input line (`run`), takes typed text.
    Typing,
}

/// The screen a key table is for: the help lists the keys of the screen it was opened on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Home,
    Explain,
    Live,
    /// The live view of `run`: the live view's keys and the program's input.
    Run,
    /// The paste area over another view.
    Paste,
    /// An event's detail over the live view.
    Detail,
}

const ALL: &[Screen] = &[
    Screen::Home,
    Screen::Explain,
    Screen::Live,
    Screen::Run,
    Screen::Paste,
    Screen::Detail,
];
const SCROLLS: &[Screen] = &[Screen::Home, Screen::Explain, Screen::Paste, Screen::Detail];
const LIVE: &[Screen] = &[Screen::Live, Screen::Run];
const RUN: &[Screen] = &[Screen::Run];

/// Every binding, as the help pane shows it: (keys, what they do, the screens it works on).
pub const BINDINGS: &[(&str, &str, &[Screen])] = &[
    ("q", "quit (the terminal is restored)", ALL),
    ("Ctrl-C", "quit at once (exit status 130)", ALL),
    ("Ctrl-Z", "suspend (fg resumes)", ALL),
    ("Tab  Shift-Tab", "move focus between panes", LIVE),
    ("Tab  Shift-Tab", "next / previous card", &[Screen::Explain]),
    ("↑ ↓  k j", "move the selection / scroll", LIVE),
    ("↑ ↓  k j", "scroll a line", SCROLLS),
    ("PgUp PgDn", "scroll a page", ALL),
    ("g  G  Home End", "first / last", ALL),
    (
        "Enter",
        "open the selected event: headers and diagnosis",
        LIVE,
    ),
    (
        "c",
        "copy the card's snippet (OSC 52; printed on quit)",
        SCROLLS,
    ),
    ("Esc", "close the detail, help, paste or filter pane", LIVE),
    ("Esc", "close this pane", &[Screen::Paste, Screen::Detail]),
    ("Esc", "stop typing", &[Screen::Home]),
    ("/", "filter the event log (then 4, m, d, x)", LIVE),
    ("  4", "  429s only (toggle)", LIVE),
    ("  m", "  one model (cycles through the models seen)", LIVE),
    (
        "  d",
        "  one dimension (cycles through the budgets seen)",
        LIVE,
    ),
    ("  x", "  clear the filter", LIVE),
    ("space", "pause / resume the live view", LIVE),
    (
        "p",
        "paste an error: it is diagnosed as it lands",
        &[Screen::Home, Screen::Explain, Screen::Live, Screen::Run],
    ),
    (
        "i",
        "type to the program (opens by itself when it waits)",
        RUN,
    ),
    ("  Enter", "  send the line to the program", RUN),
    ("  Ctrl-D", "  end the program's input (EOF)", RUN),
    ("  Esc", "  back to the view's keys", RUN),
    ("p", "type or edit the pasted text", &[Screen::Paste]),
    (
        "  ←→↑↓ Home End",
        "  while typing: move the cursor (the box scrolls to it)",
        &[Screen::Home, Screen::Paste],
    ),
    (
        "  Bksp Delete",
        "  while typing: delete before / under the cursor",
        &[Screen::Home, Screen::Paste],
    ),
    (
        "  Ctrl-U",
        "  clear the paste area",
        &[Screen::Home, Screen::Paste],
    ),
    ("d", "start the demo", &[Screen::Home]),
    ("?", "this help", ALL),
];

/// The bindings that work on `screen`: (keys, what they do).
pub fn bindings(screen: Screen) -> impl Iterator<Item = (&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(move |(_, _, on)| on.contains(&screen))
        .map(|(k, what, _)| (*k, *what))
}

/// The action for a key in a mode; `None` for keys that do nothing.
pub fn action(key: KeyEvent, mode: Mode) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl {
        // What the terminal would turn into SIGINT and SIGTSTP outside raw mode, in every
        // mode (even while typing).
        match key.code {
            KeyCode::Char('c' | 'C') => return Some(Action::Interrupt),
            KeyCode::Char('z' | 'Z') => return Some(Action::Suspend),
            _ => {}
        }
    }
    match mode {
        Mode::Typing => typing(key, ctrl),
        Mode::Filter => filter(key),
        Mode::Normal => normal(key, ctrl),
    }
}

fn typing(key: KeyEvent, ctrl: bool) -> Option<Action> {
    match key.code {
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Enter => Some(Action::Newline),
        KeyCode::Backspace => Some(Action::Backspace),
        KeyCode::Char('u') if ctrl => Some(Action::ClearText),
        KeyCode::Char('d') if ctrl => Some(Action::EndInput),
        KeyCode::Char(_) if ctrl => None,
        KeyCode::Char(c) => Some(Action::Char(c)),
        KeyCode::Tab => Some(Action::Char('\t')),
        KeyCode::Delete => Some(Action::Delete),
        KeyCode::Left => Some(Action::Left),
        KeyCode::Right => Some(Action::Right),
        // Up/Down move the cursor a line, Home/End to the line's start and end; the page
        // keys scroll the diagnosis under the box.
        KeyCode::Up => Some(Action::Up),
        KeyCode::Down => Some(Action::Down),
        KeyCode::Home => Some(Action::Top),
        KeyCode::End => Some(Action::Bottom),
        KeyCode::PageUp => Some(Action::PageUp),
        KeyCode::PageDown => Some(Action::PageDown),
        _ => None,
    }
}

fn filter(key: KeyEvent) -> Option<Action> {
    match key.code {
        KeyCode::Esc | KeyCode::Enter | KeyCode::Char('/') => Some(Action::Back),
        KeyCode::Char('4') => Some(Action::Only429),
        KeyCode::Char('m') => Some(Action::CycleModel),
        KeyCode::Char('d') => Some(Action::CycleDimension),
        KeyCode::Char('x') => Some(Action::ClearFilter),
        KeyCode::Char('q') => Some(Action::Quit),
        _ => None,
    }
}

fn normal(key: KeyEvent, ctrl: bool) -> Option<Action> {
    if ctrl {
        return match key.code {
            KeyCode::Char('u') => Some(Action::ClearText),
            _ => None,
        };
    }
    match key.code {
        KeyCode::Char('q') => Some(Action::Quit),
        KeyCode::Tab => Some(Action::FocusNext),
        KeyCode::BackTab => Some(Action::FocusPrev),
        KeyCode::Up | KeyCode::Char('k') => Some(Action::Up),
        KeyCode::Down | KeyCode::Char('j') => Some(Action::Down),
        KeyCode::PageUp => Some(Action::PageUp),
        KeyCode::PageDown => Some(Action::PageDown),
        KeyCode::Home | KeyCode::Char('g') => Some(Action::Top),
        KeyCode::End | KeyCode::Char('G') => Some(Action::Bottom),
        KeyCode::Enter => Some(Action::Enter),
        KeyCode::Esc => Some(Action::Back),
        KeyCode::Char('/') => Some(Action::Filter),
        KeyCode::Char(' ') => Some(Action::Pause),
        KeyCode::Char('p') => Some(Action::Paste),
        KeyCode::Char('d') => Some(Action::StartDemo),
        KeyCode::Char('?') => Some(Action::Help),
        KeyCode::Char('c') => Some(Action::Copy),
        KeyCode::Char('i') => Some(Action::Input),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn every_normal_binding() {
        let table: &[(KeyEvent, Action)] = &[
            (key(KeyCode::Char('q')), Action::Quit),
            (ctrl('c'), Action::Interrupt),
            (ctrl('z'), Action::Suspend),
            (key(KeyCode::Char('d')), Action::StartDemo),
            (key(KeyCode::Tab), Action::FocusNext),
            (
                KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
                Action::FocusPrev,
            ),
            (key(KeyCode::Up), Action::Up),
            (key(KeyCode::Char('k')), Action::Up),
            (key(KeyCode::Down), Action::Down),
            (key(KeyCode::Char('j')), Action::Down),
            (key(KeyCode::PageUp), Action::PageUp),
            (key(KeyCode::PageDown), Action::PageDown),
            (key(KeyCode::Home), Action::Top),
            (key(KeyCode::Char('g')), Action::Top),
            (key(KeyCode::End), Action::Bottom),
            (key(KeyCode::Char('G')), Action::Bottom),
            (key(KeyCode::Enter), Action::Enter),
            (key(KeyCode::Esc), Action::Back),
            (key(KeyCode::Char('/')), Action::Filter),
            (key(KeyCode::Char(' ')), Action::Pause),
            (key(KeyCode::Char('p')), Action::Paste),
            (key(KeyCode::Char('?')), Action::Help),
            (key(KeyCode::Char('c')), Action::Copy),
            (ctrl('u'), Action::ClearText),
        ];
        for (k, a) in table {
            assert_eq!(action(*k, Mode::Normal), Some(*a), "{k:?}");
        }
        assert_eq!(action(key(KeyCode::Char('z')), Mode::Normal), None);
        assert_eq!(action(key(KeyCode::F(5)), Mode::Normal), None);
    }

    #[test]
    fn every_filter_binding() {
        let table: &[(KeyEvent, Action)] = &[
            (key(KeyCode::Char('4')), Action::Only429),
            (key(KeyCode::Char('m')), Action::CycleModel),
            (key(KeyCode::Char('d')), Action::CycleDimension),
            (key(KeyCode::Char('x')), Action::ClearFilter),
            (key(KeyCode::Esc), Action::Back),
            (key(KeyCode::Enter), Action::Back),
            (key(KeyCode::Char('/')), Action::Back),
            (key(KeyCode::Char('q')), Action::Quit),
            (ctrl('c'), Action::Interrupt),
            (ctrl('z'), Action::Suspend),
        ];
        for (k, a) in table {
            assert_eq!(action(*k, Mode::Filter), Some(*a), "{k:?}");
        }
        assert_eq!(action(key(KeyCode::Char('j')), Mode::Filter), None);
    }

    #[test]
    fn every_typing_binding() {
        let table: &[(KeyEvent, Action)] = &[
            (key(KeyCode::Char('q')), Action::Char('q')),
            (key(KeyCode::Char('p')), Action::Char('p')),
            (key(KeyCode::Enter), Action::Newline),
            (key(KeyCode::Backspace), Action::Backspace),
            (key(KeyCode::Esc), Action::Back),
            (key(KeyCode::Tab), Action::Char('\t')),
            (key(KeyCode::Up), Action::Up),
            (key(KeyCode::Down), Action::Down),
            (key(KeyCode::Left), Action::Left),
            (key(KeyCode::Right), Action::Right),
            (key(KeyCode::Delete), Action::Delete),
            (key(KeyCode::Home), Action::Top),
            (key(KeyCode::End), Action::Bottom),
            (key(KeyCode::PageUp), Action::PageUp),
            (key(KeyCode::PageDown), Action::PageDown),
            (ctrl('u'), Action::ClearText),
            (ctrl('c'), Action::Interrupt),
            (ctrl('z'), Action::Suspend),
        ];
        for (k, a) in table {
            assert_eq!(action(*k, Mode::Typing), Some(*a), "{k:?}");
        }
        assert_eq!(action(ctrl('x'), Mode::Typing), None);
    }

    #[test]
    fn ctrl_c_interrupts_and_ctrl_z_suspends_in_every_mode() {
        // Shift held (caps lock, some terminals) still counts; a plain `c`/`z` does not.
        let shifted = |c| {
            KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
            )
        };
        for mode in [Mode::Normal, Mode::Filter, Mode::Typing] {
            assert_eq!(action(ctrl('c'), mode), Some(Action::Interrupt), "{mode:?}");
            assert_eq!(
                action(shifted('C'), mode),
                Some(Action::Interrupt),
                "{mode:?}"
            );
            assert_eq!(action(ctrl('z'), mode), Some(Action::Suspend), "{mode:?}");
            assert_eq!(
                action(shifted('Z'), mode),
                Some(Action::Suspend),
                "{mode:?}"
            );
            assert_ne!(action(key(KeyCode::Char('z')), mode), Some(Action::Suspend));
            assert_ne!(
                action(key(KeyCode::Char('c')), mode),
                Some(Action::Interrupt)
            );
        }
    }

    #[test]
    fn releases_are_ignored() {
        let mut k = key(KeyCode::Char('q'));
        k.kind = KeyEventKind::Release;
        assert_eq!(action(k, Mode::Normal), None);
    }

    #[test]
    fn help_lists_every_normal_key() {
        let keys: String = BINDINGS
            .iter()
            .map(|(k, _, _)| *k)
            .collect::<Vec<_>>()
            .join(" ");
        for k in [
            "q", "Ctrl-C", "Ctrl-Z", "Tab", "k j", "Enter", "Esc", "/", "space", "p", "?", "4",
            "m", "d", "x", "PgUp", "G", "c",
        ] {
            assert!(keys.contains(k), "help misses {k}");
        }
    }

    #[test]
    fn each_screen_lists_only_its_own_keys() {
        let keys = |s| {
            bindings(s)
                .map(|(k, w)| format!("{k} {w}"))
                .collect::<Vec<_>>()
        };
        let live = keys(Screen::Live);
        assert!(live.iter().any(|k| k.contains("filter")));
        assert!(live.iter().any(|k| k.contains("pause")));
        assert!(
            !live
                .iter()
                .any(|k| k.contains("snippet") || k.contains("card"))
        );
        for s in [Screen::Home, Screen::Explain, Screen::Paste, Screen::Detail] {
            let k = keys(s);
            assert!(
                !k.iter()
                    .any(|k| k.contains("filter") || k.contains("pause")),
                "{s:?}"
            );
            assert!(
                k.iter().any(|k| k.contains("copy the card's snippet")),
                "{s:?}"
            );
        }
        assert!(
            keys(Screen::Explain)
                .iter()
                .any(|k| k.contains("next / previous card"))
        );
        assert!(
            keys(Screen::Home)
                .iter()
                .any(|k| k.contains("start the demo"))
        );
        assert!(!keys(Screen::Explain).iter().any(|k| k.contains("demo")));
    }
}
