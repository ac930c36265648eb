//! Views (no network, no core logic): turn diagnoses and state into text, colour or JSON.

pub mod card;
pub mod event_line;
pub mod explain;
pub mod follow;
pub mod probe;
pub mod style;
pub mod summary;
