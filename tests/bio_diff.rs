//! Memory-BIO sockets (`SSLObject`) against CPython's `_ssl`, differentially.
//!
//! Every scenario drives a client and a server object over memory BIOs,
//! pumping the TLS bytes between them by hand, and writes down what each
//! call returned or raised (exception class, `str()` without the
//! `(_ssl.c:NNN)` / `(file.rs:NNN)` location, errno, library, reason) and
//! whether it produced output. The transcript of CPython against CPython
//! is the reference; the same scenario run pyssl against CPython (both
//! directions, Rust API and C API) and pyssl against pyssl must give the
//! same transcript.
//!
//! Modes: pyssl's default against CPython 3.13, and `PYSSL_COMPAT_3_11`
//! against Debian's /usr/bin/python3.11. A missing oracle skips its mode
//! with a notice.

mod common;
mod sslobject_common;

use sslobject_common::*;

fn certs() -> CertPaths {
    cert_paths(&common::certs().dir)
}

type Scenario = fn(&mut Conn);

fn tls_cfgs() -> Vec<(&'static str, Cfg)> {
    vec![("TLS 1.3", Cfg::default()), ("TLS 1.2", Cfg::tls12())]
}

fn run(name: &str, cfgs: &[(&'static str, Cfg)], scenario: Scenario) {
    run_scenarios(name, &certs(), cfgs, scenario);
}

/// `version()` and `cipher()` (accessors every peer has; the full set is
/// compared in accessors_diff.rs).
fn log_info(c: &mut Conn, side: usize) {
    let r = c.raw(side, cmd("info"));
    let pick = |k: &str| r.result.get(k).cloned().unwrap_or(Json::Null);
    c.note(format!(
        "{} version={} cipher={} pending={}",
        if side == C { "C" } else { "S" },
        pick("version"),
        pick("cipher"),
        pick("pending")
    ));
}

/// The handshake with the client's flight held back in its outgoing BIO,
/// and the server's first flight delivered in three pieces: every call in
/// between wants more (`SSLWantReadError`, "The operation did not complete
/// (read)").
fn handshake_round_trips(c: &mut Conn) {
    log_info(c, C);
    c.op(S, cmd("read").with("n", 1024));
    c.op(S, cmd("handshake"));
    c.op_len(C, cmd("handshake").with("drain", false));
    c.op(C, cmd("bio"));
    c.deliver(S);
    c.op(S, cmd("handshake"));
    c.deliver_first(C, 1);
    c.op(C, cmd("handshake"));
    c.deliver_all_but(C, 1);
    c.op(C, cmd("handshake"));
    c.deliver(C);
    c.handshake();
    c.op(C, cmd("handshake"));
    c.op(S, cmd("handshake"));
    log_info(c, C);
    log_info(c, S);
}

#[test]
fn handshake_needs_several_round_trips() {
    run("handshake_round_trips", &tls_cfgs(), handshake_round_trips);
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Small and large records both ways, partial reads and `pending()`.
fn data_both_ways(c: &mut Conn) {
    c.handshake();
    c.op_len(C, cmd("write").with("data", hex(b"hello")));
    c.deliver(S);
    c.op(S, cmd("pending"));
    c.op(S, cmd("read").with("n", 1024));
    c.op(S, cmd("read").with("n", 1024));
    c.op(C, cmd("read").with("n", 5));
    c.deliver(C);
    c.op(C, cmd("read").with("n", 5));
    c.op_len(S, cmd("write").with("data", hex(b"0123456789")));
    c.deliver(C);
    c.op(C, cmd("read").with("n", 4));
    c.op(C, cmd("pending"));
    c.op(C, cmd("read").with("n", 100));
    c.op(C, cmd("read").with("n", 100));
    c.op(C, cmd("read").with("n", 0));
    let big = pattern(100_000, 7);
    c.op_len(S, cmd("write").with("data", hex(&big)));
    let (got, _) = c.read_all(C, 65536);
    c.note(format!(
        "C received the 100000 bytes intact: {}",
        got == big
    ));
    let big2 = pattern(40_000, 3);
    c.op_len(C, cmd("write").with("data", hex(&big2)));
    let (got, _) = c.read_all(S, 5000);
    c.note(format!(
        "S received the 40000 bytes intact: {}",
        got == big2
    ));
    c.op_len(C, cmd("write").with("data", ""));
    c.op(S, cmd("read").with("n", 10));
}

#[test]
fn data_both_ways_including_large_writes() {
    run("data_both_ways", &tls_cfgs(), data_both_ways);
}

/// close_notify both ways: the first unwrap waits for the peer's, the peer
/// reads the data sent before it and then b'', answers, and reads after
/// that raise `SSLZeroReturnError`.
fn close_notify(c: &mut Conn) {
    c.handshake();
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op_len(C, cmd("write").with("data", hex(b"bye")));
    c.op_len(C, cmd("unwrap"));
    c.op(C, cmd("unwrap"));
    c.op(C, cmd("bio"));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("pending"));
    c.op_len(S, cmd("write").with("data", hex(b"late")));
    c.op_len(S, cmd("unwrap"));
    c.op(S, cmd("unwrap"));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("write").with("data", hex(b"x")));
    c.deliver(C);
    c.op(C, cmd("read").with("n", 100));
    c.op(C, cmd("unwrap"));
    c.op(C, cmd("read").with("n", 100));
    c.op(C, cmd("write").with("data", hex(b"x")));
    c.op(C, cmd("handshake"));
}

#[test]
fn close_notify_both_sides() {
    run("close_notify", &tls_cfgs(), close_notify);
}

/// The server unwraps first, before the client has read anything.
fn server_unwraps_first(c: &mut Conn) {
    c.handshake();
    c.op_len(S, cmd("write").with("data", hex(b"data before close")));
    c.op_len(S, cmd("unwrap"));
    c.deliver(C);
    c.op(C, cmd("pending"));
    c.op(C, cmd("read").with("n", 4));
    c.op(C, cmd("read").with("n", 100));
    c.op(C, cmd("read").with("n", 100));
    c.op_len(C, cmd("unwrap"));
    c.deliver(S);
    c.op(S, cmd("unwrap"));
    c.op(S, cmd("read").with("n", 1));
}

#[test]
fn close_notify_server_first() {
    run("server_unwraps_first", &tls_cfgs(), server_unwraps_first);
}

/// The transport ends (`write_eof`) without a close_notify after data:
/// `SSLEOFError` in the default mode, b'' in 3.11 mode.
fn eof_after_data(c: &mut Conn) {
    c.handshake();
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op_len(C, cmd("write").with("data", hex(b"abc")));
    c.deliver(S);
    c.op(S, cmd("write_eof"));
    c.op(S, cmd("bio"));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("bio"));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("pending"));
    c.op(S, cmd("write").with("data", hex(b"x")));
    c.op(S, cmd("unwrap"));
    c.op(S, cmd("unwrap"));
}

#[test]
fn eof_without_close_notify() {
    run("eof_after_data", &tls_cfgs(), eof_after_data);
}

/// EOF in the middle of a record.
fn eof_mid_record(c: &mut Conn) {
    c.handshake();
    c.op_len(C, cmd("write").with("data", hex(b"abcdef")));
    c.deliver_all_but(S, 3);
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("write_eof"));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("read").with("n", 100));
    c.op(S, cmd("unwrap"));
}

#[test]
fn eof_in_the_middle_of_a_record() {
    run("eof_mid_record", &tls_cfgs(), eof_mid_record);
}

/// EOF before anything arrived, on both sides.
fn eof_before_handshake(c: &mut Conn) {
    c.op(S, cmd("write_eof"));
    c.op(S, cmd("handshake"));
    c.op(S, cmd("handshake"));
    c.op(S, cmd("read").with("n", 10));
    c.discard(C);
    c.op(C, cmd("handshake"));
    c.discard(S);
    c.op(C, cmd("write_eof"));
    c.op(C, cmd("handshake"));
    c.op(C, cmd("read").with("n", 10));
    c.op(C, cmd("unwrap"));
}

/// EOF in the middle of the server's first flight (client side) and while
/// the server waits for the client's last flight.
fn eof_mid_handshake(c: &mut Conn) {
    c.op(C, cmd("handshake"));
    c.deliver(S);
    c.op(S, cmd("handshake"));
    c.deliver_all_but(C, 10);
    c.op(C, cmd("handshake"));
    c.op(C, cmd("write_eof"));
    c.op(C, cmd("handshake"));
    c.op(C, cmd("handshake"));
    c.op(C, cmd("write").with("data", hex(b"x")));
    c.discard(S);
    c.op(S, cmd("write_eof"));
    c.op(S, cmd("handshake"));
    c.op(S, cmd("read").with("n", 10));
}

#[test]
fn eof_while_handshaking() {
    run("eof_before_handshake", &tls_cfgs(), eof_before_handshake);
    run("eof_mid_handshake", &tls_cfgs(), eof_mid_handshake);
}

/// unwrap while application data is still unread, and both sides closing
/// at the same time.
fn unwrap_with_unread_data(c: &mut Conn) {
    c.handshake();
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op_len(S, cmd("write").with("data", hex(b"unread data")));
    c.op_len(S, cmd("unwrap"));
    c.deliver(C);
    c.op(C, cmd("pending"));
    c.op_len(C, cmd("unwrap"));
    c.op(C, cmd("read").with("n", 10));
    c.deliver(S);
    c.op(S, cmd("unwrap"));
}

fn simultaneous_unwrap(c: &mut Conn) {
    c.handshake();
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op_len(C, cmd("unwrap"));
    c.op_len(S, cmd("unwrap"));
    c.deliver(S);
    c.deliver(C);
    c.op(S, cmd("unwrap"));
    c.op(C, cmd("unwrap"));
    c.op(S, cmd("read").with("n", 10));
    c.op(C, cmd("read").with("n", 10));
}

#[test]
fn unwrap_races() {
    run(
        "unwrap_with_unread_data",
        &tls_cfgs(),
        unwrap_with_unread_data,
    );
    run("simultaneous_unwrap", &tls_cfgs(), simultaneous_unwrap);
}

/// A handshake that fails certificate verification or client
/// authentication: the exception (with verify_code and verify_message),
/// the alert, and what both sides see afterwards.
fn failing_handshake(c: &mut Conn) {
    c.handshake();
    c.deliver(S);
    c.op(S, cmd("handshake"));
    c.op(S, cmd("read").with("n", 10));
    c.deliver(C);
    c.op(C, cmd("handshake"));
    c.op(C, cmd("read").with("n", 10));
    c.op(C, cmd("unwrap"));
}

#[test]
fn certificate_failures_in_the_handshake() {
    let with = |f: fn(&mut Cfg)| {
        let mut v = tls_cfgs();
        for (_, cfg) in &mut v {
            f(cfg);
        }
        v
    };
    run(
        "hostname mismatch",
        &with(|c| c.hostname = Some("example.com")),
        failing_handshake,
    );
    run(
        "IP address mismatch",
        &with(|c| c.hostname = Some("127.0.0.2")),
        failing_handshake,
    );
    run(
        "untrusted server",
        &with(|c| c.client_trusts_self_signed = true),
        failing_handshake,
    );
    run(
        "client certificate missing",
        &with(|c| c.server_verify_mode = Some(2)),
        failing_handshake,
    );
    run(
        "client certificate given",
        &with(|c| {
            c.server_verify_mode = Some(2);
            c.client_cert = true;
        }),
        failing_handshake,
    );
    run(
        "client certificate optional",
        &with(|c| c.server_verify_mode = Some(1)),
        failing_handshake,
    );
}

/// TLS 1.3 post-handshake client authentication.
fn post_handshake_auth(c: &mut Conn) {
    c.handshake();
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op(S, cmd("verify_client_post_handshake"));
    c.op(S, cmd("verify_client_post_handshake"));
    c.op(C, cmd("verify_client_post_handshake"));
    c.op_len(S, cmd("write").with("data", hex(b"ping")));
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
    c.op_len(C, cmd("write").with("data", hex(b"pong")));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
}

#[test]
fn post_handshake_authentication() {
    let pha = Cfg {
        post_handshake_auth: true,
        client_cert: true,
        server_verify_mode: Some(2),
        ..Cfg::default()
    };
    let no_cert = Cfg {
        client_cert: false,
        ..pha.clone()
    };
    let tls12 = Cfg {
        max_version: Some(TLS1_2),
        ..pha.clone()
    };
    let off = Cfg {
        client_cert: true,
        server_verify_mode: Some(2),
        ..Cfg::default()
    };
    run(
        "post_handshake_auth",
        &[
            ("TLS 1.3, client certificate", pha),
            ("TLS 1.3, no client certificate", no_cert),
            ("TLS 1.2", tls12),
            ("TLS 1.3, not enabled", off),
        ],
        post_handshake_auth,
    );
}

/// Bytes that are not TLS fed to a server.
fn garbage_to_server(c: &mut Conn) {
    c.feed(S, b"GET / HTTP/1.0\r\n\r\n", "an HTTP request");
    c.op(S, cmd("handshake"));
    c.op(S, cmd("handshake"));
    c.op(S, cmd("read").with("n", 10));
    c.op(S, cmd("unwrap"));
}

/// Junk, then an alert, fed to clients during the handshake.
fn garbage_to_client(c: &mut Conn) {
    c.op(C, cmd("handshake"));
    c.feed(C, &[0xff; 16], "16 bytes of 0xff");
    c.op(C, cmd("handshake"));
    c.op(C, cmd("handshake"));
    c.op(C, cmd("write").with("data", hex(b"x")));
    c.op(C, cmd("unwrap"));
}

fn alert_to_client(c: &mut Conn) {
    c.op(C, cmd("handshake"));
    c.feed(
        C,
        &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28],
        "a handshake_failure alert",
    );
    c.op(C, cmd("handshake"));
    c.op(C, cmd("read").with("n", 10));
}

/// A forged application-data record after the handshake: a bad record MAC
/// on the receiver, an alert to the sender.
fn garbage_after_handshake(c: &mut Conn) {
    c.handshake();
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    let mut rec = vec![0x17, 0x03, 0x03, 0x00, 0x20];
    rec.extend_from_slice(&[0u8; 32]);
    c.feed(C, &rec, "a forged record");
    c.op_len(C, cmd("read").with("n", 10));
    c.op(C, cmd("read").with("n", 10));
    c.op(C, cmd("write").with("data", hex(b"x")));
    c.op(C, cmd("unwrap"));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
    c.op(S, cmd("read").with("n", 10));
    c.op(S, cmd("unwrap"));
}

#[test]
fn garbage_bytes() {
    run(
        "garbage_to_server",
        &[("TLS 1.3", Cfg::default())],
        garbage_to_server,
    );
    run("garbage_to_client", &tls_cfgs(), garbage_to_client);
    run("alert_to_client", &tls_cfgs(), alert_to_client);
    run(
        "garbage_after_handshake",
        &tls_cfgs(),
        garbage_after_handshake,
    );
}

/// MemoryBIO bookkeeping: pending and eof of both BIOs, and a write after
/// `write_eof` (`SSLError`, "cannot write() after write_eof()").
fn memory_bio(c: &mut Conn) {
    c.op(C, cmd("bio"));
    c.op(C, cmd("handshake").with("drain", false));
    c.op(C, cmd("bio"));
    c.op(C, cmd("bio"));
    c.handshake();
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op(
        C,
        cmd("write")
            .with("data", hex(b"abcdef"))
            .with("drain", false),
    );
    c.op(C, cmd("bio"));
    c.deliver(S);
    c.op(S, cmd("bio"));
    c.op(S, cmd("write_eof"));
    c.op(S, cmd("bio"));
    c.op(S, cmd("read").with("n", 3));
    c.op(S, cmd("bio"));
    c.op(S, cmd("read").with("n", 100));
    c.feed(S, b"\x00", "one byte after write_eof");
    c.feed(S, b"", "nothing after write_eof");
    c.op(S, cmd("write_eof"));
    c.op(S, cmd("bio"));
    c.op(S, cmd("read").with("n", 100));
}

#[test]
fn memory_bio_pending_eof_and_write_after_eof() {
    run("memory_bio", &[("TLS 1.3", Cfg::default())], memory_bio);
}

/// Calls before the handshake: read and write start it, unwrap refuses
/// (SHUTDOWN_WHILE_IN_INIT) without breaking the connection.
fn before_handshake(c: &mut Conn) {
    c.op(C, cmd("pending"));
    c.op(C, cmd("unwrap"));
    c.op(S, cmd("unwrap"));
    c.op(C, cmd("read").with("n", 10));
    c.op(C, cmd("write").with("data", hex(b"early")));
    c.op(S, cmd("write").with("data", hex(b"early")));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
    c.handshake();
    // The writes refused before the handshake, retried with the same data.
    c.op_len(C, cmd("write").with("data", hex(b"early")));
    c.op_len(S, cmd("write").with("data", hex(b"early")));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
    c.op(S, cmd("read").with("n", 10));
    c.deliver(C);
    c.op(C, cmd("read").with("n", 10));
    c.op(C, cmd("read").with("n", 10));
    c.op_len(C, cmd("write").with("data", hex(b"hi")));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
    c.op_len(C, cmd("unwrap"));
    c.deliver(S);
    c.op(S, cmd("read").with("n", 10));
    c.op_len(S, cmd("unwrap"));
    c.deliver(C);
    c.op(C, cmd("unwrap"));
}

#[test]
fn operations_before_the_handshake() {
    run("before_handshake", &tls_cfgs(), before_handshake);
}
