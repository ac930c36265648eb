//! `--share redis://…` (sources layer): fleet pacing. Every ratedoctor proxy that calls
//! the same upstream with the same API key joins one fleet in Redis, and a request the
//! local pacer ([`super::pace`]) lets go is also admitted by the fleet's ledger before it
//! is forwarded.
//!
//! What the fleet shares, per fleet and provider, under one key prefix:
//! - `…:t:DIM`: the freshest budget report of each dimension (limit, remaining, how fast it
//!   comes back, when it is full), dated by the time the server counted its request, on
//!   Redis's clock (the member sends how long ago that was, so no clocks need agree);
//! - `…:inflight`: the reservations, requests let through and not answered yet, each
//!   with its member; a member that stops beating (`…:members`, every [`BEAT`]) loses them
//!   within [`MEMBER_TTL`];
//! - `…:charged`: answered requests counted after the report of some dimension, which
//!   that report cannot include;
//! - `…:block`: a retryable 429's advised wait, which holds the whole fleet;
//! - `…:line` (with `…:seq` and `…:polled`): the requests held, in the order they first
//!   asked; only the first may go, so the fleet admits in arrival order. A request that
//!   stops asking for [`LINE_STALE`] (its client left) or whose member died leaves it.
//!
//! Admission is one Lua script (EVALSHA): it drops the reservations of dead members, weighs
//! the request against each budget by the local pacer's rules (the report's projection less
//! what it cannot include, half a request kept in hand: [`super::rules`], whose Lua the
//! scripts begin with and which a test holds to the Rust) and reserves, or says how long
//! to wait. A request asks once on its own; while held, its member's poller ([`poll`])
//! asks for all the requests the member holds in one call. Nothing stored holds the API key: the fleet's identity is a salted SHA-256 of
//! (upstream URL, key), or `--share-name`.
//!
//! Faults: every call to Redis is bounded by [`CALL_TIMEOUT`] and asked at most twice; a
//! failure, or a call without an answer in time after [`SILENT_FOR`] of silence, puts this
//! member on local pacing at once (one warning), and the beat rejoins when Redis answers
//! again.
//! Traffic never waits on a Redis that is down.

use crate::diagnose::Provider;
use crate::error::AppError;
use crate::headers::{Dimension, Snapshot};
use hyper::HeaderMap;
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The longest one call to Redis may take. One that fails, or one without an answer in
/// time when Redis has answered nothing for [`SILENT_FOR`], and this member paces locally.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// How long Redis may answer nothing before a call without an answer in time loses the
/// fleet: one slow answer on a busy machine (or two calls caught in the same stall) is not
/// a lost Redis.
const SILENT_FOR: Duration = Duration::from_secs(1);
/// How often a member says it is alive (and, when Redis was lost, tries to rejoin).
pub const BEAT: Duration = Duration::from_millis(500);
/// A member not heard from for this long is dead: its reservations are freed.
pub const MEMBER_TTL: Duration = Duration::from_secs(3);
/// How long to wait for Redis at start.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A fleet's keys vanish this long after its last use.
const KEY_TTL_MS: u64 = 600_000;
/// A member asks the fleet about the requests it holds at least this often (sooner when
/// the fleet's next chance comes sooner).
const POLL: Duration = Duration::from_millis(100);
/// A request in the fleet's line that has not asked for this long has left it.
const LINE_STALE: Duration = Duration::from_millis(1000);
/// Mixed into the fleet identity, so the hash is ratedoctor's own and no bare hash of a key.
const SALT: &str = "ratedoctor-fleet-v1";

/// `--share`, `--share-name`, `--share-fallback`.
#[derive(Clone)]
pub struct ShareConfig {
    /// The Redis URL as given: it may hold a password, so it is never printed
    /// ([`ShareConfig::shown`] is).
    url: String,
    /// `--share-name`: the fleet's name instead of the hash of (upstream, key).
    pub name: Option<String>,
    /// `--share-fallback local`: start on local pacing when Redis cannot be reached.
    pub fallback_local: bool,
    /// No warnings on stderr while running (the live view owns the terminal); the
    /// [`Fleet::changes`] events still say it.
    pub quiet: bool,
}

impl std::fmt::Debug for ShareConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareConfig")
            .field("url", &redact_url(&self.url))
            .field("name", &self.name)
            .field("fallback_local", &self.fallback_local)
            .finish()
    }
}

impl ShareConfig {
    /// Checks the URL: `redis://` or `rediss://`, with a host.
    pub fn new(url: &str, name: Option<String>, fallback_local: bool) -> Result<Self, AppError> {
        let url = url.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(AppError::Usage(format!(
                "--share {}: expected redis://[user:password@]host:port[/db] or rediss://…",
                redact_url(url)
            )));
        };
        if !matches!(scheme, "redis" | "rediss") || host_port(rest).is_empty() {
            return Err(AppError::Usage(format!(
                "--share {}: expected redis://[user:password@]host:port[/db] or rediss://…",
                redact_url(url)
            )));
        }
        if let Some(n) = &name
            && (n.is_empty() || n.len() > 100 || n.chars().any(|c| c.is_control() || c == ' '))
        {
            return Err(AppError::Usage(
                "--share-name: 1 to 100 characters, no spaces".into(),
            ));
        }
        Ok(ShareConfig {
            url: url.to_string(),
            name,
            fallback_local,
            quiet: false,
        })
    }

    /// `scheme://host:port`, for messages: no user, no password, no database.
    pub fn shown(&self) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("redis", &self.url));
        format!("{scheme}://{}", host_port(rest))
    }

    /// The URL with its password replaced: `redis://user:[REDACTED]@host:port/0`.
    pub fn redacted(&self) -> String {
        redact_url(&self.url)
    }
}

/// `host:port` of what follows `scheme://`.
fn host_port(rest: &str) -> &str {
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    after_user.split(['/', '?', '#']).next().unwrap_or_default()
}

/// A Redis URL with the secret part of its user info replaced: the password after
/// `user:`, or the whole user info when it has no colon (it may be a bare password).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((user_info, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    let user_info = match user_info.split_once(':') {
        Some((user, _)) => format!("{user}:[REDACTED]"),
        None => "[REDACTED]".to_string(),
    };
    format!("{scheme}://{user_info}@{host}")
}

/// The API key a request carries, if any: `Authorization: Bearer`, `x-api-key`,
/// `api-key`, `x-goog-api-key`, or `key=` in the query.
fn api_key<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> &'a str {
    for name in ["authorization", "x-api-key", "api-key", "x-goog-api-key"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            let v = v.trim();
            return v
                .strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim();
        }
    }
    query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("key="))
        .unwrap_or_default()
}

/// The fleet's identity: a salted SHA-256 of (upstream URL, API key), in hex; never the
/// key itself.
pub fn fleet_id(upstream: &str, key: &str) -> String {
    let mut h = Sha256::new();
    for part in [SALT, upstream.trim_end_matches('/'), key] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a dimension's units are made of a request's: 0 requests, 1 input and output
/// tokens, 2 input tokens, 3 output tokens; `None`: not paced.
fn kind(d: Dimension) -> Option<u8> {
    match d {
        Dimension::Requests => Some(0),
        Dimension::Tokens | Dimension::ProjectTokens => Some(1),
        Dimension::InputTokens => Some(2),
        Dimension::OutputTokens => Some(3),
        Dimension::Images => None,
    }
}

/// Admission, for one or more requests of this member at once (one call a poll however
/// many it holds): drop dead members' reservations, claim what was let through for them
/// while they waited, put the others in the line (in the order they first asked); then,
/// unless the fleet's next chance is still to come, weigh the line from its head against
/// every budget (the freshest report's projection, less the reservations and the answered
/// requests it cannot include, half a request kept in hand), the 429 block, and with
/// nothing known yet one probe at a time, and reserve what fits. Answers how many
/// milliseconds until the fleet's next chance, the members alive, and for each request
/// whether it is admitted.
const ADMIT: &str = r#"
local p, member, base = ARGV[1], ARGV[2], ARGV[3]
local probe_ms, margin, ttl, key_ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local poll, stale = tonumber(ARGV[8]), tonumber(ARGV[9])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local members, flight, line, polled, granted = p .. ':members', p .. ':inflight', p .. ':line', p .. ':polled', p .. ':granted'
redis.call('ZADD', members, now, member)
redis.call('ZREMRANGEBYSCORE', members, '-inf', now - ttl)
for _, k in ipairs({members, flight, line, polled, granted, p .. ':seq', p .. ':admitted'}) do
  redis.call('PEXPIRE', k, key_ttl)
end
-- The requests asking (ARGV from 10: id, input tokens, output tokens): each one let
-- through while it waited (by an earlier call) has its reservation made; the others stand
-- in the line, where they keep the place they first had.
local out = {0, 0}
local asking, waiting = {}, 0
local function admitted(n)
  out[2 + n] = 1
  redis.call('HINCRBY', p .. ':admitted', base, 1)
end
local n = 0
for i = 10, #ARGV, 3 do
  n = n + 1
  local resid, a, b = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  out[2 + n] = 0
  local rec = redis.call('HDEL', granted, resid) == 1 and redis.call('HGET', flight, resid)
  if rec then
    local m, x, y = string.match(rec, '^([^|]*)|([^|]*)|([^|]*)')
    redis.call('HSET', flight, resid, m .. '|' .. x .. '|' .. y .. '|0')
    admitted(n)
  else
    if redis.call('ZSCORE', line, resid) == false then
      redis.call('ZADD', line, redis.call('INCR', p .. ':seq'), resid)
    end
    redis.call('HSET', polled, resid, now .. '|' .. a .. '|' .. b)
    asking[resid] = n
    waiting = waiting + 1
  end
end
local function answer(wait)
  if waiting > 0 then out[1] = math.min(math.max(wait, 1), poll) end
  out[2] = redis.call('ZCARD', members)
  return out
end
if waiting == 0 then return answer(0) end
-- Until the fleet's next chance (set when the budgets last said wait, cleared by every
-- settle), there is nothing to weigh: a cheap answer.
local next_at = tonumber(redis.call('GET', p .. ':next') or '0')
if now < next_at then return answer(next_at - now) end
local function alive(m) return m ~= nil and redis.call('ZSCORE', members, m) ~= false end
-- What is reserved: requests let through and not answered yet. Those of dead members,
-- and those let through for a request that never came to claim it, are freed.
local all = redis.call('HGETALL', flight)
local used = {0, 0, 0}
for i = 1, #all, 2 do
  local m, a, b, g = string.match(all[i + 1], '^([^|]*)|([^|]*)|([^|]*)|?([^|]*)$')
  g = tonumber(g) or 0
  if not alive(m) or (g > 0 and now - g > stale) then
    redis.call('HDEL', flight, all[i])
    redis.call('HDEL', granted, all[i])
  else
    used[1] = used[1] + 1
    used[2] = used[2] + tonumber(a)
    used[3] = used[3] + tonumber(b)
  end
end
local function units(kind, r, a, b)
  if kind == 0 then return r elseif kind == 1 then return a + b elseif kind == 2 then return a else return b end
end
-- Each budget: the freshest report, and what it cannot include (reservations, and answers
-- counted after it); half a request of the requests budget is kept in hand.
local budgets = {}
local dims = redis.call('SMEMBERS', p .. ':dims')
for _, d in ipairs(dims) do
  local f = redis.call('HMGET', p .. ':t:' .. d, 'limit', 'remaining', 'rate', 'full_at', 'seen', 'kind')
  if f[1] then
    local g = {limit = tonumber(f[1]), remaining = tonumber(f[2]), rate = tonumber(f[3]), full_at = tonumber(f[4]), seen = tonumber(f[5])}
    local kind = tonumber(f[6])
    local late = {0, 0, 0}
    -- Calls counted within 100 ms of the report are of its burst, whose order is not
    -- known: the report kept is the one that leaves least, which counts them.
    local charged = redis.call('ZRANGEBYSCORE', p .. ':charged', '(' .. (g.seen + 100), '+inf')
    for _, c in ipairs(charged) do
      local a, b = string.match(c, '^[^|]*|([^|]*)|([^|]*)$')
      if a then
        late[1] = late[1] + 1
        late[2] = late[2] + tonumber(a)
        late[3] = late[3] + tonumber(b)
      end
    end
    local unreported = units(kind, used[1] + late[1], used[2] + late[2], used[3] + late[3])
    local keep = 0
    if kind == 0 then keep = margin end
    table.insert(budgets, {g = g, kind = kind, unreported = unreported, keep = keep})
  end
end
-- How long until a request of this size fits every budget (0: now).
local function short_of(a, b)
  local wait = 0
  for _, x in ipairs(budgets) do
    local w = rules_wait(x.g, units(x.kind, 1, a, b), x.unreported, x.keep, now)
    if w > wait then wait = w end
  end
  return wait
end
local wait = 0
local block = tonumber(redis.call('GET', p .. ':block') or '0')
if block > now then wait = block - now end
-- From the head of the line, every request that fits goes, in order; the first that
-- does not fit stops the line. One that stopped asking, or whose member died, leaves it.
if wait == 0 then
  for _, r in ipairs(redis.call('ZRANGE', line, 0, -1)) do
    local rm = string.match(r, '^(.*):[^:]*$')
    local last, a, b = string.match(redis.call('HGET', polled, r) or '', '^([^|]*)|([^|]*)|([^|]*)$')
    last, a, b = tonumber(last), tonumber(a), tonumber(b)
    if not alive(rm) or last == nil or now - last > stale then
      redis.call('ZREM', line, r)
      redis.call('HDEL', polled, r)
    else
      local probe = false
      if #budgets == 0 then
        -- Nothing known: the first request goes alone and the others wait for its
        -- answer, at most probe_ms from when it went.
        probe = redis.call('SET', p .. ':probe', now, 'NX', 'PX', key_ttl) ~= false
        if not probe then
          wait = math.max(0, tonumber(redis.call('GET', p .. ':probe') or '0') + probe_ms - now)
        end
      else
        wait = short_of(a, b)
      end
      if wait > 0 then break end
      for _, x in ipairs(budgets) do x.unreported = x.unreported + units(x.kind, 1, a, b) end
      redis.call('ZREM', line, r)
      redis.call('HDEL', polled, r)
      if asking[r] then
        redis.call('HSET', flight, r, member .. '|' .. a .. '|' .. b .. '|0')
        admitted(asking[r])
        waiting = waiting - 1
      else
        redis.call('HSET', flight, r, rm .. '|' .. a .. '|' .. b .. '|' .. now)
        redis.call('HSET', granted, r, now)
      end
      if probe then wait = 1; break end
    end
  end
end
if wait > 0 then
  wait = math.ceil(wait)
  redis.call('SET', p .. ':next', now + wait, 'PX', wait)
end
return answer(wait)
"#;

/// Settling: the reservation leaves the line; an answered request is charged (dated when
/// the server counted it); a 429 is counted and its advised wait holds the fleet; each
/// budget report replaces the stored one when it is fresher (or, dated within 100 ms of
/// it, leaves less).
const SETTLE: &str = r#"
local p, resid = ARGV[1], ARGV[2]
local charged, limited, retry_ms, age_ms = ARGV[3] == '1', ARGV[4] == '1', tonumber(ARGV[5]), tonumber(ARGV[6])
local key_ttl = tonumber(ARGV[7])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local counted = now - age_ms
local flight = p .. ':inflight'
local rec = redis.call('HGET', flight, resid)
redis.call('HDEL', flight, resid)
-- What the fleet may let through has changed: the next admission weighs it again.
redis.call('DEL', p .. ':next')
if charged and rec then
  local _, a, b = string.match(rec, '^([^|]*)|([^|]*)|([^|]*)')
  redis.call('ZADD', p .. ':charged', counted, resid .. '|' .. (a or 0) .. '|' .. (b or 0))
end
if limited then
  redis.call('INCR', p .. ':n429')
  redis.call('PEXPIRE', p .. ':n429', key_ttl)
  if retry_ms > 0 then
    local old = tonumber(redis.call('GET', p .. ':block') or '0')
    if now + retry_ms > old then
      redis.call('SET', p .. ':block', now + retry_ms, 'PX', retry_ms + 1000)
    end
  end
end
local i = 8
while ARGV[i] do
  local d, kind, limit, remaining, rate, reset_ms = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
  i = i + 6
  local key = p .. ':t:' .. d
  local old = redis.call('HMGET', key, 'limit', 'remaining', 'rate', 'full_at', 'seen')
  local better = old[1] == false or tonumber(old[1]) ~= limit or counted > tonumber(old[5]) + 100
  if not better and counted >= tonumber(old[5]) - 100 then
    local was = {limit = limit, remaining = tonumber(old[2]), rate = tonumber(old[3]), full_at = tonumber(old[4]), seen = tonumber(old[5])}
    local is = {limit = limit, remaining = remaining, rate = rate, full_at = now + reset_ms, seen = counted}
    better = rules_projected(is, now) < rules_projected(was, now)
  end
  if better then
    redis.call('HSET', key, 'limit', limit, 'remaining', remaining, 'rate', rate, 'full_at', now + reset_ms, 'seen', counted, 'kind', kind)
    redis.call('PEXPIRE', key, key_ttl)
    redis.call('SADD', p .. ':dims', d)
    redis.call('PEXPIRE', p .. ':dims', key_ttl)
  end
end
local cut = nil
for _, d in ipairs(redis.call('SMEMBERS', p .. ':dims')) do
  local seen = tonumber(redis.call('HGET', p .. ':t:' .. d, 'seen') or '0')
  if cut == nil or seen < cut then cut = seen end
end
if cut == nil or cut < now - 120000 then cut = now - 120000 end
redis.call('ZREMRANGEBYSCORE', p .. ':charged', '-inf', cut)
redis.call('PEXPIRE', p .. ':charged', key_ttl)
return 1
"#;

/// The beat: this member is alive; what the fleet looks like (members alive, requests in
/// flight, 429s, this member's admissions and the fleet's).
const BEAT_SCRIPT: &str = r#"
local p, member, base, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local members = p .. ':members'
redis.call('ZADD', members, now, member)
redis.call('ZREMRANGEBYSCORE', members, '-inf', now - ttl)
local mine = tonumber(redis.call('HGET', p .. ':admitted', base) or '0')
local total = 0
local all = redis.call('HGETALL', p .. ':admitted')
for i = 2, #all, 2 do total = total + tonumber(all[i]) end
return {redis.call('ZCARD', members), redis.call('HLEN', p .. ':inflight'), tonumber(redis.call('GET', p .. ':n429') or '0'), mine, total}
"#;

/// What the fleet looked like at the last beat, summed over the fleets this member is in.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct FleetView {
    /// Whether this member paces with the fleet now (else locally).
    pub joined: bool,
    pub members_alive: u64,
    pub in_flight: u64,
    pub rate_limited: u64,
    /// This member's admissions, and the fleet's.
    pub admitted_here: u64,
    pub admitted_total: u64,
}

/// A reservation in the fleet's ledger, to settle with the answer.
#[derive(Debug, Clone)]
pub struct Ticket {
    prefix: String,
    resid: String,
}

/// This member's link to the fleets it paces with.
pub struct Fleet {
    conn: ConnectionManager,
    shown: String,
    name: Option<String>,
    /// This process in the fleet; [`Fleet::member`] adds the generation.
    member: String,
    /// Bumped at each rejoin: reservations whose settling an outage lost belong to the
    /// generation before, which no longer beats, and so leave the ledger within
    /// [`MEMBER_TTL`].
    generation: AtomicU64,
    up: AtomicBool,
    next: AtomicU64,
    admit: redis::Script,
    settle: redis::Script,
    beat: redis::Script,
    /// Every prefix used, for the beat.
    prefixes: Mutex<HashSet<String>>,
    /// The requests held, by prefix, for the pollers.
    held: Mutex<HashMap<String, Held>>,
    view: Mutex<FleetView>,
    /// Times Redis was lost while running.
    pub lost: AtomicU64,
    /// When Redis last answered a call, in milliseconds from `born`.
    answered_ms: AtomicU64,
    born: Instant,
    quiet: bool,
    /// Each loss and rejoin: (joined, what happened), for the proxy to record.
    tell: tokio::sync::mpsc::UnboundedSender<(bool, String)>,
    told: Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<(bool, String)>>>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("at", &self.shown)
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

/// Redis's error, without anything of the URL.
fn reason(e: &redis::RedisError) -> String {
    let s = e.to_string();
    let s = s.lines().next().unwrap_or_default();
    redact_url(s)
}

impl Fleet {
    /// Connects (at most [`CONNECT_TIMEOUT`]) and starts the beat. Redis unreachable: the
    /// one-line error (exit 4), or, with `--share-fallback local`, a warning and a member
    /// that paces locally until Redis answers.
    pub async fn join(config: &ShareConfig) -> Result<Arc<Fleet>, AppError> {
        let shown = config.shown();
        let unreachable =
            |why: String| format!("cannot reach the shared ledger at {shown} ({why})");
        let client = redis::Client::open(config.url.as_str()).map_err(|e| {
            AppError::Usage(format!("--share {}: {}", config.redacted(), reason(&e)))
        })?;
        let cm_config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CALL_TIMEOUT * 4))
            .set_response_timeout(Some(CALL_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, cm_config)
            .map_err(|e| AppError::Network(unreachable(reason(&e))))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let (tell, told) = tokio::sync::mpsc::unbounded_channel();
        let fleet = Arc::new(Fleet {
            conn,
            shown: shown.clone(),
            name: config.name.clone(),
            member: format!("{}-{:x}", std::process::id(), nanos & 0xffff_ffff_ffff),
            generation: AtomicU64::new(0),
            up: AtomicBool::new(false),
            next: AtomicU64::new(0),
            admit: redis::Script::new(&format!("{}{ADMIT}", super::rules::LUA)),
            settle: redis::Script::new(&format!("{}{SETTLE}", super::rules::LUA)),
            beat: redis::Script::new(BEAT_SCRIPT),
            prefixes: Mutex::new(HashSet::new()),
            held: Mutex::new(HashMap::new()),
            view: Mutex::new(FleetView::default()),
            lost: AtomicU64::new(0),
            answered_ms: AtomicU64::new(0),
            born: Instant::now(),
            quiet: config.quiet,
            tell,
            told: Mutex::new(Some(told)),
        });
        let mut conn = fleet.conn.clone();
        let ping = tokio::time::timeout(
            CONNECT_TIMEOUT,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        match ping {
            Ok(Ok(_)) => {
                fleet.answered();
                fleet.up.store(true, Ordering::Relaxed);
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => reason(&e),
                    _ => format!("no answer in {} s", CONNECT_TIMEOUT.as_secs()),
                };
                if !config.fallback_local {
                    return Err(AppError::Network(unreachable(why)));
                }
                let said = format!(
                    "{}; pacing locally (--share-fallback local) until it answers",
                    unreachable(why)
                );
                eprintln!("ratedoctor: {said}");
                let _ = fleet.tell.send((false, said));
            }
        }
        tokio::spawn(beat(Arc::downgrade(&fleet)));
        Ok(fleet)
    }

    /// Each loss of the ledger and each rejoin from now on, the ones since the start
    /// first: (joined, what happened). Once; `None` after.
    pub fn changes(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<(bool, String)>> {
        self.told
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    /// Says a loss or a rejoin: on stderr unless quiet, and as an event.
    fn say(&self, joined: bool, said: String) {
        if !self.quiet {
            eprintln!("ratedoctor: {said}");
        }
        let _ = self.tell.send((joined, said));
    }

    /// This member as the ledger knows it now: `PROCESS.GENERATION`.
    fn member(&self) -> String {
        format!(
            "{}.{}",
            self.member,
            self.generation.load(Ordering::Relaxed)
        )
    }

    /// Whether this member paces with the fleet now.
    pub fn joined(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// `scheme://host:port` of the ledger.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The fleet view as of the last beat.
    pub fn view(&self) -> FleetView {
        let mut v = *self
            .view
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        v.joined = self.joined();
        v
    }

    /// The key prefix of the fleet of requests to `upstream` for `provider` with these
    /// headers.
    pub fn prefix(
        &self,
        upstream: &str,
        provider: Provider,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> String {
        let id = match &self.name {
            Some(n) => format!("name:{n}"),
            None => fleet_id(upstream, api_key(headers, query)),
        };
        format!("ratedoctor:fleet:{id}:{}", provider.id())
    }

    /// Redis failed: pace locally from now on, saying so once, until the beat rejoins.
    fn lose(&self, why: &str) {
        if self.up.swap(false, Ordering::Relaxed) {
            self.lost.fetch_add(1, Ordering::Relaxed);
            self.say(
                false,
                format!(
                    "lost the shared ledger at {} ({why}); pacing locally until it is back",
                    self.shown
                ),
            );
        }
    }

    /// One script call, bounded by [`CALL_TIMEOUT`]. A failure loses the fleet; so does a
    /// call without an answer in time when Redis has answered nothing for [`SILENT_FOR`].
    async fn call<T: redis::FromRedisValue>(&self, inv: &redis::ScriptInvocation<'_>) -> Option<T> {
        let mut conn = self.conn.clone();
        let slow = match tokio::time::timeout(CALL_TIMEOUT, inv.invoke_async::<T>(&mut conn)).await
        {
            Ok(Ok(v)) => {
                self.answered();
                return Some(v);
            }
            Ok(Err(e)) if e.is_timeout() => reason(&e),
            Ok(Err(e)) => {
                self.lose(&reason(&e));
                return None;
            }
            Err(_) => format!("no answer in {} ms", CALL_TIMEOUT.as_millis()),
        };
        self.no_answer(&slow);
        None
    }

    /// Redis answered a call.
    fn answered(&self) {
        let ms = self.born.elapsed().as_millis() as u64;
        self.answered_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// A call got no answer in time: the fleet is lost when Redis has been silent for
    /// [`SILENT_FOR`].
    fn no_answer(&self, why: &str) {
        let silent = (self.born.elapsed().as_millis() as u64)
            .saturating_sub(self.answered_ms.load(Ordering::Relaxed));
        if silent >= SILENT_FOR.as_millis() as u64 {
            self.lose(why);
        }
    }

    /// [`Fleet::call`], asked once more after one slow answer (while the fleet is joined).
    async fn call_again<T: redis::FromRedisValue>(
        &self,
        inv: &redis::ScriptInvocation<'_>,
    ) -> Option<T> {
        match self.call(inv).await {
            Some(v) => Some(v),
            None if self.joined() => self.call(inv).await,
            None => None,
        }
    }

    /// Waits until the fleet admits the request, and reserves it; `None` when this member
    /// paces locally (Redis is down, or went down while it waited), or after `max` in all.
    ///
    /// The request asks once on its own (most are admitted at once); held, it waits for this
    /// member's poller of the fleet ([`poll`]), which asks for every request the member
    /// holds in one call.
    pub async fn admit(
        self: &Arc<Self>,
        prefix: &str,
        input: f64,
        output: f64,
        max: Duration,
    ) -> Option<Ticket> {
        let start = Instant::now();
        self.prefixes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(prefix.to_string());
        let resid = format!(
            "{}:{}",
            self.member(),
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        let (input, output) = (
            input.max(0.0).round() as u64,
            output.max(0.0).round() as u64,
        );
        if !self.joined() {
            return None;
        }
        let (wait_ms, admitted) = self.ask(prefix, &[(&resid, input, output)]).await?;
        let ticket = Ticket {
            prefix: prefix.to_string(),
            resid: resid.clone(),
        };
        if admitted.first() == Some(&true) {
            return Some(ticket);
        }
        let (tell, told) = tokio::sync::oneshot::channel();
        let (start_poller, poke) = {
            let mut held = self.held();
            let h = held.entry(prefix.to_string()).or_default();
            h.waiters.push(Waiter {
                resid,
                input,
                output,
                tell,
            });
            h.ask_by(Instant::now() + Duration::from_millis(wait_ms).min(POLL));
            (
                !std::mem::replace(&mut h.polling, true),
                Arc::clone(&h.poke),
            )
        };
        if start_poller {
            tokio::spawn(poll(Arc::downgrade(self), prefix.to_string()));
        } else {
            poke.notify_one();
        }
        let left = max.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, told).await {
            Ok(Ok(true)) => Some(ticket),
            _ => None,
        }
    }

    /// The requests this member holds, by fleet.
    fn held(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One admission call for `asks` (request id, input and output tokens): how many
    /// milliseconds until the fleet's next chance, and whether each is admitted. `None`:
    /// Redis did not answer (twice), or answered nonsense.
    async fn ask(&self, prefix: &str, asks: &[(&str, u64, u64)]) -> Option<(u64, Vec<bool>)> {
        let mut inv = self.admit.prepare_invoke();
        inv.arg(prefix)
            .arg(self.member())
            .arg(&self.member)
            .arg(super::pace::PROBE_WAIT.as_millis() as u64)
            .arg(super::rules::MARGIN)
            .arg(MEMBER_TTL.as_millis() as u64)
            .arg(KEY_TTL_MS)
            .arg(POLL.as_millis() as u64)
            .arg(LINE_STALE.as_millis() as u64);
        for (resid, input, output) in asks {
            inv.arg(*resid).arg(*input).arg(*output);
        }
        let answer: Vec<u64> = self.call_again(&inv).await?;
        let (wait_ms, admitted) = (answer.first()?, answer.get(2..)?);
        (admitted.len() == asks.len())
            .then(|| (*wait_ms, admitted.iter().map(|a| *a == 1).collect()))
    }

    /// Settles a reservation with the answer: `snapshot` (none: no answer), whether it was
    /// a 429, and about when the server counted it (sent to Redis as an age taken at the
    /// call, so a settle that waited its turn dates the report no later).
    pub async fn settle(
        &self,
        ticket: &Ticket,
        snapshot: Option<&Snapshot>,
        rate_limited: bool,
        counted: Instant,
    ) {
        // Tried even while the member paces locally: Redis may be back already, and a
        // reservation left unsettled would hold its share until this generation ends.
        let mut inv = self.settle.prepare_invoke();
        let retry_ms = snapshot
            .filter(|_| rate_limited)
            .and_then(|s| s.retry_after_s)
            .filter(|s| s.is_finite() && *s > 0.0)
            .map_or(0, |s| {
                (s.min(super::pace::MAX_HOLD.as_secs_f64()) * 1000.0) as u64
            });
        inv.arg(&ticket.prefix)
            .arg(&ticket.resid)
            .arg(u8::from(snapshot.is_some() && !rate_limited))
            .arg(u8::from(rate_limited))
            .arg(retry_ms)
            .arg(counted.elapsed().as_millis() as u64)
            .arg(KEY_TTL_MS);
        for b in snapshot.map(|s| s.budgets.as_slice()).unwrap_or_default() {
            let (Some(k), Some(limit), Some(remaining)) = (kind(b.dimension), b.limit, b.remaining)
            else {
                continue;
            };
            if limit <= 0.0 || !limit.is_finite() || !remaining.is_finite() {
                continue;
            }
            let reset_s = b.reset_s.unwrap_or(60.0).clamp(0.0, 120.0);
            let (remaining, rate) = super::pace::regain_of(b, limit, remaining.min(limit), reset_s);
            let dim = match b.window {
                Some(w) => format!("{}/{}", b.dimension.id(), w.id()),
                None => b.dimension.id().to_string(),
            };
            inv.arg(dim)
                .arg(k)
                .arg(limit)
                .arg(remaining)
                .arg(rate.unwrap_or(-1.0))
                .arg((reset_s * 1000.0) as u64);
        }
        let _: Option<i64> = self.call_again(&inv).await;
    }

    /// Frees a reservation whose request never got an answer (its client left).
    pub fn abandon(self: &Arc<Self>, ticket: Ticket) {
        let me = Arc::clone(self);
        tokio::spawn(async move { me.settle(&ticket, None, false, Instant::now()).await });
    }
}

/// At most this many requests in one admission call (a member holding more asks in
/// several, so that no one call keeps Redis from the others for long).
const ASK_AT_MOST: usize = 256;

/// A request of this member held for the fleet.
struct Waiter {
    resid: String,
    input: u64,
    output: u64,
    /// Told whether the fleet admitted it (`false`: it paces locally).
    tell: tokio::sync::oneshot::Sender<bool>,
}

/// The requests this member holds for one fleet, asked about together.
#[derive(Default)]
struct Held {
    waiters: Vec<Waiter>,
    /// When the poller asks next.
    ask_at: Option<Instant>,
    /// Whether a poller runs for this fleet.
    polling: bool,
    /// Wakes the poller when a request is held that must be asked about sooner.
    poke: Arc<tokio::sync::Notify>,
}

impl Held {
    fn ask_by(&mut self, at: Instant) {
        self.ask_at = Some(self.ask_at.map_or(at, |t| t.min(at)));
    }
}

/// This member's poller of one fleet: while it holds requests for it, asks about all of
/// them in one call (per [`ASK_AT_MOST`]) at the fleet's next chance (at least every
/// [`POLL`]), and tells each whether it is admitted. Redis lost or silent: every held
/// request is told to pace locally. Ends when it holds nothing.
async fn poll(fleet: Weak<Fleet>, prefix: String) {
    loop {
        let Some(f) = fleet.upgrade() else { return };
        let (at, poke) = {
            let mut held = f.held();
            let h = held.entry(prefix.clone()).or_default();
            let at = *h.ask_at.get_or_insert_with(|| Instant::now() + POLL);
            (at, Arc::clone(&h.poke))
        };
        if at > Instant::now() {
            drop(f);
            // Poked: a request held since may have to be asked about sooner.
            tokio::select! {
                () = tokio::time::sleep_until(at.into()) => {}
                () = poke.notified() => {}
            }
            continue;
        }
        let batch = {
            let mut held = f.held();
            let h = held.entry(prefix.clone()).or_default();
            h.waiters.retain(|w| !w.tell.is_closed());
            h.ask_at = None;
            if h.waiters.is_empty() {
                h.polling = false;
                return;
            }
            std::mem::take(&mut h.waiters)
        };
        let mut back = Vec::new();
        let mut wait_ms = POLL.as_millis() as u64;
        let mut chunks = batch.into_iter().peekable();
        while chunks.peek().is_some() {
            let chunk: Vec<Waiter> = chunks.by_ref().take(ASK_AT_MOST).collect();
            let asks: Vec<(&str, u64, u64)> = chunk
                .iter()
                .map(|w| (w.resid.as_str(), w.input, w.output))
                .collect();
            let answer = if f.joined() {
                f.ask(&prefix, &asks).await
            } else {
                None
            };
            let Some((wait, admitted)) = answer else {
                // Lost, or no answer in time: these requests pace locally.
                for w in chunk {
                    let _ = w.tell.send(false);
                }
                continue;
            };
            wait_ms = wait_ms.min(wait);
            for (w, ok) in chunk.into_iter().zip(admitted) {
                if !ok {
                    back.push(w);
                } else if w.tell.send(true).is_err() {
                    // Its client left as it was admitted: the reservation is freed.
                    f.abandon(Ticket {
                        prefix: prefix.clone(),
                        resid: w.resid,
                    });
                }
            }
        }
        let mut held = f.held();
        let h = held.entry(prefix.clone()).or_default();
        h.waiters.extend(back);
        h.ask_by(Instant::now() + Duration::from_millis(wait_ms).min(POLL));
    }
}

/// Every [`BEAT`]: says this member is alive in each of its fleets and reads the fleet
/// view; rejoins when Redis answers again after a loss. Ends with the fleet.
async fn beat(fleet: Weak<Fleet>) {
    let mut tick = tokio::time::interval(BEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(f) = fleet.upgrade() else { return };
        let prefixes: Vec<String> = f
            .prefixes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        let mut conn = f.conn.clone();
        if !f.joined() {
            let ping = tokio::time::timeout(
                CALL_TIMEOUT,
                redis::cmd("PING").query_async::<String>(&mut conn),
            )
            .await;
            if matches!(ping, Ok(Ok(_))) {
                f.answered();
                f.generation.fetch_add(1, Ordering::Relaxed);
            }
            if matches!(ping, Ok(Ok(_))) && !f.up.swap(true, Ordering::Relaxed) {
                f.say(true, format!("rejoined the shared ledger at {}", f.shown));
            }
            continue;
        }
        if prefixes.is_empty() {
            // No fleet joined yet (no request): Redis is still watched, so that this
            // member never believes in a ledger that is gone.
            let ping = tokio::time::timeout(
                CALL_TIMEOUT,
                redis::cmd("PING").query_async::<String>(&mut conn),
            )
            .await;
            match ping {
                Ok(Ok(_)) => f.answered(),
                Ok(Err(e)) if e.is_timeout() => f.no_answer(&reason(&e)),
                Ok(Err(e)) => f.lose(&reason(&e)),
                Err(_) => f.no_answer(&format!("no answer in {} ms", CALL_TIMEOUT.as_millis())),
            }
            continue;
        }
        let mut view = FleetView::default();
        for p in &prefixes {
            let mut inv = f.beat.prepare_invoke();
            inv.arg(p)
                .arg(f.member())
                .arg(&f.member)
                .arg(MEMBER_TTL.as_millis() as u64);
            let Some((alive, flight, n429, mine, total)) =
                f.call::<(u64, u64, u64, u64, u64)>(&inv).await
            else {
                break;
            };
            view.members_alive = view.members_alive.max(alive);
            view.in_flight += flight;
            view.rate_limited += n429;
            view.admitted_here += mine;
            view.admitted_total += total;
        }
        *f.view
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = view;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_never_shown() {
        let c = ShareConfig::new("redis://me:s3cret-pw@10.0.0.5:6380/2", None, false).unwrap();
        assert_eq!(c.shown(), "redis://10.0.0.5:6380");
        assert_eq!(c.redacted(), "redis://me:[REDACTED]@10.0.0.5:6380/2");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(
            redact_url("rediss://:pw@host:6379"),
            "rediss://:[REDACTED]@host:6379"
        );
        assert_eq!(redact_url("redis://pw@host"), "redis://[REDACTED]@host");
        assert_eq!(redact_url("redis://host:1"), "redis://host:1");
        let bad = ShareConfig::new("http://u:pw@host", None, false).unwrap_err();
        assert!(!bad.to_string().contains("pw@"), "{bad}");
        assert!(ShareConfig::new("redis://", None, false).is_err());
    }

    #[test]
    fn the_fleet_is_the_upstream_and_the_key_and_never_holds_the_key() {
        let key = "sk-proj-abcdefghijklmnop";
        let a = fleet_id("https://api.openai.com/v1", key);
        assert_eq!(a, fleet_id("https://api.openai.com/v1/", key));
        assert_ne!(a, fleet_id("https://api.openai.com/v1", "sk-proj-other"));
        assert_ne!(a, fleet_id("https://example.test/v1", key));
        assert_eq!(a.len(), 32);
        for w in key.as_bytes().windows(8) {
            assert!(!a.contains(std::str::from_utf8(w).unwrap()));
        }
        let mut h = HeaderMap::new();
        h.insert("authorization", format!("Bearer {key}").parse().unwrap());
        assert_eq!(api_key(&h, None), key);
        assert_eq!(
            api_key(&HeaderMap::new(), Some("alt=sse&key=AIzaX")),
            "AIzaX"
        );
    }
}
