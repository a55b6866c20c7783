//! Socket and context accessors against CPython's `_ssl`, differentially.
//!
//! Context getters, setters and their errors are run on a fresh context of
//! every implementation (CPython, pyssl's Rust API, pyssl's C API) and
//! compared step by step. Socket accessors are compared after handshakes
//! over memory BIOs (see bio_diff.rs for the machinery): pyssl as client
//! against a CPython server and the other way round, pyssl against itself,
//! each against CPython against itself, for TLS 1.2 and 1.3, with and
//! without ALPN, and with session resumption.
//!
//! Modes: pyssl's 3.13/3.14 rules against CPython 3.13 or 3.14, and
//! `PYSSL_COMPAT_3_11` against Debian's /usr/bin/python3.11. One known
//! difference is asserted explicitly instead of compared: Debian's builds
//! leave a new context's `minimum_version` at `MINIMUM_SUPPORTED`, while
//! pyssl keeps TLS 1.2 as the floor in every mode on purpose (README,
//! "CPython versions"); tests/oracle/debian_build.py gives an interpreter of
//! another build Debian's defaults.

mod common;
mod sslobject_common;

use std::path::PathBuf;

use sslobject_common::*;

const CLIENT: i64 = 16;
const SERVER: i64 = 17;
const MINIMUM_SUPPORTED: i64 = -2;
const MAXIMUM_SUPPORTED: i64 = -1;

fn certs() -> CertPaths {
    cert_paths(&common::certs().dir)
}

/// Extra files for the loaders' error cases, made once per test binary.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn get() -> &'static Files {
        static FILES: std::sync::OnceLock<Files> = std::sync::OnceLock::new();
        FILES.get_or_init(|| {
            let dir =
                std::env::temp_dir().join(format!("pyssl-accessors-diff-{}", std::process::id()));
            std::fs::create_dir_all(dir.join("a-directory")).unwrap();
            std::fs::write(dir.join("empty.pem"), b"").unwrap();
            std::fs::write(dir.join("garbage.pem"), b"this is not PEM\n").unwrap();
            let out = std::process::Command::new("openssl")
                .args([
                    "genpkey",
                    "-genparam",
                    "-algorithm",
                    "DH",
                    "-pkeyopt",
                    "dh_param:ffdhe2048",
                    "-out",
                ])
                .arg(dir.join("dh.pem"))
                .output()
                .expect("openssl CLI");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Files { dir }
        })
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }
}

fn new_ctx(protocol: i64) -> Json {
    cmd("ctx_new").with("protocol", protocol)
}

fn get(attr: &str) -> Json {
    cmd("ctx_get").with("attr", attr)
}

fn set(attr: &str, value: impl Into<Json>) -> Json {
    cmd("ctx_set").with("attr", attr).with("value", value)
}

fn call(method: &str, args: Vec<Json>) -> Json {
    cmd("ctx_call")
        .with("method", method)
        .with("args", Json::Arr(args))
}

fn call_repr(method: &str) -> Json {
    call(method, vec![]).with("repr", true)
}

const GETTERS: [&str; 12] = [
    "protocol",
    "options",
    "verify_flags",
    "minimum_version",
    "maximum_version",
    "verify_mode",
    "check_hostname",
    "hostname_checks_common_name",
    "num_tickets",
    "security_level",
    "post_handshake_auth",
    "keylog_filename",
];

/// Every getter, then the statistics and the cipher list (as values and as
/// `repr()`).
fn all_getters() -> Vec<Json> {
    let mut v: Vec<Json> = GETTERS.iter().map(|a| get(a)).collect();
    v.push(call("session_stats", vec![]));
    v.push(call("cert_store_stats", vec![]));
    v.push(call("get_ciphers", vec![]));
    v.push(call_repr("session_stats"));
    v.push(call_repr("cert_store_stats"));
    v.push(call_repr("get_ciphers"));
    v
}

/// One step's result on one implementation (None: not supported there).
fn ctx_run(lab: &Lab, imp: Impl, steps: &[Json]) -> Vec<Option<String>> {
    let name = lab.fresh(&format!("{}-ctx", imp.letter()));
    let peer = lab.peer(imp);
    let mut peer = peer.borrow_mut();
    steps
        .iter()
        .map(|s| {
            let c = s.clone().with("ctx", name.clone());
            peer.supports(&c).then(|| {
                let r = peer.call(&c);
                match s.get("method").and_then(Json::str) {
                    // The cipher list is long: names first (what differs
                    // first), then the full dicts.
                    Some("get_ciphers") if r.ok() && s.get("repr").is_none() => {
                        let names: Vec<Json> = r
                            .result
                            .arr()
                            .unwrap_or(&[])
                            .iter()
                            .map(|d| d.get("name").cloned().unwrap_or(Json::Null))
                            .collect();
                        format!("names {} / dicts {}", Json::Arr(names), r.show())
                    }
                    _ => r.show(),
                }
            })
        })
        .collect()
}

/// Runs the steps on CPython and both pyssl APIs and records every
/// difference. `known` may claim a step (by index) whose difference is
/// expected; it returns false when the expectation does not hold.
fn compare_ctx_steps(
    lab: &Lab,
    what: &str,
    steps: &[Json],
    failures: &mut Failures,
    known: &dyn Fn(usize, &str, &str) -> Option<bool>,
) {
    let py = ctx_run(lab, Impl::Py, steps);
    if std::env::var_os("SSLOBJECT_DIFF_SHOW").is_some() {
        eprintln!("\n== {what}, {}:", lab.mode.name());
        for (step, r) in steps.iter().zip(&py) {
            eprintln!("  {}: {}", describe(step), r.as_deref().unwrap_or("-"));
        }
    }
    for imp in [Impl::Rust, Impl::Capi] {
        let other = ctx_run(lab, imp, steps);
        for (i, step) in steps.iter().enumerate() {
            let (Some(a), Some(b)) = (&py[i], &other[i]) else {
                continue;
            };
            if let Some(ok) = known(i, a, b) {
                if !ok {
                    failures.add(format!(
                        "{what}, {} ({}), {}: step {i} {}: the known difference does not hold\n  Python: {a}\n  pyssl:  {b}",
                        lab.mode.name(),
                        lab.oracle_version(),
                        imp.letter(),
                        describe(step)
                    ));
                }
                continue;
            }
            if a != b {
                failures.add(format!(
                    "{what}, {} ({}), {}: step {i} {}\n  Python: {a}\n  pyssl:  {b}",
                    lab.mode.name(),
                    lab.oracle_version(),
                    imp.letter(),
                    describe(step)
                ));
            }
        }
    }
}

fn no_known(_: usize, _: &str, _: &str) -> Option<bool> {
    None
}

#[test]
fn context_defaults() {
    let mut failures = Failures::default();
    for mode in Mode::ALL {
        let Some(lab) = Lab::new(mode) else {
            continue;
        };
        for protocol in [CLIENT, SERVER] {
            let mut steps = vec![new_ctx(protocol)];
            steps.extend(all_getters());
            let min_step = 1 + GETTERS
                .iter()
                .position(|a| *a == "minimum_version")
                .unwrap();
            // The one deliberate difference: Debian's contexts start at
            // MINIMUM_SUPPORTED, pyssl's at TLS 1.2 in every mode.
            let known = |i: usize, py: &str, pyssl: &str| {
                (i == min_step)
                    .then(|| py == MINIMUM_SUPPORTED.to_string() && pyssl == TLS1_2.to_string())
            };
            compare_ctx_steps(
                &lab,
                &format!("defaults of SSLContext({protocol})"),
                &steps,
                &mut failures,
                &known,
            );
        }
    }
    failures.finish("context_defaults");
}

#[test]
fn context_setters_and_getters() {
    let certs = certs();
    let files = Files::get();
    let keylog = files.path("keylog.txt");
    let mut cases: Vec<(&str, Vec<Json>)> = vec![
        (
            "verify_mode and check_hostname (client)",
            vec![
                new_ctx(CLIENT),
                set("check_hostname", false),
                get("check_hostname"),
                get("verify_mode"),
                set("verify_mode", 0),
                get("verify_mode"),
                set("verify_mode", 1),
                get("verify_mode"),
                set("check_hostname", true),
                get("verify_mode"),
                set("check_hostname", false),
                set("verify_mode", 0),
                set("check_hostname", true),
                get("verify_mode"),
                get("check_hostname"),
            ],
        ),
        (
            "verify_mode and check_hostname (server)",
            vec![
                new_ctx(SERVER),
                get("verify_mode"),
                set("verify_mode", 2),
                get("verify_mode"),
                set("verify_mode", 0),
                set("check_hostname", true),
                get("verify_mode"),
                get("check_hostname"),
            ],
        ),
        (
            "options",
            vec![
                new_ctx(CLIENT),
                set("options", 0i64),
                get("options"),
                set("options", 0x4000i64),
                get("options"),
                set("options", 0x0600_0000i64 | 0x0040_0000),
                get("options"),
            ],
        ),
        (
            "verify_flags",
            vec![
                new_ctx(CLIENT),
                set("verify_flags", 0x8000i64 | 0x20 | 0x80000 | 0x4),
                get("verify_flags"),
                set("verify_flags", 0i64),
                get("verify_flags"),
            ],
        ),
        (
            "minimum_version and maximum_version",
            vec![
                new_ctx(CLIENT),
                set("minimum_version", TLS1_3),
                get("minimum_version"),
                get("maximum_version"),
                set("minimum_version", MINIMUM_SUPPORTED),
                get("minimum_version"),
                set("minimum_version", MAXIMUM_SUPPORTED),
                get("minimum_version"),
                set("minimum_version", 0x301i64),
                get("minimum_version"),
                set("maximum_version", TLS1_2),
                get("maximum_version"),
                set("maximum_version", MINIMUM_SUPPORTED),
                get("maximum_version"),
                set("maximum_version", MAXIMUM_SUPPORTED),
                get("maximum_version"),
                set("maximum_version", 0x300i64),
                get("maximum_version"),
                get("options"),
            ],
        ),
        (
            "hostname_checks_common_name, post_handshake_auth, num_tickets",
            vec![
                new_ctx(SERVER),
                set("hostname_checks_common_name", false),
                get("hostname_checks_common_name"),
                set("hostname_checks_common_name", true),
                get("hostname_checks_common_name"),
                set("post_handshake_auth", true),
                get("post_handshake_auth"),
                set("num_tickets", 0i64),
                get("num_tickets"),
                set("num_tickets", 5i64),
                get("num_tickets"),
            ],
        ),
        (
            "set_ciphers, security_level, get_ciphers",
            vec![
                new_ctx(CLIENT),
                call("set_ciphers", vec!["ECDHE+AESGCM".into()]),
                call("get_ciphers", vec![]),
                get("security_level"),
                call("set_ciphers", vec!["DEFAULT:@SECLEVEL=1".into()]),
                get("security_level"),
                call("get_ciphers", vec![]),
                call_repr("get_ciphers"),
                call("set_ciphers", vec!["AES128-SHA:@SECLEVEL=0".into()]),
                get("security_level"),
                call("get_ciphers", vec![]),
            ],
        ),
        (
            "keylog_filename, set_ecdh_curve, load_dh_params",
            vec![
                new_ctx(SERVER),
                set("keylog_filename", keylog.as_str()),
                get("keylog_filename"),
                set("keylog_filename", Json::Null),
                get("keylog_filename"),
                call("set_ecdh_curve", vec!["prime256v1".into()]),
                call("set_ecdh_curve", vec!["secp384r1".into()]),
                call("load_dh_params", vec![files.path("dh.pem").into()]),
            ],
        ),
        (
            "cert_store_stats",
            vec![
                new_ctx(CLIENT),
                call("load_verify_locations", vec![certs.ca.as_str().into()]),
                call("cert_store_stats", vec![]),
                call(
                    "load_verify_locations",
                    vec![certs.server_cert.as_str().into()],
                ),
                call("cert_store_stats", vec![]),
                call("load_verify_locations", vec![certs.ca.as_str().into()]),
                call("cert_store_stats", vec![]),
                call_repr("cert_store_stats"),
            ],
        ),
    ];
    // post_handshake_auth on a client context as well.
    cases.push((
        "post_handshake_auth (client)",
        vec![
            new_ctx(CLIENT),
            set("post_handshake_auth", true),
            get("post_handshake_auth"),
        ],
    ));
    let mut failures = Failures::default();
    for mode in Mode::ALL {
        let Some(lab) = Lab::new(mode) else {
            continue;
        };
        for (what, steps) in &cases {
            compare_ctx_steps(&lab, what, steps, &mut failures, &no_known);
        }
    }
    let _ = std::fs::remove_file(&keylog);
    failures.finish("context_setters_and_getters");
}

#[test]
fn context_setter_errors() {
    let certs = certs();
    let files = Files::get();
    let missing = "/nonexistent-pyssl-dir/file.pem".to_owned();
    let s = |v: &str| Json::from(v);
    let cases: Vec<(i64, Vec<Json>)> = vec![
        (CLIENT, vec![call("set_ciphers", vec![s("nonsense")])]),
        (CLIENT, vec![call("set_ciphers", vec![s("")])]),
        (CLIENT, vec![set("num_tickets", 2i64)]),
        (SERVER, vec![set("num_tickets", -1i64)]),
        (CLIENT, vec![set("verify_mode", 5)]),
        (CLIENT, vec![set("verify_mode", -1)]),
        (SERVER, vec![set("verify_mode", 3)]),
        (CLIENT, vec![set("verify_mode", 0)]),
        (CLIENT, vec![set("minimum_version", 0x200i64)]),
        (CLIENT, vec![set("minimum_version", 9999i64)]),
        (CLIENT, vec![set("minimum_version", -3i64)]),
        (SERVER, vec![set("maximum_version", 0x200i64)]),
        (SERVER, vec![set("maximum_version", 9999i64)]),
        (SERVER, vec![call("set_ecdh_curve", vec![s("nonsense")])]),
        (SERVER, vec![call("set_ecdh_curve", vec![s("")])]),
        (SERVER, vec![call("load_dh_params", vec![s(&missing)])]),
        (SERVER, vec![call("load_dh_params", vec![s(&certs.ca)])]),
        (
            SERVER,
            vec![call("load_dh_params", vec![s(&files.path("empty.pem"))])],
        ),
        (
            SERVER,
            vec![call("load_dh_params", vec![s(&files.path("garbage.pem"))])],
        ),
        (
            SERVER,
            vec![call("load_dh_params", vec![s(&files.path("a-directory"))])],
        ),
        (SERVER, vec![set("keylog_filename", missing.as_str())]),
        (
            SERVER,
            vec![set("keylog_filename", files.path("a-directory"))],
        ),
        (
            CLIENT,
            vec![call("load_verify_locations", vec![s(&missing)])],
        ),
        (
            CLIENT,
            vec![call(
                "load_verify_locations",
                vec![s(&files.path("garbage.pem"))],
            )],
        ),
        (
            CLIENT,
            vec![call(
                "load_verify_locations",
                vec![s(&files.path("empty.pem"))],
            )],
        ),
        (SERVER, vec![call("load_cert_chain", vec![s(&missing)])]),
        (SERVER, vec![call("load_cert_chain", vec![s(&certs.ca)])]),
        (
            SERVER,
            vec![call(
                "load_cert_chain",
                vec![s(&certs.server_cert), s(&certs.client_key)],
            )],
        ),
        (
            SERVER,
            vec![call("load_cert_chain", vec![s(&files.path("garbage.pem"))])],
        ),
    ];
    let mut failures = Failures::default();
    for mode in Mode::ALL {
        let Some(lab) = Lab::new(mode) else {
            continue;
        };
        for (protocol, case) in &cases {
            let mut steps = vec![new_ctx(*protocol)];
            steps.extend(case.iter().cloned());
            // The context afterwards: a failed setter changes nothing.
            steps.extend(
                [
                    "verify_mode",
                    "check_hostname",
                    "minimum_version",
                    "maximum_version",
                    "num_tickets",
                ]
                .map(get),
            );
            let what = format!("SSLContext({protocol}): {}", describe(&case[0]));
            // The minimum_version default is the known difference asserted
            // in context_defaults; compare the other steps here.
            let min_step = steps.len() - 3;
            let known = |i: usize, py: &str, pyssl: &str| {
                (i == min_step && py != pyssl)
                    .then(|| py == MINIMUM_SUPPORTED.to_string() && pyssl == TLS1_2.to_string())
            };
            compare_ctx_steps(&lab, &what, &steps, &mut failures, &known);
        }
    }
    failures.finish("context_setter_errors");
}

// ---------------------------------------------------------------- sockets

/// An info dict with the random parts replaced: the channel binding by its
/// length, and shared_ciphers sorted (compared as a set).
fn normalized_info(v: &Json) -> String {
    let Json::Obj(items) = v else {
        return v.dump();
    };
    let items = items
        .iter()
        .map(|(k, x)| {
            let x = match (k.as_str(), x) {
                ("channel_binding", x) if x.bytes().is_some() => {
                    Json::Obj(vec![("len".into(), x.bytes().unwrap().len().into())])
                }
                ("shared_ciphers", Json::Arr(list)) => {
                    let mut list = list.clone();
                    list.sort_by_key(Json::dump);
                    Json::Obj(vec![("set".into(), Json::Arr(list))])
                }
                _ => x.clone(),
            };
            (k.clone(), x)
        })
        .collect();
    Json::Obj(items).dump()
}

/// Logs a side's accessors; `shared_ciphers()` on a line of its own, so
/// that a difference there does not hide one in the others.
fn log_info(c: &mut Conn, side: usize, when: &str) -> Json {
    let r = c.raw(side, cmd("info"));
    let s = if side == C { "C" } else { "S" };
    let Json::Obj(items) = &r.result else {
        panic!("info: {}", r.show());
    };
    let (shared, rest): (Vec<_>, Vec<_>) = items
        .iter()
        .cloned()
        .partition(|(k, _)| k == "shared_ciphers");
    c.note(format!(
        "{s} info {when}: {}",
        normalized_info(&Json::Obj(rest))
    ));
    c.note(format!(
        "{s} shared_ciphers {when}: {}",
        normalized_info(&Json::Obj(shared))
    ));
    r.result
}

/// Logs both sides' accessors and whether their tls-unique bindings match.
fn log_both(c: &mut Conn, when: &str) {
    let a = log_info(c, C, when);
    let b = log_info(c, S, when);
    let (x, y) = (a.get("channel_binding"), b.get("channel_binding"));
    c.note(format!(
        "tls-unique {when}: client's == server's: {}, both None: {}",
        x == y,
        x == Some(&Json::Null) && y == Some(&Json::Null)
    ));
}

fn run(name: &str, cfgs: &[(String, Cfg)], scenario: fn(&mut Conn)) {
    run_scenarios(name, &certs(), cfgs, scenario);
}

/// Accessors before and after the handshake, and after the client has
/// read the server's session tickets.
fn accessors(c: &mut Conn) {
    log_both(c, "before the handshake");
    c.op(C, cmd("channel_binding").with("cb_type", "tls-unique"));
    c.op(
        C,
        cmd("channel_binding").with("cb_type", "tls-server-end-point"),
    );
    c.op(S, cmd("channel_binding").with("cb_type", "nonsense"));
    assert!(c.handshake(), "handshake failed:\n{}", c.log.join("\n"));
    log_both(c, "after the handshake");
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    log_both(c, "after the session tickets");
    c.op_len(C, cmd("write").with("data", hex(b"pending data")));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 3));
    c.op(S, cmd("pending"));
    log_info(c, S, "with 9 bytes pending");
    c.ctx_op(C, call("session_stats", vec![]));
    c.ctx_op(S, call("session_stats", vec![]));
}

fn alpn_cfgs() -> Vec<(String, Cfg)> {
    type Protos = Option<Vec<&'static str>>;
    let alpn: [(&str, Protos, Protos); 5] = [
        ("no ALPN", None, None),
        (
            "ALPN overlap",
            Some(vec!["h2", "http/1.1"]),
            Some(vec!["spdy/3", "http/1.1", "h2"]),
        ),
        (
            "ALPN without overlap",
            Some(vec!["h2"]),
            Some(vec!["http/1.1"]),
        ),
        ("ALPN on the client only", Some(vec!["h2"]), None),
        ("ALPN on the server only", None, Some(vec!["h2"])),
    ];
    // A client offering two TLS 1.2 suites, in the opposite order of the
    // server's preference: shared_ciphers() shows the intersection.
    let mut v = vec![(
        "TLS 1.2, client offers two ciphers".to_owned(),
        Cfg {
            client_ciphers: Some("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"),
            ..Cfg::tls12()
        },
    )];
    for (tls, base) in [("TLS 1.3", Cfg::default()), ("TLS 1.2", Cfg::tls12())] {
        for (name, client, server) in &alpn {
            v.push((
                format!("{tls}, {name}"),
                Cfg {
                    client_alpn: client.clone(),
                    server_alpn: server.clone(),
                    ..base.clone()
                },
            ));
        }
    }
    v
}

#[test]
fn socket_accessors_after_handshake() {
    run("socket accessors", &alpn_cfgs(), accessors);
}

/// Session resumption: a full handshake, then a second connection resuming
/// the client's session; the `session` / `session_reused` accessors, the
/// statistics, and the errors of setting a session where CPython refuses.
fn resumption(c: &mut Conn) {
    let s1 = format!("{}-first", c.ctx[C]);
    let s2 = format!("{}-second", c.ctx[C]);
    let ss = format!("{}-server", c.ctx[S]);
    log_both(c, "first connection, before the handshake");
    c.op(C, cmd("get_session").with("session", s1.clone()));
    assert!(c.handshake(), "handshake failed:\n{}", c.log.join("\n"));
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    log_both(c, "first connection, after the handshake");
    c.op(C, cmd("get_session").with("session", s1.clone()));
    c.op(C, cmd("session_info").with("session", s1.clone()));
    c.op(S, cmd("get_session").with("session", ss.clone()));
    c.op(C, cmd("set_session").with("session", s1.clone()));
    c.op(S, cmd("set_session").with("session", ss.clone()));
    c.op(C, cmd("unwrap"));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
    c.op(S, cmd("unwrap"));
    c.deliver(C);
    c.op(C, cmd("unwrap"));

    c.wrap(Some(&s1));
    log_both(c, "second connection, before the handshake");
    assert!(
        c.handshake(),
        "resumed handshake failed:\n{}",
        c.log.join("\n")
    );
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    log_both(c, "second connection, after the handshake");
    c.op(C, cmd("get_session").with("session", s2.clone()));
    c.op(C, cmd("session_info").with("session", s2.clone()));
    c.ctx_op(C, call("session_stats", vec![]));
    c.ctx_op(S, call("session_stats", vec![]));

    // A third connection resuming the first session again, set after
    // wrapping (SSLSocket.session = ...).
    c.wrap(None);
    c.op(C, cmd("set_session").with("session", s1.clone()));
    assert!(
        c.handshake(),
        "resumed handshake failed:\n{}",
        c.log.join("\n")
    );
    log_both(c, "third connection, after the handshake");
    c.ctx_op(S, call("session_stats", vec![]));
}

#[test]
fn session_resumption() {
    let cfgs = vec![
        ("TLS 1.3".to_owned(), Cfg::default()),
        ("TLS 1.2".to_owned(), Cfg::tls12()),
    ];
    run("session resumption", &cfgs, resumption);
}

/// A session from another client context is refused.
fn foreign_session(c: &mut Conn) {
    let s1 = format!("{}-first", c.ctx[C]);
    assert!(c.handshake(), "handshake failed:\n{}", c.log.join("\n"));
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op(C, cmd("get_session").with("session", s1.clone()));
    c.renew_client_ctx();
    c.wrap(Some(&s1));
    c.wrap(None);
    c.op(C, cmd("set_session").with("session", s1.clone()));
    log_both(c, "other context, before the handshake");
}

#[test]
fn session_from_another_context() {
    run(
        "foreign session",
        &[("TLS 1.3".to_owned(), Cfg::default())],
        foreign_session,
    );
}
