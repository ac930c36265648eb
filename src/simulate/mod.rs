//! Workload simulation (core layer: pure, simulated time, no I/O).
//!
//! - [`spec`]: `--limits`, `--workload`, the OpenAI batch JSONL (as text) and what each
//!   request costs (charged exactly as the emulator charges an OpenAI chat call);
//! - [`engine`]: the discrete-event simulation over [`crate::limiter`] — the emulator's
//!   accounting, used unchanged — and a [`crate::backoff::Policy`];
//! - [`recommend`]: the concurrency × `max_tokens` × policy search;
//! - [`render`]: the text and JSON reports.

pub mod engine;
pub mod recommend;
pub mod render;
pub mod spec;

pub use engine::{
    Histogram, Outcome, SimOptions, SimRun, SimStats, advertised_hint, lower_bound, simulate,
};
pub use recommend::{Recommendation, SAMPLE, recommend, recommend_with};
pub use spec::{
    RequestSize, Requests, Workload, WorkloadSpec, parse_jsonl, parse_limits, parse_workload,
};
