//! Building one frame of the live view with 100,000 events in state (target < 2 ms), and
//! folding 100,000 events into the view's state (how fast a source may send).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratedoctor::tui::{self, fixtures};

fn frame(c: &mut Criterion) {
    let app = fixtures::live_app(100_000, 100_000);
    assert_eq!(app.log.items.len(), 100_000);
    let mut group = c.benchmark_group("tui");
    for (w, h) in [(120u16, 40u16), (80, 24), (40, 12)] {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        group.bench_function(format!("frame_{w}x{h}_100k_events"), |b| {
            b.iter(|| {
                terminal.draw(|f| tui::draw(f, &app)).unwrap();
            });
        });
    }
    group.finish();
}

fn fold(c: &mut Criterion) {
    let events = fixtures::scripted_events(100_000);
    c.bench_function("tui/fold_100k_events", |b| {
        b.iter(|| {
            let mut app = tui::App::live(tui::LiveSource::Demo, 10_000);
            for e in &events {
                app.update(tui::Msg::Event(e.clone()));
            }
            app.log.total
        });
    });
}

criterion_group!(benches, frame, fold);
criterion_main!(benches);
