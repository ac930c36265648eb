//! The pacing rules (pure core), in one place for both pacers: how a budget report is
//! projected to now, and how long a request must wait until it fits. The local pacer
//! ([`super::pace`]) calls them in Rust; the fleet's ledger ([`super::share`]) must weigh
//! inside Redis, atomically, so it runs the same rules as the Lua in [`LUA`], which its
//! scripts begin with. `tests/fleet_share.rs` runs that Lua in a real Redis against these
//! functions on random budgets and requires the same answers, so the rules are written
//! and tested here and the Lua only mirrors them.

/// Requests kept in hand in a budget of requests: for what a report's date and a refused
/// call's charge may miss.
pub const MARGIN: f64 = 0.5;

/// One budget as its freshest report has it, seen from now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub limit: f64,
    /// What remained when the server counted the reported request.
    pub remaining: f64,
    /// Units regained a second, when the budget regains continuously.
    pub rate: Option<f64>,
    /// Seconds since the server counted the reported request.
    pub since_s: f64,
    /// Seconds until the budget is full again at the latest (negative: it is).
    pub full_in_s: f64,
}

impl Reading {
    /// The budget now as the report alone would have it: what remained plus what came back
    /// since (all of it once the budget is full again), never more than the limit.
    pub fn projected(&self) -> f64 {
        let regained = match self.rate {
            Some(r) if r > 0.0 => r * self.since_s.max(0.0),
            _ if self.full_in_s <= 0.0 => self.limit,
            _ => 0.0,
        };
        (self.remaining + regained).min(self.limit)
    }

    /// Seconds until `short` more units are back.
    pub fn wait_for(&self, short: f64) -> f64 {
        match self.rate {
            Some(r) if r > 0.0 => short / r,
            _ => self.full_in_s.max(0.0),
        }
    }

    /// Seconds until a request of `n` units fits, with `unreported` units spent that the
    /// report cannot include and `margin` kept in hand; zero: it fits now. A request of
    /// nothing in this budget, or of more than its whole limit (the server will refuse it
    /// whatever is done), is not held for it.
    pub fn wait(&self, n: f64, unreported: f64, margin: f64) -> f64 {
        if n <= 0.0 || n > self.limit {
            return 0.0;
        }
        let short = n + margin - (self.projected() - unreported);
        if short > 0.0 {
            self.wait_for(short)
        } else {
            0.0
        }
    }
}

/// The same rules in Lua, for the ledger's scripts, in Redis's milliseconds: a budget `g`
/// is `{limit, remaining, rate (-1: none), full_at, seen}`, instants in ms on Redis's
/// clock. `rules_projected(g, now)` is [`Reading::projected`]; `rules_wait(g, n,
/// unreported, margin, now)` is [`Reading::wait`] in milliseconds.
pub const LUA: &str = r#"
local function rules_projected(g, now)
  local regained = 0
  if g.rate > 0 then
    regained = g.rate * math.max(0, now - g.seen) / 1000
  elseif now >= g.full_at then
    regained = g.limit
  end
  return math.min(g.limit, g.remaining + regained)
end
local function rules_wait(g, n, unreported, margin, now)
  if n <= 0 or n > g.limit then return 0 end
  local short = n + margin - (rules_projected(g, now) - unreported)
  if short <= 0 then return 0 end
  if g.rate > 0 then return short / g.rate * 1000 end
  return math.max(0, g.full_at - now)
end
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn minute(limit: f64, remaining: f64, since_s: f64) -> Reading {
        Reading {
            limit,
            remaining,
            rate: Some(limit / 60.0),
            since_s,
            full_in_s: (limit - remaining) / (limit / 60.0) - since_s,
        }
    }

    #[test]
    fn a_bucket_regains_at_its_rate_up_to_its_limit() {
        let r = minute(60.0, 10.0, 5.0);
        assert_eq!(r.projected(), 15.0);
        assert_eq!(minute(60.0, 10.0, 500.0).projected(), 60.0);
        // 20 requests, 15 there and 2 unreported: 7 short, half a request in hand: 7.5 s.
        assert_eq!(r.wait(20.0, 2.0, MARGIN), 7.5);
        assert_eq!(r.wait(10.0, 2.0, MARGIN), 0.0);
    }

    #[test]
    fn a_window_that_resets_at_once_is_waited_out_to_its_reset() {
        let r = Reading {
            limit: 1000.0,
            remaining: 100.0,
            rate: None,
            since_s: 3.0,
            full_in_s: 12.0,
        };
        assert_eq!(r.projected(), 100.0);
        assert_eq!(r.wait(200.0, 0.0, 0.0), 12.0);
        let full = Reading {
            full_in_s: -0.5,
            ..r
        };
        assert_eq!(full.projected(), 1000.0);
        assert_eq!(full.wait(200.0, 0.0, 0.0), 0.0);
    }

    #[test]
    fn a_request_larger_than_the_limit_or_of_nothing_is_not_held() {
        let r = minute(100.0, 0.0, 0.0);
        assert_eq!(r.wait(101.0, 0.0, 0.0), 0.0);
        assert_eq!(r.wait(0.0, 50.0, MARGIN), 0.0);
        assert!(r.wait(100.0, 0.0, 0.0) > 0.0);
    }
}
