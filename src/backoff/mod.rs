//! Backoff policies and the retry timeline (core layer: pure, no clock, no I/O).
//!
//! - [`Policy`]: the named presets that copy real clients (`openai-sdk`, `anthropic-sdk`,
//!   `tenacity-seed`, `tenacity-random`, `google-genai`, `none`) and `ratedoctor`, plus the
//!   custom `exp:` form ([`parse_policy`]). [`Policy::decide`] answers "retry after X s" or
//!   "give up, because …" for attempt n and a [`Failure`].
//! - [`timeline`]: attempts grouped per logical request, the one model drawn for live,
//!   simulated and replayed runs; [`timeline::schedule`] is a call that keeps failing.
//! - [`Rng`]: seeded splitmix64; same seed, same schedule.
//! - [`render`]: the `backoff` command's table and JSON document.

mod failure;
mod parse;
mod policy;
mod presets;
pub mod render;
mod rng;
pub mod timeline;

pub use failure::{Failure, FailureKind};
pub use parse::{MAX_ATTEMPTS, parse_policy, split_policy_list};
pub use policy::{
    AboveMax, Decision, GROW_AFTER, GiveUp, HintRule, Jitter, Policy, RetryOn, RetryState, Wait,
    WaitBasis,
};
pub use presets::PRESETS;
pub use rng::Rng;
