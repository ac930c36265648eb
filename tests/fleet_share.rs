//! `--pace --share redis://…` (issue #16) against a real `redis-server` on a free loopback
//! port (no persistence, killed at the end) and the built-in emulator: proxies in front of
//! one emulator pace as one fleet; Redis down at start exits 4 with one line unless
//! `--share-fallback local`; a Redis stopped or killed mid-run never stops traffic and is
//! rejoined when it is back; the password never shows, and Redis never holds the API key.
//! Without `redis-server` each test says so and skips (fails under
//! `RATEDOCTOR_REQUIRE_TOOLS=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod proxy_common;

use common::*;
use proxy_common::*;
use ratedoctor::emulator::MockConfig;
use ratedoctor::event::EventKind;
use ratedoctor::limiter::Limits;
use ratedoctor::proxy::ProxyHandle;
use ratedoctor::proxy::share::ShareConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A `redis-server` of the test's own, killed when dropped.
struct Redis {
    child: std::process::Child,
    port: u16,
    args: Vec<String>,
}

/// Whether `tool arg` runs and succeeds.
fn runs(tool: &str, arg: &str) -> bool {
    std::process::Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Redis {
    /// A new server on a free port; `None` (after the skip note) without `redis-server`.
    fn start(what: &str, extra: &[&str]) -> Option<Redis> {
        if !runs("redis-server", "--version") {
            skip::skip(what, "redis-server is not installed");
            return None;
        }
        let args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        Some(Redis::on(free_port(), args))
    }

    fn on(port: u16, args: Vec<String>) -> Redis {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis { child, port, args }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A new server on the same port, with the same options.
    fn restart(&mut self) {
        self.kill();
        *self = Redis::on(self.port, std::mem::take(&mut self.args));
    }

    fn signal(&self, sig: &str) {
        std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
    }

    /// Every key and every value stored, as text.
    fn dump(&self, auth: Option<&str>) -> String {
        let lua = "local out = {} \
            for _, k in ipairs(redis.call('KEYS', '*')) do \
              table.insert(out, k) \
              local t = redis.call('TYPE', k)['ok'] \
              local v \
              if t == 'hash' then v = redis.call('HGETALL', k) \
              elseif t == 'set' then v = redis.call('SMEMBERS', k) \
              elseif t == 'zset' then v = redis.call('ZRANGE', k, 0, -1, 'WITHSCORES') \
              else v = {redis.call('GET', k)} end \
              for _, x in ipairs(v) do table.insert(out, tostring(x)) end \
            end \
            return out";
        let mut c = std::process::Command::new("redis-cli");
        c.args(["-p", &self.port.to_string()]);
        if let Some(a) = auth {
            c.args(["--no-auth-warning", "-a", a]);
        }
        let out = c.args(["EVAL", lua, "0"]).output().expect("redis-cli runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn shared_config(upstream: &str, redis: Option<&str>) -> ratedoctor::proxy::ProxyConfig {
    let mut cfg = config(upstream);
    cfg.pace = true;
    cfg.share = redis.map(|u| ShareConfig::new(u, None, false).unwrap());
    cfg
}

/// `n` calls with key `key` through `base`, all at once; their statuses.
async fn burst(base: &str, key: &'static str, n: usize) -> Vec<u16> {
    let c = client();
    let mut tasks = Vec::new();
    for i in 0..n {
        let (c, base) = (c.clone(), base.to_string());
        tasks.push(tokio::spawn(async move {
            openai(&c, &base, key, &chat_body(&format!("call {i}"), Some(5)))
                .await
                .status
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// Three proxies, each with a burst that alone fits the budget, together over it.
async fn three_bursts(proxies: &[ProxyHandle], each: usize) -> Vec<u16> {
    let runs: Vec<_> = proxies
        .iter()
        .map(|p| tokio::spawn(burst_owned(p.base_url(), each)))
        .collect();
    let mut all = Vec::new();
    for r in runs {
        all.extend(r.await.unwrap());
    }
    all
}

async fn burst_owned(base: String, n: usize) -> Vec<u16> {
    burst(&base, KEY, n).await
}

/// The key prefix of a fleet of direct `Fleet` tests (no proxy: no upstream is called).
fn fleet_prefix(member: &ratedoctor::proxy::share::Fleet) -> String {
    member.prefix(
        "http://127.0.0.1:9",
        ratedoctor::diagnose::Provider::Openai,
        &reqwest::header::HeaderMap::new(),
        None,
    )
}

/// A report of an empty budget of 300 requests a minute: one comes back every 200 ms.
fn empty_budget() -> ratedoctor::headers::Snapshot {
    ratedoctor::headers::parse(
        &[
            ("x-ratelimit-limit-requests", "300"),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "60s"),
        ],
        Some(ratedoctor::diagnose::Provider::Openai),
        None,
    )
}

/// The emulator with `rpm` requests a minute, answering after `latency_ms`.
fn emulator(rpm: u64, latency_ms: u64) -> MockConfig {
    MockConfig {
        limits: Limits {
            rpm: Some(rpm),
            ..Limits::default()
        },
        latency: Duration::from_millis(latency_ms),
        seed: 7,
        ..MockConfig::default()
    }
}

/// 120 a minute (120 at once, then 2 a second); three proxies with 45 calls each, 135 in
/// all. Alone, each proxy's `--pace` believes the whole budget is its own and the three let
/// through what does not fit: 429s. Sharing one Redis, they pace as one: none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_proxies_sharing_redis_pace_as_one() {
    let Some(redis) = Redis::start("three_proxies_sharing_redis_pace_as_one", &[]) else {
        return;
    };
    within(120, async {
        // Without --share: each paces alone.
        let emu = start_with(emulator(120, 200)).await;
        let mut alone = Vec::new();
        for _ in 0..3 {
            alone.push(proxy(shared_config(&emu.base_url(), None)).await.0);
        }
        let statuses = three_bursts(&alone, 45).await;
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert!(refused >= 5, "without --share: {statuses:?}");
        assert!(emu.state()["rate_limited_total"].as_u64().unwrap() >= 5);
        for p in alone {
            p.shutdown().await;
        }

        // With --share: one fleet.
        let emu = start_with(emulator(120, 200)).await;
        let url = redis.url();
        let mut fleet = Vec::new();
        for _ in 0..3 {
            fleet.push(proxy(shared_config(&emu.base_url(), Some(&url))).await.0);
        }
        let t0 = Instant::now();
        let statuses = three_bursts(&fleet, 45).await;
        let took = t0.elapsed().as_secs_f64();
        assert!(
            statuses.iter().all(|s| *s == 200),
            "with --share: {statuses:?}"
        );
        assert_eq!(emu.state()["rate_limited_total"], 0, "{}", emu.state());
        assert_eq!(emu.state()["ok"], 135);
        // The budget allows the last 15 after 7.5 s; pacing should not cost much more.
        assert!(took > 6.0 && took < 15.0, "took {took:.1} s");
        let state = fleet[0].state_json();
        let f = &state["fleet"];
        assert_eq!(f["joined"], true, "{state}");
        assert!(
            fleet
                .iter()
                .all(|p| p.stats().paced > 0 || p.state_json()["fleet"]["admitted_here"] == 45)
        );
        // Every member has had its share; the beat has seen all three alive.
        assert!(
            eventually(3, || fleet[0].state_json()["fleet"]["members_alive"] == 3).await,
            "{}",
            fleet[0].state_json()
        );
        assert!(
            eventually(3, || fleet[0].state_json()["fleet"]["admitted_total"]
                == 135)
            .await,
            "{}",
            fleet[0].state_json()
        );
        // Redis holds no part of the key.
        let stored = redis.dump(None);
        assert!(stored.contains("ratedoctor:fleet:"), "{stored}");
        for w in KEY.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(
                !stored.contains(w),
                "Redis holds {w:?} of the key:\n{stored}"
            );
        }
        for p in fleet {
            p.shutdown().await;
        }
    })
    .await;
}

/// Two fleets (two keys) in one Redis do not hold each other back: each has its own
/// budget in the emulator, and each burst fits it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_keys_are_two_fleets() {
    let Some(redis) = Redis::start("two_keys_are_two_fleets", &[]) else {
        return;
    };
    within(60, async {
        let emu = start_with(emulator(120, 200)).await;
        let url = redis.url();
        let a = proxy(shared_config(&emu.base_url(), Some(&url))).await.0;
        let b = proxy(shared_config(&emu.base_url(), Some(&url))).await.0;
        let (ua, ub) = (a.base_url(), b.base_url());
        let t0 = Instant::now();
        let (x, y) = tokio::join!(
            burst(&ua, "sk-test-fleet-a-000000001", 100),
            burst(&ub, "sk-test-fleet-b-000000002", 100)
        );
        assert!(x.iter().chain(&y).all(|s| *s == 200), "{x:?} {y:?}");
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        assert_eq!(emu.state()["rate_limited_total"], 0);
        assert!(redis.dump(None).matches(":members").count() >= 2);
    })
    .await;
}

/// A Redis that stops answering, then dies, never stops traffic: each request waits at
/// most the bounded call (250 ms) once, the member paces locally, and rejoins when a
/// Redis is back on the port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_redis_never_stops_traffic_and_is_rejoined() {
    let Some(mut redis) = Redis::start(
        "a_lost_redis_never_stops_traffic_and_is_rejoined",
        &["--enable-debug-command", "yes"],
    ) else {
        return;
    };
    within(90, async {
        let emu = start_with(emulator(6000, 20)).await;
        let (p, mut rx) = proxy(shared_config(&emu.base_url(), Some(&redis.url()))).await;
        let p = Arc::new(p);
        let c = client();
        let call = |i: usize| {
            let (c, base) = (c.clone(), p.base_url());
            async move {
                let t = Instant::now();
                let s = openai(&c, &base, KEY, &chat_body(&format!("call {i}"), Some(5)))
                    .await
                    .status;
                (s, t.elapsed())
            }
        };
        let joined = |p: &ProxyHandle| p.state_json()["fleet"]["joined"] == true;
        for i in 0..10 {
            assert_eq!(call(i).await.0, 200);
        }
        assert!(joined(&p));

        // One slow answer (Redis busy for 0.3 s) is asked again, not taken for a loss.
        for i in 0..3 {
            let port = redis.port.to_string();
            let busy = std::thread::spawn(move || {
                std::process::Command::new("redis-cli")
                    .args(["-p", &port, "DEBUG", "SLEEP", "0.3"])
                    .output()
                    .unwrap()
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            let (s, took) = call(100 + i).await;
            assert_eq!(s, 200);
            assert!(took < Duration::from_secs(1), "took {took:?}");
            let out = busy.join().unwrap();
            assert!(out.status.success(), "{out:?}");
        }
        assert!(joined(&p), "{}", p.state_json());
        assert_eq!(p.state_json()["fleet"]["lost"], 0, "{}", p.state_json());

        // Stopped: it holds connections and answers nothing.
        redis.signal("-STOP");
        for i in 10..30 {
            let (s, took) = call(i).await;
            assert_eq!(s, 200);
            assert!(took < Duration::from_secs(1), "call {i} took {took:?}");
        }
        assert!(!joined(&p), "{}", p.state_json());
        redis.signal("-CONT");
        assert!(eventually(10, || joined(&p)).await, "{}", p.state_json());

        // Killed, then a new one on the same port. A second member, idle, finds out by
        // its beat: every member paces locally within a second, and each rejoins.
        let (q, _qrx) = proxy(shared_config(&emu.base_url(), Some(&redis.url()))).await;
        assert!(eventually(5, || joined(&q)).await, "{}", q.state_json());
        redis.kill();
        let lost_at = Instant::now();
        while joined(&q) && lost_at.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let noticed = lost_at.elapsed();
        assert!(
            noticed < Duration::from_millis(1200),
            "the idle member paced with a dead ledger for {noticed:?}"
        );
        for i in 30..60 {
            let (s, took) = call(i).await;
            assert_eq!(s, 200);
            assert!(took < Duration::from_secs(1), "call {i} took {took:?}");
        }
        assert!(!joined(&p), "{}", p.state_json());
        assert!(p.state_json()["fleet"]["lost"].as_u64().unwrap() >= 2);
        redis.restart();
        assert!(eventually(10, || joined(&p)).await, "{}", p.state_json());
        assert!(eventually(10, || joined(&q)).await, "{}", q.state_json());
        for i in 60..70 {
            assert_eq!(call(i).await.0, 200);
        }
        assert!(redis.dump(None).contains(":inflight") || redis.dump(None).contains(":admitted"));
        assert_eq!(emu.state()["ok"], 73);
        // Each loss and rejoin is recorded.
        let events = drain(&mut rx);
        let ledger = |joined| {
            count(
                &events,
                |k| matches!(k, EventKind::Ledger { joined: j, .. } if *j == joined),
            )
        };
        assert_eq!((ledger(false), ledger(true)), (2, 2));
    })
    .await;
}

/// Redis unreachable at start: exit 4 and one line naming it, the password left out;
/// `--share-fallback local` starts anyway and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_redis_at_start_exits_4_unless_fallback_local() {
    if Redis::start(
        "an_unreachable_redis_at_start_exits_4_unless_fallback_local",
        &[],
    )
    .is_none()
    {
        return;
    }
    within(60, async {
        let port = free_port();
        let url = format!("redis://fleet:pw-Hunter2-xyz@127.0.0.1:{port}/0");
        let out = ratedoctor_cmd()
            .args([
                "watch",
                "--no-tui",
                "--listen",
                "127.0.0.1:0",
                "--pace",
                "--share",
                &url,
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with(&format!(
                "ratedoctor: cannot reach the shared ledger at redis://127.0.0.1:{port} ("
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("Hunter2"), "{stderr}");

        let mut w = Child::watch(
            &["--pace", "--share", &url, "--share-fallback", "local"],
            false,
        )
        .await;
        let said = w.stderr.lock().unwrap().join("\n");
        assert!(said.contains("pacing locally"), "{said}");
        assert!(!said.contains("Hunter2"), "{said}");
        w.kill().await;

        // Without --pace, --share (or a fleet-wide RATEDOCTOR_SHARE) is ignored, said once.
        let mut cmd = ratedoctor_cmd();
        cmd.env("RATEDOCTOR_SHARE", &url);
        let mut w = Child::watch_with(cmd, &[]).await;
        let said = w.stderr.lock().unwrap().join("\n");
        assert!(said.contains("RATEDOCTOR_SHARE) ignored"), "{said}");
        assert!(!said.contains("Hunter2"), "{said}");
        w.kill().await;
    })
    .await;
}

/// The password in the URL is never printed, recorded or exported, nor is the API key
/// stored in Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_never_shows() {
    const PW: &str = "pw-Secret-Q7x9z";
    let Some(mut redis) = Redis::start("the_password_never_shows", &["--requirepass", PW]) else {
        return;
    };
    within(60, async {
        let emu = start_with(emulator(120, 200)).await;
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("rec.jsonl");
        let url = format!("redis://default:{PW}@127.0.0.1:{}", redis.port);
        let mut w = Child::watch(
            &[
                "--json",
                "--pace",
                "--share",
                &url,
                "--record",
                record.to_str().unwrap(),
                "--upstream",
                &emu.base_url(),
            ],
            true,
        )
        .await;
        let statuses = burst(&w.url, KEY, 10).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let c = client();
        let state = c
            .get(format!("{}/_ratedoctor/state", w.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let metrics = c
            .get(format!("{}/_ratedoctor/metrics", w.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(state.contains("\"joined\":true"), "{state}");
        assert!(metrics.contains("ratedoctor_fleet_joined 1"), "{metrics}");
        let stored = redis.dump(Some(PW));
        for win in KEY.as_bytes().windows(8) {
            let win = std::str::from_utf8(win).unwrap();
            assert!(!stored.contains(win), "Redis holds {win:?} of the key");
        }
        // Lost mid-run: the warning names the ledger, not the password.
        redis.kill();
        let _ = burst(&w.url, KEY, 3).await;
        assert!(
            eventually(5, || w
                .stderr
                .lock()
                .unwrap()
                .iter()
                .any(|l| l.contains("lost the shared ledger")))
            .await
        );
        std::process::Command::new("kill")
            .args(["-TERM", &w.pid.to_string()])
            .status()
            .unwrap();
        let _ = tokio::time::timeout(Duration::from_secs(10), w.proc.wait()).await;
        let everything = [
            w.stdout.lock().unwrap().join("\n"),
            w.stderr.lock().unwrap().join("\n"),
            std::fs::read_to_string(&record).unwrap_or_default(),
            state,
            metrics,
        ];
        for text in &everything {
            assert!(!text.contains(PW), "the password shows in:\n{text}");
        }
        assert!(
            everything[2].contains(r#""event":"ledger""#),
            "the loss is not recorded:\n{}",
            everything[2]
        );
    })
    .await;
}

/// A member killed with requests in flight: its reservations leave the ledger within
/// seconds (it stops beating), and the others carry on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_member_frees_its_reservations() {
    let Some(redis) = Redis::start("a_killed_member_frees_its_reservations", &[]) else {
        return;
    };
    within(60, async {
        // One fleet by name, over two emulators: the dying member's calls hang for 10 s.
        let slow = start_with(emulator(6000, 10_000)).await;
        let fast = start_with(emulator(6000, 10)).await;
        let url = redis.url();
        let mut dying = Child::watch(
            &[
                "--pace",
                "--share",
                &url,
                "--share-name",
                "t",
                "--upstream",
                &slow.base_url(),
            ],
            false,
        )
        .await;
        let mut cfg = shared_config(&fast.base_url(), None);
        cfg.share = Some(ShareConfig::new(&url, Some("t".into()), false).unwrap());
        let alive = proxy(cfg).await.0;
        let in_flight = || {
            let out = std::process::Command::new("redis-cli")
                .args(["-p", &redis.port.to_string()])
                .args(["HLEN", "ratedoctor:fleet:name:t:openai:inflight"])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
        };
        let base = dying.url.clone();
        let hanging = tokio::spawn(async move { burst(&base, KEY, 5).await });
        assert!(
            eventually(5, || in_flight() == 5).await,
            "in flight: {}",
            in_flight()
        );
        dying.kill().await;
        hanging.abort();
        // The member is dead after 3 s without a beat; the next admission drops its calls.
        let c = client();
        let t0 = Instant::now();
        loop {
            let a = openai(&c, &alive.base_url(), KEY, &chat_body("go on", Some(5))).await;
            assert_eq!(a.status, 200);
            if in_flight() == 0 {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(6),
                "in flight: {}",
                in_flight()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(
            eventually(3, || alive.state_json()["fleet"]["members_alive"] == 1).await,
            "{}",
            alive.state_json()
        );
    })
    .await;
}

/// `rediss://`: TLS through rustls, the server's certificate checked against the roots
/// (here a throwaway CA given by `SSL_CERT_FILE`, made with the openssl command).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_joins_over_tls() {
    let what = "rediss_joins_over_tls";
    if Redis::start(what, &[]).is_none() {
        return;
    }
    if !runs("openssl", "version") {
        skip::skip(what, "the openssl command is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let sh = format!(
        "cd {d} && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca \
         && openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost \
         && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf \
         && openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 1 -extfile ext.cnf"
    );
    let made = std::process::Command::new("sh")
        .args(["-c", &sh])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let port = free_port();
    let args: Vec<String> = [
        "--port",
        "0",
        "--tls-port",
        &port.to_string(),
        "--tls-cert-file",
        &format!("{d}/srv.pem"),
        "--tls-key-file",
        &format!("{d}/srv.key"),
        "--tls-ca-cert-file",
        &format!("{d}/ca.pem"),
        "--tls-auth-clients",
        "no",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let _redis = Redis::on(port, args);
    within(60, async {
        let emu = start_with(emulator(6000, 10)).await;
        let url = format!("rediss://127.0.0.1:{port}");
        let mut cmd = ratedoctor_cmd();
        cmd.env("SSL_CERT_FILE", format!("{d}/ca.pem"));
        let mut w = Child::watch_with(
            cmd,
            &["--pace", "--share", &url, "--upstream", &emu.base_url()],
        )
        .await;
        let statuses = burst(&w.url, KEY, 5).await;
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let state: serde_json::Value = client()
            .get(format!("{}/_ratedoctor/state", w.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(state["fleet"]["joined"], true, "{state}");
        assert_eq!(state["fleet"]["ledger"], url);
        w.kill().await;
    })
    .await;
}

/// The issue's run: three `watch --pace --retry 3 --share` processes, each with its own
/// burst that alone fits and together overshoots: no client sees a 429, at most 1% of the
/// calls are wasted, and `replay` reads each member's recording.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_watch_processes_with_retry_waste_nothing() {
    let Some(redis) = Redis::start("three_watch_processes_with_retry_waste_nothing", &[]) else {
        return;
    };
    within(120, async {
        let emu = start_with(emulator(120, 200)).await;
        let dir = tempfile::tempdir().unwrap();
        let url = redis.url();
        let mut members = Vec::new();
        for i in 0..3 {
            let record = dir.path().join(format!("member{i}.jsonl"));
            let args = [
                "--pace",
                "--retry",
                "3",
                "--share",
                &url,
                "--record",
                record.to_str().unwrap(),
                "--upstream",
                &emu.base_url(),
            ];
            members.push((Child::watch(&args, false).await, record));
        }
        let runs: Vec<_> = members
            .iter()
            .map(|(m, _)| tokio::spawn(burst_owned(m.url.clone(), 45)))
            .collect();
        let mut statuses = Vec::new();
        for r in runs {
            statuses.extend(r.await.unwrap());
        }
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
        let refused = emu.state()["rate_limited_total"].as_u64().unwrap();
        assert!(
            refused <= 1,
            "{refused} calls of 135 were refused and retried"
        );
        for (m, record) in &mut members {
            std::process::Command::new("kill")
                .args(["-TERM", &m.pid.to_string()])
                .status()
                .unwrap();
            let _ = tokio::time::timeout(Duration::from_secs(10), m.proc.wait()).await;
            let out = ratedoctor_cmd()
                .args(["replay", "--json", record.to_str().unwrap()])
                .output()
                .await
                .unwrap();
            assert!(out.status.success(), "{out:?}");
            let text = String::from_utf8_lossy(&out.stdout);
            let n: u64 = text
                .split("\"requests\":")
                .nth(1)
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            assert!((45..=46).contains(&n), "{text}");
        }
    })
    .await;
}

/// The fleet admits held requests in the order they first asked, whichever member holds
/// them (issue #16, "the line of held requests"): a request learns of its turn at its next
/// call (the first ones in the line at once), so none goes more than a moment before one
/// that asked earlier; one whose asker left holds the line up for about a second at most.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_requests_are_admitted_fleet_wide_in_arrival_order() {
    use ratedoctor::proxy::share::Fleet;
    let Some(redis) = Redis::start(
        "held_requests_are_admitted_fleet_wide_in_arrival_order",
        &[],
    ) else {
        return;
    };
    let share = ShareConfig::new(&redis.url(), Some("order".into()), false).unwrap();
    let members = [
        Fleet::join(&share).await.unwrap(),
        Fleet::join(&share).await.unwrap(),
    ];
    let prefix = fleet_prefix(&members[0]);
    // The first call finds the budget empty: 300 a minute, none left, so one request
    // comes back every 200 ms, and all ten are held at once.
    let first = members[0]
        .admit(&prefix, 10.0, 10.0, Duration::from_secs(5))
        .await
        .expect("the first request goes");
    let empty = empty_budget();
    members[0]
        .settle(&first, Some(&empty), false, Instant::now())
        .await;

    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    // A request whose client leaves while it is held, first in the line.
    let gone = {
        let (m, p) = (Arc::clone(&members[1]), prefix.clone());
        tokio::spawn(async move { m.admit(&p, 10.0, 10.0, Duration::from_secs(30)).await })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    gone.abort();
    let start = Instant::now();
    for i in 0..10usize {
        let (m, p, order) = (
            Arc::clone(&members[i % 2]),
            prefix.clone(),
            Arc::clone(&order),
        );
        tasks.push(tokio::spawn(async move {
            let t = m.admit(&p, 10.0, 10.0, Duration::from_secs(30)).await;
            assert!(t.is_some(), "request {i} was not admitted");
            order.lock().unwrap().push((i, Instant::now()));
        }));
        // Each asks for the first time before the next does.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for t in tasks {
        t.await.unwrap();
    }
    let order = order.lock().unwrap().clone();
    let at = |i: usize| order.iter().find(|(j, _)| *j == i).unwrap().1;
    for i in 0..10 {
        for j in i + 1..10 {
            assert!(
                at(i) <= at(j) + Duration::from_millis(250),
                "request {j} went {:?} before request {i}, which asked first: {:?}",
                at(i) - at(j),
                order.iter().map(|(k, _)| k).collect::<Vec<_>>()
            );
        }
    }
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(8),
        "ten requests at 5 a second, behind one that left: {took:?}"
    );
}

/// The fleet's ledger weighs inside Redis, in Lua; the local pacer in Rust. Both run the
/// rules of `src/proxy/rules.rs`: on random budgets and requests, the Lua the ledger's
/// scripts begin with, run by a real Redis, projects every budget and holds every request
/// as the Rust does (to a millionth of a millisecond).
#[test]
fn the_ledger_weighs_in_redis_as_the_local_pacer_does() {
    use proptest::prelude::*;
    use ratedoctor::proxy::rules::{LUA, MARGIN, Reading};
    let Some(redis) = Redis::start("the_ledger_weighs_in_redis_as_the_local_pacer_does", &[])
    else {
        return;
    };
    let script = format!(
        "{LUA}
local g, now = cjson.decode(ARGV[1]), tonumber(ARGV[2])
local out = {{string.format('%.17g', rules_projected(g, now))}}
for _, c in ipairs(cjson.decode(ARGV[3])) do
  table.insert(out, string.format('%.17g', rules_wait(g, c[1], c[2], c[3], now)))
end
return out"
    );
    let con = std::cell::RefCell::new(
        redis::Client::open(redis.url())
            .unwrap()
            .get_connection()
            .unwrap(),
    );
    let now_ms = 1_800_000_000_000u64;
    // A budget: limit, remaining (a share of it), rate (none, per second, per minute, any),
    // ms since the server counted, ms until full (negative: it is); then requests: units,
    // unreported units, margin.
    let budget = (1u32..=1_000_000, 0.0..=1.0f64, 0u8..4, 0.001..2.0f64).prop_flat_map(
        |(limit, share, rate_kind, rate_f)| {
            let limit = f64::from(limit);
            let rate = match rate_kind {
                0 => None,
                1 => Some(limit),
                2 => Some(limit / 60.0),
                _ => Some(limit * rate_f / 60.0),
            };
            (
                Just((limit, (limit * share).floor(), rate)),
                0u64..200_000,
                -5_000i64..120_000,
                proptest::collection::vec(
                    (
                        0.0..=1.3f64,
                        0.0..=1.2f64,
                        prop_oneof![Just(0.0), Just(MARGIN)],
                    ),
                    1..6,
                ),
            )
        },
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(400));
    runner
        .run(
            &budget,
            |((limit, remaining, rate), since, full_in, asks)| {
                let g = serde_json::json!({
                    "limit": limit, "remaining": remaining, "rate": rate.unwrap_or(-1.0),
                    "seen": now_ms - since, "full_at": now_ms as i64 + full_in,
                });
                let asks: Vec<[f64; 3]> = asks
                    .iter()
                    .map(|(n, u, m)| [(n * limit).round(), (u * limit).round(), *m])
                    .collect();
                let got: Vec<String> = redis::cmd("EVAL")
                    .arg(&script)
                    .arg(0)
                    .arg(g.to_string())
                    .arg(now_ms)
                    .arg(serde_json::to_string(&asks).unwrap())
                    .query(&mut *con.borrow_mut())
                    .unwrap();
                let got: Vec<f64> = got.iter().map(|s| s.parse().unwrap()).collect();
                let r = Reading {
                    limit,
                    remaining,
                    rate,
                    since_s: since as f64 / 1000.0,
                    full_in_s: full_in as f64 / 1000.0,
                };
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 + 1e-9 * b.abs();
                prop_assert!(
                    close(got[0], r.projected()),
                    "{g}: projected {} in Lua, {} in Rust",
                    got[0],
                    r.projected()
                );
                for (ask, lua_ms) in asks.iter().zip(&got[1..]) {
                    let rust_ms = r.wait(ask[0], ask[1], ask[2]) * 1000.0;
                    prop_assert!(
                        close(*lua_ms, rust_ms),
                        "{g}, request {ask:?}: wait {lua_ms} ms in Lua, {rust_ms} ms in Rust"
                    );
                }
                Ok(())
            },
        )
        .unwrap();
}

/// A member holding many requests asks the fleet about all of them in one call a poll, not
/// one call per request: 24 requests held behind an empty budget (one back every 200 ms)
/// for about 5 s cost Redis about a call each to ask first and one a poll, not one per
/// request a poll (which made several hundred).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_asks_for_all_its_held_requests_in_one_call() {
    use ratedoctor::proxy::share::Fleet;
    let Some(redis) = Redis::start("a_member_asks_for_all_its_held_requests_in_one_call", &[])
    else {
        return;
    };
    let share = ShareConfig::new(&redis.url(), Some("batch".into()), false).unwrap();
    let member = Fleet::join(&share).await.unwrap();
    let prefix = fleet_prefix(&member);
    let first = member
        .admit(&prefix, 10.0, 10.0, Duration::from_secs(5))
        .await
        .expect("the first request goes");
    let empty = empty_budget();
    member
        .settle(&first, Some(&empty), false, Instant::now())
        .await;
    let calls = || {
        let out = std::process::Command::new("redis-cli")
            .args(["-p", &redis.port.to_string(), "INFO", "commandstats"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_eval:"))
            .filter_map(|l| {
                l.split("calls=")
                    .nth(1)?
                    .split(',')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .sum::<u64>()
    };
    let before = calls();
    let start = Instant::now();
    let n = 24u32;
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (m, p) = (Arc::clone(&member), prefix.clone());
        tasks.push(tokio::spawn(async move {
            m.admit(&p, 10.0, 10.0, Duration::from_secs(30)).await
        }));
    }
    for t in tasks {
        assert!(
            t.await.unwrap().is_some(),
            "a held request was not admitted"
        );
    }
    let took = start.elapsed().as_secs_f64();
    let made = calls() - before;
    // One first ask each, a poll at each chance and at least every 0.1 s, and the beats
    // (every 0.5 s).
    let bound = u64::from(n) + (took / 0.1 * 1.5) as u64 + (took / 0.5) as u64 + 5;
    assert!(
        took > 3.5,
        "the budget let them through too soon: {took:.1} s"
    );
    assert!(
        made <= bound,
        "{made} calls to Redis for {n} requests held {took:.1} s (at most {bound})"
    );
}
