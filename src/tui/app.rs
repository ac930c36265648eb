//! The TUI's state (view layer, pure): a [`Session`] plus UI state, changed only by
//! [`App::update`]. No clock, no terminal, no I/O: time arrives as [`Msg::Tick`].

use super::input::{Action, Mode, Screen};
use crate::diagnose::{Diagnosis, Kind, diagnose};
use crate::error::ExitCode;
use crate::event::{Event, EventKind};
use crate::headers::Dimension;
use crate::redact::redact;
use crate::session::Session;
use crate::snippet::{self, Snippet};
use std::cell::RefCell;
use std::collections::VecDeque;

/// SIGINT's number (the same on every platform): Ctrl-C ends the UI as it would.
pub const SIGINT: i32 = 2;

/// Events kept for the log by default (aggregates keep counting beyond it).
pub const DEFAULT_CAPACITY: usize = 10_000;
/// Child output lines kept.
pub const CHILD_LINES: usize = 1_000;
/// Largest paste kept, in bytes.
pub const MAX_PASTE: usize = 1 << 20;

/// Which screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Paste area and the ways in.
    Home,
    /// One card per diagnosis.
    Explain,
    /// Budgets, timeline, log.
    Live,
}

/// What sits on top of the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help,
    /// The detail of the event with this sequence number.
    Detail(u64),
    /// The paste area (outside Home).
    Paste,
}

/// The live view's panes, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Budgets,
    Timeline,
    Log,
    Child,
}

/// Where the events come from (shown in the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveSource {
    /// `ratedoctor demo`: the built-in workload against the emulator.
    Demo,
    /// `ratedoctor probe` against a base URL.
    Probe { target: String },
    /// `ratedoctor watch`: the proxy listening at this URL.
    Watch { listen: String },
    /// `ratedoctor run -- CMD` through the proxy at `proxy` (`http://HOST:PORT`).
    Run { command: String, proxy: String },
    /// `ratedoctor replay FILE`.
    Replay { path: String },
    /// `ratedoctor explain --follow FILE|-`: the errors a log tells of.
    Follow { path: String },
}

impl LiveSource {
    pub fn label(&self) -> String {
        match self {
            LiveSource::Demo => "demo (built-in emulator)".to_string(),
            LiveSource::Probe { target } => format!("probe {target}"),
            LiveSource::Watch { listen } => format!("watch {listen}"),
            LiveSource::Run { command, .. } => format!("run {command}"),
            LiveSource::Replay { path } => format!("replay {path}"),
            LiveSource::Follow { path } => format!("follow {path}"),
        }
    }
}

/// The event log's filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub only_429: bool,
    pub model: Option<String>,
    pub dimension: Option<Dimension>,
}

impl Filter {
    pub fn is_active(&self) -> bool {
        self.only_429 || self.model.is_some() || self.dimension.is_some()
    }

    /// A short description: "429s only · model gpt-4o · requests".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.only_429 {
            parts.push("429s only".to_string());
        }
        if let Some(m) = &self.model {
            parts.push(format!("model {m}"));
        }
        if let Some(d) = self.dimension {
            parts.push(format!("dimension {}", d.id()));
        }
        if parts.is_empty() {
            "none".to_string()
        } else {
            parts.join(" · ")
        }
    }
}

/// The paste area.
#[derive(Debug, Clone, Default)]
pub struct Paste {
    /// The text, keys redacted.
    pub text: String,
    pub diagnoses: Vec<Diagnosis>,
    /// Whether typed keys go into the text.
    pub typing: bool,
    /// Pastes received (for the status line).
    pub pastes: u64,
    /// Where typed text goes: a byte offset into `text`, always on a char boundary.
    pub cursor: usize,
}

impl Paste {
    /// The cursor's line and column (in characters).
    pub fn cursor_line_col(&self) -> (usize, usize) {
        let before = &self.text[..self.cursor.min(self.text.len())];
        let line = before.matches('\n').count();
        let col = before.rsplit('\n').next().unwrap_or("").chars().count();
        (line, col)
    }

    /// Inserts `s` at the cursor (nothing past [`MAX_PASTE`]).
    fn insert(&mut self, s: &str) {
        if self.text.len() + s.len() > MAX_PASTE {
            return;
        }
        let at = self.cursor.min(self.text.len());
        self.text.insert_str(at, s);
        self.cursor = at + s.len();
    }

    /// Removes the character before the cursor.
    fn backspace(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
            self.text.remove(self.cursor);
        }
    }

    /// Removes the character under the cursor.
    fn delete(&mut self) {
        if self.cursor < self.text.len() {
            self.text.remove(self.cursor);
        }
    }

    fn left(&mut self) {
        if let Some(c) = self.text[..self.cursor].chars().next_back() {
            self.cursor -= c.len_utf8();
        }
    }

    fn right(&mut self) {
        if let Some(c) = self.text[self.cursor..].chars().next() {
            self.cursor += c.len_utf8();
        }
    }

    /// Byte offset where line `n` starts (the end of the text past the last line).
    fn line_start(&self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        self.text
            .match_indices('\n')
            .nth(n - 1)
            .map_or(self.text.len(), |(i, _)| i + 1)
    }

    /// Puts the cursor on line `line` at column `col`, or at its end when it is shorter.
    fn goto(&mut self, line: usize, col: usize) {
        let start = self.line_start(line);
        let rest = &self.text[start..];
        let len = rest.find('\n').unwrap_or(rest.len());
        let offset = rest[..len].char_indices().nth(col).map_or(len, |(i, _)| i);
        self.cursor = start + offset;
    }

    /// Moves the cursor `by` lines, keeping its column where the line allows.
    fn vertical(&mut self, by: i64) {
        let (line, col) = self.cursor_line_col();
        let last = self.text.matches('\n').count();
        let target = shift(line, by).min(last);
        self.goto(target, col);
    }

    fn home(&mut self) {
        let (line, _) = self.cursor_line_col();
        self.goto(line, 0);
    }

    fn end(&mut self) {
        let (line, _) = self.cursor_line_col();
        self.goto(line, usize::MAX);
    }
}

/// One kept event with its sequence number.
#[derive(Debug, Clone)]
pub struct Logged {
    pub seq: u64,
    pub event: Event,
    /// The model of the request this exchange belongs to (for the filter).
    pub model: Option<String>,
}

/// A bounded ring of events: the newest `capacity` are kept, `total` keeps counting.
#[derive(Debug, Clone)]
pub struct EventLog {
    pub items: VecDeque<Logged>,
    pub capacity: usize,
    pub total: u64,
}

impl EventLog {
    pub fn new(capacity: usize) -> Self {
        EventLog {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            total: 0,
        }
    }

    fn push(&mut self, event: Event, model: Option<String>) {
        if self.items.len() >= self.capacity {
            self.items.pop_front();
        }
        self.items.push_back(Logged {
            seq: self.total,
            event,
            model,
        });
        self.total += 1;
    }

    /// The kept event with this sequence number.
    pub fn get(&self, seq: u64) -> Option<&Logged> {
        let first = self.items.front()?.seq;
        let idx = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.items.get(idx)
    }
}

/// What the last frame of the explain view laid out, so that keys can scroll it no further
/// than its end and jump to a card's first line. Written by the pane, read by `update`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Laid {
    /// Rows the cards had on screen.
    pub rows: usize,
    /// Lines of all the cards.
    pub lines: usize,
    /// The first line of each card.
    pub starts: Vec<usize>,
}

impl Laid {
    /// The largest useful scroll offset.
    pub fn max_scroll(&self) -> usize {
        self.lines.saturating_sub(self.rows)
    }
}

/// What changes the state.
#[derive(Debug, Clone)]
#[expect(
    clippy::large_enum_variant,
    reason = "an event is moved in once and folded; boxing it would cost an allocation each"
)]
pub enum Msg {
    Key(Action),
    /// Text that arrived by bracketed paste.
    Paste(String),
    Event(Event),
    /// One line of the child's output (`run`).
    ChildLine(String),
    /// What the child printed since its last line, with no newline yet (a prompt).
    ChildPartial(String),
    /// Whether the child is blocked reading the input the view gives it.
    ChildWaiting(bool),
    /// The child ended with this exit code (128 + N after signal N).
    ChildExited(i32),
    /// Milliseconds since the session started.
    Tick(f64),
    /// The source stopped sending.
    SourceEnded,
    /// The source failed.
    Error(String),
    /// Signal N (SIGTERM, SIGHUP, ...) ends the UI: quit, then exit with 128 + N.
    Signal(i32),
}

/// What the program under `run` sends the view: a line of its output, then how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChildOutput {
    Line(String),
    /// The start of a line that has no newline yet (a prompt waiting for an answer).
    Partial(String),
    /// The program is (true) or is no longer (false) blocked reading its input.
    Waiting(bool),
    Exited(i32),
}

/// What the view sends the program under `run`: a line typed to it, or the end of its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToChild {
    Line(String),
    End,
}

/// The program's input under `run`'s live view: a line editor whose lines go to the
/// program's stdin.
#[derive(Debug, Clone, Default)]
pub struct ChildInput {
    /// The program's stdin is a pipe the view writes to (false once Ctrl-D closed it).
    pub open: bool,
    /// Keys go to the input line.
    pub typing: bool,
    /// The line being typed (Enter sends it).
    pub line: String,
    /// The program is blocked reading its input.
    pub waiting: bool,
    /// Typing opened because the program waits (it closes when the program stops).
    auto: bool,
    /// Esc closed typing while the program waited: not opened again until its next wait.
    declined: bool,
}

/// Everything the panes draw.
#[derive(Debug, Clone)]
pub struct App {
    pub view: View,
    pub overlay: Overlay,
    pub source: Option<LiveSource>,
    pub session: Session,
    pub log: EventLog,
    pub focus: Focus,
    /// Selected event (sequence number); `None` follows the newest.
    pub selected: Option<u64>,
    pub filter: Filter,
    pub filter_open: bool,
    pub paused: bool,
    /// Events that arrived while paused (applied on resume).
    pub held: VecDeque<Event>,
    pub paste: Paste,
    /// The explain view's diagnoses and the selected one.
    pub explain: Vec<Diagnosis>,
    pub explain_sel: usize,
    /// Scroll offsets of the budgets, timeline and child panes.
    pub scroll_budgets: usize,
    pub scroll_timeline: usize,
    pub scroll_child: usize,
    pub child: VecDeque<String>,
    /// The child's unfinished last line (a prompt), shown after its lines.
    pub child_partial: Option<String>,
    /// The child's input (`run`).
    pub child_input: ChildInput,
    /// What to send the child, taken by the loop that owns the pipe.
    pub to_child: Vec<ToChild>,
    /// Lines the child printed in all (the pane keeps the newest [`CHILD_LINES`]).
    pub child_total: u64,
    /// Whether the source has a child process (shows the child pane).
    pub has_child: bool,
    /// Milliseconds since the session started.
    pub now_ms: f64,
    pub source_ended: bool,
    pub error: Option<String>,
    /// How the child ended (`run`), once it has.
    pub child_exit: Option<i32>,
    /// When the child ended, in milliseconds: the header's clock stops there.
    pub child_ended_ms: Option<f64>,
    /// `q` was pressed once while the child still runs: the next one stops it.
    pub quit_armed: bool,
    pub quit: bool,
    /// The signal that ended the UI (Ctrl-C counts as SIGINT, 2): the command exits with
    /// 128 + it, after printing what it prints after the view.
    pub signal: Option<i32>,
    /// Ctrl-Z was pressed: the loop gives the terminal back and stops the process, then
    /// clears this.
    pub suspend: bool,
    /// Home asked to start the demo when it closes.
    pub start_demo: bool,
    /// Scroll offset of the help, detail and paste overlays.
    pub scroll_overlay: usize,
    /// The explain view's scroll offset, in lines, and what its last frame laid out.
    pub scroll_explain: usize,
    pub explain_laid: RefCell<Laid>,
    /// The screen the help was opened on (it lists that screen's keys).
    pub help_for: Screen,
    /// Text to put on the clipboard (OSC 52), taken by the loop that owns the terminal.
    pub clipboard: Vec<String>,
    /// The last snippet copied: printed after the UI closes, for terminals without OSC 52.
    pub copied: Option<Snippet>,
    /// A one-line answer to the last key (shown in the footer until the next key).
    pub status: Option<String>,
}

impl App {
    fn base(view: View, capacity: usize) -> Self {
        App {
            view,
            overlay: Overlay::None,
            source: None,
            session: Session::new(),
            log: EventLog::new(capacity),
            focus: Focus::Budgets,
            selected: None,
            filter: Filter::default(),
            filter_open: false,
            paused: false,
            held: VecDeque::new(),
            paste: Paste::default(),
            explain: Vec::new(),
            explain_sel: 0,
            scroll_budgets: 0,
            scroll_timeline: 0,
            scroll_child: 0,
            child: VecDeque::new(),
            child_partial: None,
            child_input: ChildInput::default(),
            to_child: Vec::new(),
            child_total: 0,
            has_child: false,
            now_ms: 0.0,
            source_ended: false,
            error: None,
            child_exit: None,
            child_ended_ms: None,
            quit_armed: false,
            quit: false,
            signal: None,
            suspend: false,
            start_demo: false,
            scroll_overlay: 0,
            scroll_explain: 0,
            explain_laid: RefCell::new(Laid::default()),
            help_for: match view {
                View::Home => Screen::Home,
                View::Explain => Screen::Explain,
                View::Live => Screen::Live,
            },
            clipboard: Vec::new(),
            copied: None,
            status: None,
        }
    }

    /// The home screen: a paste area that diagnoses what lands in it.
    pub fn home() -> Self {
        let mut app = App::base(View::Home, DEFAULT_CAPACITY);
        app.paste.typing = false;
        app
    }

    /// The explain view over these diagnoses.
    pub fn explain(diagnoses: Vec<Diagnosis>) -> Self {
        let mut app = App::base(View::Explain, DEFAULT_CAPACITY);
        app.explain = diagnoses;
        app
    }

    /// The live view of a source, keeping at most `capacity` events for the log.
    pub fn live(source: LiveSource, capacity: usize) -> Self {
        let mut app = App::base(View::Live, capacity);
        app.has_child = matches!(source, LiveSource::Run { .. });
        app.child_input.open = app.has_child;
        app.source = Some(source);
        app
    }

    /// Which key table applies now.
    pub fn mode(&self) -> Mode {
        if self.filter_open {
            Mode::Filter
        } else if (self.paste.typing && (self.view == View::Home || self.overlay == Overlay::Paste))
            || self.typing_to_child()
        {
            Mode::Typing
        } else {
            Mode::Normal
        }
    }

    /// The screen the keys act on now (under the help: the one it was opened on).
    pub fn screen(&self) -> Screen {
        match self.overlay {
            Overlay::Help => self.help_for,
            Overlay::Detail(_) => Screen::Detail,
            Overlay::Paste => Screen::Paste,
            Overlay::None => match self.view {
                View::Home => Screen::Home,
                View::Explain => Screen::Explain,
                View::Live if self.has_child => Screen::Run,
                View::Live => Screen::Live,
            },
        }
    }

    /// Whether keys go to the program's input line now.
    pub fn typing_to_child(&self) -> bool {
        self.child_input.typing
            && self.view == View::Live
            && self.overlay == Overlay::None
            && !self.filter_open
    }

    /// The card in hand and its snippet: the selected explain card, the first card of the
    /// paste area, or the diagnosis of the event in the detail.
    pub fn snippet_in_hand(&self) -> Option<(String, Snippet)> {
        let (what, d) = match self.screen() {
            Screen::Explain => (
                format!("card {}", self.explain_sel + 1),
                self.explain.get(self.explain_sel)?,
            ),
            Screen::Home | Screen::Paste => (
                "the pasted error".to_string(),
                self.paste.diagnoses.first()?,
            ),
            Screen::Detail => {
                let Overlay::Detail(seq) = self.overlay else {
                    return None;
                };
                match &self.log.get(seq)?.event.kind {
                    EventKind::ResponseReceived {
                        diagnosis: Some(d), ..
                    } => (format!("event #{seq}"), d),
                    _ => return None,
                }
            }
            Screen::Live | Screen::Run => return None,
        };
        Some((what, snippet::of(d)?))
    }

    fn copy(&mut self) {
        match self.snippet_in_hand() {
            Some((what, snip)) => {
                self.status = Some(format!(
                    "copied the snippet of {what} (OSC 52); it is printed again when you quit"
                ));
                self.clipboard.push(snip.code.clone());
                self.copied = Some(snip);
            }
            None => self.status = Some("no snippet here to copy".to_string()),
        }
    }

    /// Whether the screen changes with time alone (countdowns, elapsed).
    pub fn animates(&self) -> bool {
        self.view == View::Live && !self.paused
    }

    /// The one way state changes.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Key(a) => self.on_action(a),
            Msg::Paste(text) if self.typing_to_child() => self.paste_to_child(&text),
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Event(e) => {
                if self.paused {
                    if self.held.len() >= self.log.capacity
                        && let Some(old) = self.held.pop_front()
                    {
                        self.fold(old);
                    }
                    self.held.push_back(e);
                } else {
                    self.fold(e);
                }
            }
            Msg::ChildLine(line) => {
                if self.child.len() >= CHILD_LINES {
                    self.child.pop_front();
                }
                self.child.push_back(redact(&line).into_owned());
                self.child_total += 1;
                self.child_partial = None;
            }
            Msg::ChildPartial(text) => self.child_partial = Some(redact(&text).into_owned()),
            Msg::ChildWaiting(waiting) => self.on_child_waiting(waiting),
            Msg::ChildExited(code) => {
                self.child_exit = Some(code);
                self.child_ended_ms = Some(self.elapsed_s() * 1000.0);
                self.quit_armed = false;
                self.child_input.open = false;
                self.child_input.typing = false;
                self.child_input.waiting = false;
            }
            Msg::Tick(now) => {
                if !self.paused {
                    self.now_ms = self.now_ms.max(now);
                }
            }
            Msg::SourceEnded => self.source_ended = true,
            Msg::Error(e) => self.error = Some(redact(&e).into_owned()),
            Msg::Signal(n) => self.end_by_signal(n),
        }
    }

    /// A program that waits for its input gets the keys (as a terminal would give them),
    /// unless Esc took them back during this wait; when it stops waiting, they come back.
    fn on_child_waiting(&mut self, waiting: bool) {
        let input = &mut self.child_input;
        input.waiting = waiting && input.open;
        if input.waiting {
            if !input.typing && !input.declined {
                input.typing = true;
                input.auto = true;
                self.focus = Focus::Child;
                self.scroll_child = 0;
            }
        } else {
            input.declined = false;
            if std::mem::take(&mut input.auto) && input.line.is_empty() {
                input.typing = false;
            }
        }
    }

    /// A paste while typing to the program: its lines are sent, the last one is kept on
    /// the input line (as a terminal does).
    fn paste_to_child(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut lines = text.split('\n').peekable();
        while let Some(l) = lines.next() {
            self.child_input.line.push_str(l);
            if lines.peek().is_some() {
                let line = std::mem::take(&mut self.child_input.line);
                self.to_child.push(ToChild::Line(line));
            }
        }
    }

    /// Handles a key while typing to the program; false when the normal table should.
    fn on_child_typing_action(&mut self, a: Action) -> bool {
        let input = &mut self.child_input;
        match a {
            Action::Char(c) => input.line.push(c),
            Action::Backspace => {
                input.line.pop();
            }
            Action::ClearText => input.line.clear(),
            Action::Newline => {
                let line = std::mem::take(&mut input.line);
                self.to_child.push(ToChild::Line(line));
                self.scroll_child = 0;
            }
            Action::EndInput => {
                if !input.line.is_empty() {
                    // As a terminal does: Ctrl-D after text sends the text, unfinished.
                    let line = std::mem::take(&mut input.line);
                    self.to_child.push(ToChild::Line(line));
                }
                self.to_child.push(ToChild::End);
                input.open = false;
                input.typing = false;
                input.waiting = false;
                self.status = Some("the program's input is closed (EOF)".to_string());
            }
            Action::Back => {
                input.typing = false;
                input.auto = false;
                input.declined = input.waiting;
            }
            Action::PageUp | Action::PageDown => return false,
            _ => {}
        }
        true
    }

    /// Quits at once (a `run` program still running is stopped after the view closes), to
    /// exit with 128 + `n`. The first signal is the one reported.
    fn end_by_signal(&mut self, n: i32) {
        self.signal.get_or_insert(n);
        self.quit = true;
    }

    /// The exit code of a UI that ended now: 128 + N if signal N (or Ctrl-C) ended it,
    /// else `otherwise`.
    /// Whether the view shows a log's errors (a followed log, or its recording
    /// replayed): it counts errors, not requests it never saw.
    pub fn reads_a_log(&self) -> bool {
        matches!(self.source, Some(LiveSource::Follow { .. })) || self.session.from_log()
    }

    pub fn exit_code(&self, otherwise: ExitCode) -> ExitCode {
        self.signal
            .and_then(ExitCode::from_signal)
            .unwrap_or(otherwise)
    }

    fn fold(&mut self, e: Event) {
        self.session.apply(&e);
        self.now_ms = self.now_ms.max(e.t_ms);
        let model = match &e.kind {
            EventKind::RequestSent { model, .. } => model.clone(),
            _ => self.model_of(e.id),
        };
        self.log.push(e, model);
    }

    /// The model of the most recent request with this exchange id.
    fn model_of(&self, id: u64) -> Option<String> {
        self.log
            .items
            .iter()
            .rev()
            .take(4096)
            .find(|l| l.event.id == id && matches!(l.event.kind, EventKind::RequestSent { .. }))
            .and_then(|l| l.model.clone())
    }

    fn on_paste(&mut self, text: &str) {
        // Terminals send a pasted newline as CR (tmux, most emulators): normalise.
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let mut t = redact(&text).into_owned();
        if t.len() > MAX_PASTE {
            let mut cut = MAX_PASTE;
            while !t.is_char_boundary(cut) {
                cut -= 1;
            }
            t.truncate(cut);
        }
        self.paste.text = t;
        self.paste.cursor = self.paste.text.len();
        self.paste.pastes += 1;
        self.paste.typing = false;
        self.rediagnose();
        self.scroll_overlay = 0;
        if self.view != View::Home {
            self.overlay = Overlay::Paste;
        }
    }

    fn rediagnose(&mut self) {
        self.paste.diagnoses = diagnose(&self.paste.text);
    }

    fn on_action(&mut self, a: Action) {
        // Ctrl-C and Ctrl-Z do what the terminal would do outside raw mode, in every mode.
        match a {
            Action::Interrupt => return self.end_by_signal(SIGINT),
            Action::Suspend => {
                self.suspend = true;
                return;
            }
            _ => {}
        }
        match self.mode() {
            Mode::Filter => return self.on_filter_action(a),
            Mode::Typing if self.typing_to_child() => {
                if self.on_child_typing_action(a) {
                    return;
                }
            }
            Mode::Typing => {
                if self.on_typing_action(a) {
                    return;
                }
            }
            Mode::Normal => {}
        }
        let armed = std::mem::take(&mut self.quit_armed);
        self.status = None;
        match a {
            Action::Copy => self.copy(),
            Action::Input => {
                if self.view == View::Live && self.overlay == Overlay::None && self.has_child {
                    if self.child_input.open {
                        self.child_input.typing = true;
                        self.focus = Focus::Child;
                        self.scroll_child = 0;
                    } else {
                        self.status = Some(if self.child_exit.is_some() {
                            "the program has ended".to_string()
                        } else {
                            "the program's input is closed".to_string()
                        });
                    }
                }
            }
            // Quitting stops a program that still runs: the first press only says so.
            Action::Quit if self.child_running() && !armed => self.quit_armed = true,
            Action::Quit => self.quit = true,
            Action::StartDemo => {
                if self.view == View::Home {
                    self.start_demo = true;
                    self.quit = true;
                }
            }
            Action::Help => {
                self.overlay = if self.overlay == Overlay::Help {
                    Overlay::None
                } else {
                    self.help_for = self.screen();
                    Overlay::Help
                };
                self.scroll_overlay = 0;
            }
            Action::Back => {
                if self.overlay != Overlay::None {
                    self.overlay = Overlay::None;
                    self.paste.typing = false;
                } else if self.view == View::Home {
                    self.paste.typing = false;
                } else if self.selected.is_some() {
                    self.selected = None;
                }
            }
            Action::Paste => {
                self.paste.typing = true;
                self.scroll_overlay = 0;
                if self.view != View::Home {
                    self.overlay = Overlay::Paste;
                }
            }
            Action::ClearText => {
                self.paste.text.clear();
                self.paste.cursor = 0;
                self.paste.diagnoses.clear();
            }
            Action::Pause => {
                if self.view == View::Live {
                    self.paused = !self.paused;
                    if !self.paused {
                        while let Some(e) = self.held.pop_front() {
                            self.fold(e);
                        }
                    }
                }
            }
            Action::Filter => {
                if self.view == View::Live {
                    self.filter_open = true;
                    self.focus = Focus::Log;
                }
            }
            Action::FocusNext | Action::FocusPrev => self.cycle_focus(a == Action::FocusNext),
            Action::Enter => {
                if self.view == View::Live && self.overlay == Overlay::None {
                    self.focus = Focus::Log;
                    if let Some(seq) = self.selected.or_else(|| self.last_visible()) {
                        self.selected = Some(seq);
                        self.overlay = Overlay::Detail(seq);
                        self.scroll_overlay = 0;
                    }
                }
            }
            Action::Up => self.scroll(-1),
            Action::Down => self.scroll(1),
            Action::PageUp => self.scroll(-self.page()),
            Action::PageDown => self.scroll(self.page()),
            Action::Top => self.scroll(i64::MIN / 2),
            Action::Bottom => self.scroll(i64::MAX / 2),
            Action::Interrupt
            | Action::Suspend
            | Action::EndInput
            | Action::Only429
            | Action::CycleModel
            | Action::CycleDimension
            | Action::ClearFilter
            | Action::Char(_)
            | Action::Backspace
            | Action::Delete
            | Action::Left
            | Action::Right
            | Action::Newline => {}
        }
    }

    /// Handles a key in the typing mode; false when the normal table should handle it.
    fn on_typing_action(&mut self, a: Action) -> bool {
        let p = &mut self.paste;
        match a {
            Action::Char(c) => p.insert(c.encode_utf8(&mut [0; 4])),
            Action::Newline => p.insert("\n"),
            Action::Backspace => p.backspace(),
            Action::Delete => p.delete(),
            Action::Left => p.left(),
            Action::Right => p.right(),
            Action::Up => p.vertical(-1),
            Action::Down => p.vertical(1),
            Action::Top => p.home(),
            Action::Bottom => p.end(),
            Action::ClearText => {
                p.text.clear();
                p.cursor = 0;
            }
            Action::Back => {
                p.typing = false;
                return true;
            }
            _ => return false,
        }
        if matches!(
            a,
            Action::Char(_)
                | Action::Newline
                | Action::Backspace
                | Action::Delete
                | Action::ClearText
        ) {
            self.rediagnose();
        }
        true
    }

    fn on_filter_action(&mut self, a: Action) {
        match a {
            Action::Quit => self.quit = true,
            Action::Back => self.filter_open = false,
            Action::Only429 => self.filter.only_429 = !self.filter.only_429,
            Action::CycleModel => {
                let models: Vec<&String> = self.session.models.iter().collect();
                self.filter.model = next_of(&models, self.filter.model.as_ref()).cloned();
            }
            Action::CycleDimension => {
                let mut dims: Vec<Dimension> =
                    self.session.budgets.iter().map(|b| b.dimension).collect();
                dims.sort();
                dims.dedup();
                let refs: Vec<&Dimension> = dims.iter().collect();
                self.filter.dimension = next_of(&refs, self.filter.dimension.as_ref()).copied();
            }
            Action::ClearFilter => self.filter = Filter::default(),
            _ => {}
        }
        self.selected = None;
    }

    fn cycle_focus(&mut self, forward: bool) {
        if self.view == View::Explain && self.overlay == Overlay::None {
            return self.next_card(forward);
        }
        if self.view != View::Live {
            return;
        }
        let mut order = vec![Focus::Budgets, Focus::Timeline, Focus::Log];
        if self.has_child {
            order.push(Focus::Child);
        }
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        self.focus = order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// Lines a page key moves: the explain view's height less one line kept in view, else 10.
    fn page(&self) -> i64 {
        let rows = self.explain_laid.borrow().rows;
        if self.view == View::Explain && self.overlay == Overlay::None && rows > 1 {
            i64::try_from(rows - 1).unwrap_or(10)
        } else {
            10
        }
    }

    /// Selects the next (or previous) explain card and scrolls to its first line.
    fn next_card(&mut self, forward: bool) {
        let n = self.explain.len();
        if n == 0 {
            return;
        }
        self.explain_sel = if forward {
            (self.explain_sel + 1) % n
        } else {
            (self.explain_sel + n - 1) % n
        };
        let laid = self.explain_laid.borrow();
        if let Some(start) = laid.starts.get(self.explain_sel) {
            self.scroll_explain = (*start).min(laid.max_scroll());
        }
    }

    fn scroll(&mut self, by: i64) {
        if self.overlay != Overlay::None || (self.view == View::Home && self.paste.typing) {
            self.scroll_overlay = shift(self.scroll_overlay, by);
            return;
        }
        match self.view {
            View::Home => self.scroll_overlay = shift(self.scroll_overlay, by),
            View::Explain => {
                let max = self.explain_laid.borrow().max_scroll();
                self.scroll_explain = shift(self.scroll_explain, by).min(max);
            }
            View::Live => match self.focus {
                Focus::Budgets => self.scroll_budgets = shift(self.scroll_budgets, by),
                Focus::Timeline => self.scroll_timeline = shift(self.scroll_timeline, by),
                Focus::Child => self.scroll_child = shift(self.scroll_child, by),
                Focus::Log => self.move_selection(by),
            },
        }
    }

    fn move_selection(&mut self, by: i64) {
        let visible: Vec<u64> = self.visible_seqs();
        if visible.is_empty() {
            self.selected = None;
            return;
        }
        let last = visible.len() - 1;
        let cur = self
            .selected
            .and_then(|s| visible.iter().position(|x| *x >= s))
            .unwrap_or(last);
        let target = if self.selected.is_none() && by < 0 {
            // The first Up selects the newest line.
            last
        } else {
            shift(cur, by).min(last)
        };
        self.selected = Some(visible[target]);
    }

    fn last_visible(&self) -> Option<u64> {
        self.log
            .items
            .iter()
            .rev()
            .find(|l| self.matches(l))
            .map(|l| l.seq)
    }

    /// Sequence numbers of the kept events that pass the filter, oldest first.
    pub fn visible_seqs(&self) -> Vec<u64> {
        self.log
            .items
            .iter()
            .filter(|l| self.matches(l))
            .map(|l| l.seq)
            .collect()
    }

    /// Whether a logged event passes the filter.
    pub fn matches(&self, l: &Logged) -> bool {
        let f = &self.filter;
        if !f.is_active() {
            return true;
        }
        if f.only_429 {
            match &l.event.kind {
                EventKind::ResponseReceived { status, .. } if *status == 429 => {}
                EventKind::RetryScheduled { .. } => {}
                _ => return false,
            }
        }
        if let Some(m) = &f.model
            && l.model.as_ref() != Some(m)
        {
            return false;
        }
        if let Some(d) = f.dimension {
            match &l.event.kind {
                EventKind::ResponseReceived {
                    snapshot,
                    diagnosis,
                    ..
                } => {
                    let in_diag = diagnosis
                        .as_ref()
                        .is_some_and(|x| kind_dimension(x.kind) == Some(d));
                    let in_headers = diagnosis.is_none() && snapshot.get(d).is_some();
                    if !in_diag && !in_headers {
                        return false;
                    }
                }
                _ => return false,
            }
        }
        true
    }

    /// The elapsed time as the header shows it.
    pub fn elapsed_s(&self) -> f64 {
        if let Some(end) = self.child_ended_ms {
            return end / 1000.0;
        }
        self.now_ms.max(self.session.last_ms) / 1000.0
    }

    /// Whether the view watches a program that has not ended yet (`run`).
    pub fn child_running(&self) -> bool {
        self.has_child && self.child_exit.is_none()
    }
}

/// The budget dimension a limit kind is about.
pub fn kind_dimension(k: Kind) -> Option<Dimension> {
    match k {
        Kind::Rpm | Kind::Rpd => Some(Dimension::Requests),
        Kind::Tpm | Kind::Tpd => Some(Dimension::Tokens),
        Kind::InputTpm => Some(Dimension::InputTokens),
        Kind::OutputTpm => Some(Dimension::OutputTokens),
        Kind::Ipm => Some(Dimension::Images),
        _ => None,
    }
}

fn shift(v: usize, by: i64) -> usize {
    let v = i64::try_from(v).unwrap_or(i64::MAX);
    usize::try_from(v.saturating_add(by).max(0)).unwrap_or(usize::MAX)
}

/// The item after `cur` in `items`, `None` after the last (a cycle through "all").
fn next_of<'a, T: PartialEq>(items: &[&'a T], cur: Option<&T>) -> Option<&'a T> {
    match cur {
        None => items.first().copied(),
        Some(c) => {
            let i = items.iter().position(|x| *x == c)?;
            items.get(i + 1).copied()
        }
    }
}

#[cfg(test)]
mod tests;
