#!/usr/bin/env python3
"""The differential oracle for pyssl's C tests.

Runs every scenario of the C suite with CPython's own `ssl`/`_ssl` modules
(same certificates, same transports, same peer behaviour, same timeouts) and
writes what CPython produced, one step a line:

    step-id|ClassName|message|errno|library|reason|verify_code|verify_message

`ClassName` is the exception class raised by the step, or `OK` when it
succeeded, with the step's result (a `repr()` or a fixed word) as `message`
and the other fields empty. Absent attributes are written as `None`.
`\\`, `|` and newlines inside fields are escaped as `\\\\`, `\\p` and `\\n`.

The scenarios work at the `_ssl` level (`ctx._wrap_socket()` /
`ctx._wrap_bio()` and the `_SSLSocket` methods), so ssl.py's ragged-EOF
suppression and retry logic cannot hide what `_ssl` does; only the checks
that pyssl takes over from ssl.py (`check_hostname requires
server_hostname`, ...) go through `SSLContext.wrap_socket`.

Usage: ssl_oracle.py CERTDIR OUTFILE
Each step id must match the C test that mirrors it (c-tests/test_*.c).
"""

import gc
import os
import select
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback

import _ssl

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tests/oracle"))
import debian_build  # noqa: E402,F401  contexts as Debian builds them

SHORT = 0.2  # timeouts that are meant to expire
LONG = 5.0  # timeouts that must not expire (they keep a broken peer from hanging)
BIG = 8 * 1024 * 1024  # more than any socket buffer holds

CERTS = None


def cert(name):
    return os.path.join(CERTS, name)


class Failed:
    """Returned by Recorder.call when the step raised."""

    def __repr__(self):
        return "FAILED"


FAILED = Failed()


def opt(v):
    return "None" if v is None else str(v)


def describe(exc):
    return [
        type(exc).__name__,
        str(exc),
        opt(getattr(exc, "errno", None)),
        opt(getattr(exc, "library", None)),
        opt(getattr(exc, "reason", None)),
        opt(getattr(exc, "verify_code", None)),
        opt(getattr(exc, "verify_message", None)),
    ]


def escape(s):
    return s.replace("\\", "\\\\").replace("|", "\\p").replace("\n", "\\n")


def ok(_):
    return "ok"


class Recorder:
    def __init__(self):
        self.lines = []
        self.lock = threading.Lock()

    def put(self, sid, fields):
        with self.lock:
            self.lines.append("|".join([sid] + [escape(f) for f in fields]))

    def value(self, sid, text):
        self.put(sid, ["OK", text, "", "", "", "", ""])

    def call(self, sid, fn, fmt=ok):
        try:
            v = fn()
        except Exception as e:  # every exception is an outcome
            self.put(sid, describe(e))
            return FAILED
        self.value(sid, fmt(v))
        return v


# --- contexts ---------------------------------------------------------------


def client_ctx(ca="ca.pem", certname=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        ctx.load_verify_locations(cert(ca))
    if certname:
        ctx.load_cert_chain(cert(certname + ".pem"), cert(certname + ".key"))
    return ctx


def server_ctx(certname="server", verify=ssl.CERT_NONE, ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert(certname + ".pem"), cert(certname + ".key"))
    if ca:
        ctx.load_verify_locations(cert(ca))
    ctx.verify_mode = verify
    return ctx


# --- transports and two-sided scenarios -------------------------------------


class Events:
    """Numbered one-shot events between the two sides (as the C harness)."""

    def __init__(self):
        self.ev = [threading.Event() for _ in range(8)]

    def set(self, k):
        self.ev[k].set()

    def wait(self, k):
        if not self.ev[k].wait(15):
            raise RuntimeError("peer event %d never came" % k)


def connected_pair(tcp):
    if not tcp:
        return socket.socketpair()
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    c = socket.create_connection(lst.getsockname())
    s, _ = lst.accept()
    lst.close()
    return c, s


def run_pair(rec, name, client, server, tcp=False):
    """Runs server(sock, ev) in a thread and client(sock, ev) here."""
    c, s = connected_pair(tcp)
    ev = Events()

    def guarded(fn, sock, side):
        try:
            fn(sock, ev)
        except Exception:
            rec.put(name + "." + side + ".harness",
                    ["HarnessError", traceback.format_exc(), "", "", "", "", ""])

    t = threading.Thread(target=guarded, args=(server, s, "server"), daemon=True)
    t.start()
    guarded(client, c, "client")
    t.join(30)
    c.close()
    s.close()


def linger0_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def read_exact(o, n, sid=None):
    """Reads n bytes from a blocking/timeout SSL object."""
    got = 0
    while got < n:
        d = o.read(min(65536, n - got))
        if not d:
            break
        got += len(d)
    return got


# --- scenarios --------------------------------------------------------------

SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


@scenario
def ctx_errors(rec):
    P = "ctx."
    rec.call(P + "protocol_invalid", lambda: _ssl._SSLContext(99))

    def defaults(proto):
        c = ssl.SSLContext(proto)
        return "verify_mode=%d check_hostname=%d max=%d" % (
            c.verify_mode, c.check_hostname, c.maximum_version)

    rec.call(P + "defaults.client", lambda: defaults(ssl.PROTOCOL_TLS_CLIENT), str)
    rec.call(P + "defaults.server", lambda: defaults(ssl.PROTOCOL_TLS_SERVER), str)
    # pyssl keeps TLS 1.2 as the floor in every mode, where Debian's builds
    # report MINIMUM_SUPPORTED (docs/behaviour.md): the C test checks the
    # floor directly, so the minimum is not compared.
    def more(proto):
        c = ssl.SSLContext(proto)
        return ("verify_flags=%s hostname_checks_common_name=%d num_tickets=%d "
                "post_handshake_auth=%d security_level=%d" % (
                    hex(c.verify_flags), c.hostname_checks_common_name, c.num_tickets,
                    c.post_handshake_auth, c.security_level))

    rec.call(P + "more_defaults.client", lambda: more(ssl.PROTOCOL_TLS_CLIENT), str)
    rec.call(P + "more_defaults.server", lambda: more(ssl.PROTOCOL_TLS_SERVER), str)
    rec.call(P + "num_tickets.on_client",
             lambda: setattr(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), "num_tickets", 3))
    rec.call(P + "num_tickets.negative",
             lambda: setattr(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), "num_tickets", -1))
    rec.call(P + "options.client",
             lambda: hex(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).options), str)
    rec.call(P + "options.server",
             lambda: hex(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).options), str)

    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    rec.call(P + "load_verify.missing_file",
             lambda: c.load_verify_locations(cert("missing.pem")))
    rec.call(P + "load_verify.missing_capath",
             lambda: c.load_verify_locations(None, cert("missing-dir")))
    rec.call(P + "load_verify.none", lambda: c.load_verify_locations())
    rec.call(P + "load_verify.bad_pem", lambda: c.load_verify_locations(cert("bad.pem")))
    rec.call(P + "load_verify.key_file",
             lambda: c.load_verify_locations(cert("server.key")))
    rec.call(P + "load_verify.ok", lambda: c.load_verify_locations(cert("ca.pem")))
    rec.call(P + "load_verify.default_certs", c.set_default_verify_paths)
    rec.call(P + "load_verify.cadata_pem_bad",
             lambda: c.load_verify_locations(cadata="this is not a certificate"))
    rec.call(P + "load_verify.cadata_der_bad",
             lambda: c.load_verify_locations(cadata=b"this is not a certificate"))
    with open(cert("ca.pem")) as f:
        capem = f.read()
    rec.call(P + "load_verify.cadata_pem_ok", lambda: c.load_verify_locations(cadata=capem))
    rec.call(P + "load_verify.cadata_der_ok",
             lambda: c.load_verify_locations(cadata=ssl.PEM_cert_to_DER_cert(capem)))

    s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    rec.call(P + "load_cert_chain.missing_cert",
             lambda: s.load_cert_chain(cert("missing.pem"), cert("server.key")))
    rec.call(P + "load_cert_chain.missing_key",
             lambda: s.load_cert_chain(cert("server.pem"), cert("missing.key")))
    rec.call(P + "load_cert_chain.bad_cert",
             lambda: s.load_cert_chain(cert("bad.pem"), cert("server.key")))
    rec.call(P + "load_cert_chain.bad_key",
             lambda: s.load_cert_chain(cert("server.pem"), cert("bad.pem")))
    rec.call(P + "load_cert_chain.key_mismatch",
             lambda: s.load_cert_chain(cert("server.pem"), cert("client.key")))
    rec.call(P + "load_cert_chain.no_key",
             lambda: s.load_cert_chain(cert("server.pem")))
    rec.call(P + "load_cert_chain.wrong_password",
             lambda: s.load_cert_chain(cert("server.pem"), cert("server_enc.key"), "wrong"))
    rec.call(P + "load_cert_chain.good_password",
             lambda: s.load_cert_chain(cert("server.pem"), cert("server_enc.key"), "secret"))
    rec.call(P + "load_cert_chain.combined",
             lambda: s.load_cert_chain(cert("server_combined.pem")))
    # File names are bytes on Linux: a C host's name that is not UTF-8
    # reaches the file system as it is, and messages show it as bytes.
    raw = os.fsencode(CERTS) + b"/\xff"
    rec.call(P + "load_dh_params.non_utf8_missing",
             lambda: s.load_dh_params(raw + b"missing.pem"))
    rec.call(P + "keylog.non_utf8_missing",
             lambda: setattr(s, "keylog_filename", raw + b"missing-dir/key.log"))

    def keylog_non_utf8():
        s.keylog_filename = raw + b"key.log"
        s.keylog_filename = None

    rec.call(P + "keylog.non_utf8_ok", keylog_non_utf8)
    # fopen(path, "a") seeks to the end: a /proc file refuses (EINVAL).
    rec.call(P + "keylog.unseekable", lambda: setattr(s, "keylog_filename", "/proc/version"))
    # U+1F6DC (Unicode 15): Debian's 3.11 (Unicode 14) escapes it in a repr.
    rec.call(P + "load_dh_params.unicode15_missing",
             lambda: s.load_dh_params(cert("missing-\U0001f6dc.pem")))
    rec.call(P + "ecdh_curve.unicode15", lambda: s.set_ecdh_curve("\U0001f6dc"))
    rec.call(P + "ecdh_curve.unknown", lambda: s.set_ecdh_curve("no-such-curve"))
    rec.call(P + "ecdh_curve.not_utf8", lambda: s.set_ecdh_curve(b"c\xff"))
    # 3.11 makes an EC key for the curve; 3.13+ sets it as the only group.
    for name in ("X25519", "ffdhe2048", "secp112r1", "rsaEncryption", "prime256v1"):
        rec.call(P + "ecdh_curve." + name,
                 lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).set_ecdh_curve(name))
    # Without a password CPython lets OpenSSL prompt on the terminal, so its
    # outcome depends on the environment; pyssl never prompts, and the C test
    # checks pyssl's own documented result instead of comparing.

    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    rec.call(P + "verify_mode.none_with_check_hostname",
             lambda: setattr(c, "verify_mode", ssl.CERT_NONE))
    rec.call(P + "verify_mode.invalid", lambda: setattr(c, "verify_mode", 7))
    rec.call(P + "check_hostname.off", lambda: setattr(c, "check_hostname", False))
    rec.call(P + "verify_mode.none_after_off",
             lambda: setattr(c, "verify_mode", ssl.CERT_NONE))
    s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

    def enable():
        s.check_hostname = True
        return "verify_mode=%d" % s.verify_mode

    rec.call(P + "check_hostname.enable_on_cert_none", enable, str)

    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    rec.call(P + "set_ciphers.nonsense", lambda: c.set_ciphers("nonsense"))
    rec.call(P + "set_ciphers.ok", lambda: c.set_ciphers("ECDHE+AESGCM"))

    setmin = _ssl._SSLContext.minimum_version.__set__
    setmax = _ssl._SSLContext.maximum_version.__set__
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    rec.call(P + "version.min_invalid", lambda: setmin(c, 0x999))
    rec.call(P + "version.max_invalid", lambda: setmax(c, 0x999))
    rec.call(P + "version.min_tls13", lambda: setmin(c, 0x304))
    rec.call(P + "version.get_min", lambda: int(c.minimum_version), str)
    rec.call(P + "version.max_tls12", lambda: setmax(c, 0x303))
    rec.call(P + "version.get_max", lambda: int(c.maximum_version), str)
    rec.call(P + "version.max_minimum_supported", lambda: setmax(c, -2))
    rec.call(P + "version.get_max2", lambda: int(c.maximum_version), str)
    rec.call(P + "version.min_minimum_supported", lambda: setmin(c, -2))
    rec.call(P + "version.get_min2", lambda: int(c.minimum_version), str)
    rec.call(P + "version.max_maximum_supported", lambda: setmax(c, -1))
    rec.call(P + "version.get_max3", lambda: int(c.maximum_version), str)


def wrap_pair(ctx, server_side, hostname):
    """wrap_socket() on one end of a fresh socketpair."""
    a, b = socket.socketpair()
    try:
        ctx.wrap_socket(a, server_side=server_side, server_hostname=hostname,
                        do_handshake_on_connect=False).close()
    finally:
        a.close()
        b.close()


def wrap_bios(ctx, server_side, hostname):
    import warnings
    with warnings.catch_warnings():
        # Debian's 3.11 warns where 3.14 raises (no name, check_hostname).
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_side=server_side,
                     server_hostname=hostname)


@scenario
def ctx_create(rec):
    """Which check speaks first when a socket or SSLObject is made: ssl.py's
    (per version for wrap_bio), then _ssl's side check, then its name
    check. Names are bytes: the C API takes them IDNA-encoded."""
    P = "ctx.create."
    for pn, proto in (("client", ssl.PROTOCOL_TLS_CLIENT), ("server", ssl.PROTOCOL_TLS_SERVER)):
        for chk in (0, 1):
            for side in (0, 1):
                for hn, host in (("none", None), ("empty", b""), ("dot", b".x"),
                                 ("name", b"localhost")):
                    ctx = ssl.SSLContext(proto)
                    ctx.check_hostname = bool(chk)
                    sid = "%s%s.chk%d.side%d.%s." % (P, pn, chk, side, hn)
                    rec.call(sid + "socket", lambda: wrap_pair(ctx, bool(side), host))
                    rec.call(sid + "bio", lambda: wrap_bios(ctx, bool(side), host))


@scenario
def ctx_sockets(rec):
    P = "ctx.socket."
    c, s = socket.socketpair()
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    rec.call(P + "server_on_client_ctx", lambda: wrap_pair(cctx, True, None))
    rec.call(P + "client_on_server_ctx", lambda: wrap_pair(sctx, False, None))
    # ssl.py's checks, which pyssl_socket_new takes over.
    rec.call(P + "check_hostname_requires_hostname",
             lambda: cctx.wrap_socket(socket.socket(socket.AF_UNIX), server_side=False,
                                      do_handshake_on_connect=False))
    rec.call(P + "hostname_on_server",
             lambda: sctx.wrap_socket(socket.socket(socket.AF_UNIX), server_side=True,
                                      server_hostname="localhost",
                                      do_handshake_on_connect=False))
    # pyssl_socket_new is wrap_socket with a name already IDNA-encoded
    # (bytes reach _ssl as they are).
    rec.call(P + "hostname_empty", lambda: wrap_pair(cctx, False, b""))
    rec.call(P + "hostname_leading_dot", lambda: wrap_pair(cctx, False, b".example"))
    rec.call(P + "hostname_non_ascii",
             lambda: cctx._wrap_socket(c, False, "b\u00fccher.example"))
    rec.call(P + "hostname_ok", lambda: cctx._wrap_socket(c, False, "localhost"))
    rec.call(P + "ip_ok", lambda: cctx._wrap_socket(c, False, "127.0.0.1"))
    rec.call(P + "timeout_nan", lambda: c.settimeout(float("nan")))
    # The largest timeouts: 2**63 ns and more overflow CPython's time type.
    rec.call(P + "timeout_2p63ns", lambda: c.settimeout(9223372036.854775808))
    rec.call(P + "timeout_below_2p63ns", lambda: c.settimeout(9223372036.854774))
    rec.call(P + "timeout_inf", lambda: c.settimeout(float("inf")))
    c.close()
    s.close()


# --- handshakes -------------------------------------------------------------


@scenario
def hs_alpn(rec):
    def alpn(P, client_protos, server_protos):
        cctx, sctx = client_ctx(), server_ctx()
        cctx.set_alpn_protocols(client_protos)
        sctx.set_alpn_protocols(server_protos)

        def server(sock, ev):
            sock.settimeout(LONG)
            o = sctx._wrap_socket(sock, True, None)
            rec.call(P + "server.alpn_before", o.selected_alpn_protocol, repr)
            if rec.call(P + "server.handshake", o.do_handshake) is not FAILED:
                rec.call(P + "server.alpn", o.selected_alpn_protocol, repr)
            ev.wait(0)

        def client(sock, ev):
            try:
                sock.settimeout(LONG)
                o = cctx._wrap_socket(sock, False, "localhost")
                if rec.call(P + "client.handshake", o.do_handshake) is not FAILED:
                    rec.call(P + "client.alpn", o.selected_alpn_protocol, repr)
            finally:
                ev.set(0)

        run_pair(rec, P.rstrip("."), client, server)

    alpn("hs.alpn.", ["h2", "http/1.1"], ["http/1.1", "h2"])
    alpn("hs.alpn_none.", ["h2"], ["http/1.1"])


@scenario
def hs_records(rec):
    """read(n) returns at most one TLS record; write(b'') and read(0)."""
    P = "hs.records."
    cctx, sctx = client_ctx(), server_ctx()

    def server(sock, ev):
        sock.settimeout(LONG)
        o = sctx._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "server.write", lambda: o.write(b"r" * 100000), repr)
        rec.call(P + "server.write_zero", lambda: o.write(b""), repr)
        ev.wait(0)

    def client(sock, ev):
        try:
            sock.settimeout(LONG)
            o = cctx._wrap_socket(sock, False, "localhost")
            if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                return
            rec.call(P + "client.read_len", lambda: len(o.read(65536)), repr)
            rec.call(P + "client.pending", o.pending, repr)
            rec.call(P + "client.read_small", lambda: o.read(10), repr)
            rec.call(P + "client.pending_after", o.pending, repr)
            rec.call(P + "client.rest", lambda: read_exact(o, 100000 - 16384 - 10), repr)
            rec.call(P + "client.write_zero", lambda: o.write(b""), repr)
        finally:
            ev.set(0)

    run_pair(rec, "hs.records", client, server)


@scenario
def hs_basic(rec):
    P = "hs.basic."
    cctx, sctx = client_ctx(), server_ctx()

    def server(sock, ev):
        o = sctx._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "server.version", o.version, repr)
        rec.call(P + "server.peercert", lambda: o.getpeercert(True), repr)
        rec.call(P + "server.read", lambda: o.read(4), repr)
        rec.call(P + "server.write", lambda: o.write(b"pong"), repr)
        rec.call(P + "server.read_eof", lambda: o.read(100), repr)
        rec.call(P + "server.shutdown", o.shutdown)

    def client(sock, ev):
        o = cctx._wrap_socket(sock, False, "localhost")
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "client.version", o.version, repr)
        rec.call(P + "client.cipher", o.cipher, repr)
        rec.call(P + "client.peercert", lambda: o.getpeercert(True), repr)
        rec.call(P + "client.server_hostname", lambda: o.server_hostname, repr)
        rec.call(P + "client.compression", o.compression, repr)
        rec.call(P + "client.session_reused", lambda: o.session_reused, repr)
        rec.call(P + "client.write", lambda: o.write(b"ping"), repr)
        rec.call(P + "client.read", lambda: o.read(4), repr)
        rec.call(P + "client.shutdown", o.shutdown)

    run_pair(rec, "hs.basic", client, server)


def simple_pair(rec, P, cctx, sctx, hostname, tcp=False, timeout=LONG):
    """Both sides handshake; the server then sends b'ok', the client reads it."""

    def server(sock, ev):
        sock.settimeout(timeout)
        o = sctx._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            rec.call(P + "server.shutdown", o.shutdown)
            return
        rec.call(P + "server.peercert", lambda: o.getpeercert(True), repr)
        rec.call(P + "server.write", lambda: o.write(b"ok"), repr)

    def client(sock, ev):
        sock.settimeout(timeout)
        o = cctx._wrap_socket(sock, False, hostname)
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            rec.call(P + "client.read_after", lambda: o.read(10), repr)
            rec.call(P + "client.shutdown", o.shutdown)
            return
        rec.call(P + "client.version", o.version, repr)
        rec.call(P + "client.read", lambda: o.read(10), repr)

    run_pair(rec, P.rstrip("."), client, server, tcp)


@scenario
def hs_variants(rec):
    simple_pair(rec, "hs.ip.", client_ctx(), server_ctx(), "127.0.0.1")
    simple_pair(rec, "hs.tcp.", client_ctx(), server_ctx(), "localhost", tcp=True)
    simple_pair(rec, "hs.client_cert.", client_ctx(certname="client"),
                server_ctx(verify=ssl.CERT_REQUIRED, ca="ca.pem"), "localhost")
    simple_pair(rec, "hs.client_cert_missing.", client_ctx(),
                server_ctx(verify=ssl.CERT_REQUIRED, ca="ca.pem"), "localhost")
    simple_pair(rec, "hs.client_cert_untrusted.", client_ctx(certname="selfsigned"),
                server_ctx(verify=ssl.CERT_REQUIRED, ca="ca.pem"), "localhost")
    simple_pair(rec, "hs.client_cert_optional.", client_ctx(),
                server_ctx(verify=ssl.CERT_OPTIONAL, ca="ca.pem"), "localhost")
    simple_pair(rec, "hs.hostname_case.", client_ctx(), server_ctx(), "LOCALHOST")
    c = client_ctx()
    c.maximum_version = ssl.TLSVersion.TLSv1_2
    simple_pair(rec, "hs.tls12.", c, server_ctx(), "localhost")
    c = client_ctx()
    c.minimum_version = ssl.TLSVersion.TLSv1_3
    s = server_ctx()
    s.maximum_version = ssl.TLSVersion.TLSv1_2
    simple_pair(rec, "hs.no_shared_version.", c, s, "localhost")
    c = client_ctx()
    c.set_ciphers("ECDHE+AESGCM")
    c.maximum_version = ssl.TLSVersion.TLSv1_2
    s = server_ctx()
    s.set_ciphers("ECDHE+CHACHA20")
    simple_pair(rec, "hs.no_shared_cipher.", c, s, "localhost")


# --- certificate verification -----------------------------------------------


@scenario
def verify_failures(rec):
    simple_pair(rec, "verify.unknown_ca.", client_ctx(ca="selfsigned.pem"),
                server_ctx(), "localhost")
    simple_pair(rec, "verify.no_ca.", client_ctx(ca=None), server_ctx(), "localhost")
    simple_pair(rec, "verify.self_signed.", client_ctx(), server_ctx("selfsigned"),
                "localhost")
    simple_pair(rec, "verify.expired.", client_ctx(), server_ctx("expired"), "localhost")
    simple_pair(rec, "verify.hostname_mismatch.", client_ctx(), server_ctx("wronghost"),
                "localhost")
    simple_pair(rec, "verify.hostname_mismatch_name.", client_ctx(), server_ctx(),
                "example.org")
    simple_pair(rec, "verify.ip_mismatch.", client_ctx(), server_ctx(), "127.0.0.2")
    simple_pair(rec, "verify.ipv6_mismatch.", client_ctx(), server_ctx(), "::1")
    simple_pair(rec, "verify.hostname_trailing_dot.", client_ctx(), server_ctx(),
                "localhost.")
    c = client_ctx()
    c.check_hostname = False
    simple_pair(rec, "verify.check_hostname_off.", c, server_ctx("wronghost"), "localhost")
    c = client_ctx(ca=None)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    simple_pair(rec, "verify.cert_none.", c, server_ctx("selfsigned"), None)


# --- timeouts ---------------------------------------------------------------


@scenario
def timeouts(rec):
    def silent(sock, ev):
        ev.wait(0)

    def client_step(P, step):
        def client(sock, ev):
            try:
                step(sock)
            finally:
                ev.set(0)
        return client

    def hs(sock):
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        sock.settimeout(SHORT)
        rec.call("timeout.handshake.client.handshake", o.do_handshake)

    run_pair(rec, "timeout.handshake", client_step("timeout.handshake.", hs), silent)

    def rd(sock):
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        sock.settimeout(SHORT)
        rec.call("timeout.read_before_handshake.client.read", lambda: o.read(10), repr)

    run_pair(rec, "timeout.read_before_handshake",
             client_step("timeout.read_before_handshake.", rd), silent)

    def server_hs(sock, ev):
        o = server_ctx()._wrap_socket(sock, True, None)
        sock.settimeout(SHORT)
        rec.call("timeout.server_handshake.server.handshake", o.do_handshake)
        ev.set(0)

    def waiter(sock, ev):
        ev.wait(0)

    run_pair(rec, "timeout.server_handshake", waiter, server_hs)

    def after_handshake(P, action):
        def server(sock, ev):
            sock.settimeout(LONG)
            o = server_ctx()._wrap_socket(sock, True, None)
            rec.call(P + "server.handshake", o.do_handshake)
            ev.wait(0)

        def client(sock, ev):
            try:
                sock.settimeout(LONG)
                o = client_ctx()._wrap_socket(sock, False, "localhost")
                if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                    return
                sock.settimeout(SHORT)
                action(o)
            finally:
                ev.set(0)

        run_pair(rec, P.rstrip("."), client, server)

    after_handshake("timeout.read.", lambda o: rec.call(
        "timeout.read.client.read", lambda: o.read(10), repr))
    after_handshake("timeout.write.", lambda o: rec.call(
        "timeout.write.client.write", lambda: o.write(b"x" * BIG), repr))
    after_handshake("timeout.shutdown.", lambda o: rec.call(
        "timeout.shutdown.client.shutdown", o.shutdown))


# --- non-blocking -----------------------------------------------------------


def nb_call(fn):
    """One non-blocking call: ('ok', value) or ('read'|'write'|exc, None)."""
    try:
        return "ok", fn()
    except ssl.SSLWantReadError:
        return "read", None
    except ssl.SSLWantWriteError:
        return "write", None


def drive(pairs, limit=200):
    """Calls each (sock, fn) until it succeeds, polling as it asks."""
    results = [None] * len(pairs)
    for _ in range(limit):
        wait = []
        for i, (sock, fn) in enumerate(pairs):
            if results[i] is not None:
                continue
            st, v = nb_call(fn)
            if st == "ok":
                results[i] = v
            else:
                wait.append((sock, select.POLLIN if st == "read" else select.POLLOUT))
        if not wait:
            return results
        p = select.poll()
        for sock, evmask in wait:
            p.register(sock, evmask)
        p.poll(1000)
    raise RuntimeError("drive: no progress")


@scenario
def nonblocking(rec):
    P = "nonblock."

    def silent(sock, ev):
        ev.wait(0)

    def client(sock, ev):
        try:
            sock.settimeout(0)
            o = client_ctx()._wrap_socket(sock, False, "localhost")
            rec.call(P + "handshake.client.first", o.do_handshake)
            rec.call(P + "handshake.client.second", o.do_handshake)
        finally:
            ev.set(0)

    run_pair(rec, "nonblock.handshake", client, silent)

    def client_rd(sock, ev):
        try:
            sock.settimeout(0)
            o = client_ctx()._wrap_socket(sock, False, "localhost")
            rec.call(P + "read_before_handshake.client.read", lambda: o.read(10), repr)
            rec.call(P + "read_before_handshake.client.write", lambda: o.write(b"x"), repr)
        finally:
            ev.set(0)

    run_pair(rec, "nonblock.read_before_handshake", client_rd, silent)

    def server(sock, ev):
        try:
            sock.settimeout(0)
            o = server_ctx()._wrap_socket(sock, True, None)
            rec.call(P + "server_handshake.server.first", o.do_handshake)
        finally:
            ev.set(0)

    def waiter(sock, ev):
        ev.wait(0)

    run_pair(rec, "nonblock.server_handshake", waiter, server)

    # Both sides in this thread, driven with poll().
    P = "nonblock.drive."
    c, s = socket.socketpair()
    c.settimeout(0)
    s.settimeout(0)
    co = client_ctx()._wrap_socket(c, False, "localhost")
    so = server_ctx()._wrap_socket(s, True, None)
    rec.call(P + "client.first", co.do_handshake)
    rec.call(P + "server.first", so.do_handshake)
    try:
        drive([(c, co.do_handshake), (s, so.do_handshake)])
        rec.value(P + "handshakes", "ok")
    except Exception as e:
        rec.put(P + "handshakes", describe(e))
    rec.call(P + "client.read_empty", lambda: co.read(10), repr)
    rec.call(P + "server.write", lambda: so.write(b"hello"), repr)
    select.select([c], [], [], LONG)
    rec.call(P + "client.read", lambda: co.read(10), repr)
    rec.call(P + "client.shutdown1", co.shutdown)
    rec.call(P + "server.read_eof", lambda: so.read(10), repr)
    rec.call(P + "server.shutdown", so.shutdown)
    select.select([c], [], [], LONG)
    rec.call(P + "client.shutdown2", co.shutdown)
    c.close()
    s.close()

    # Shutdown while a write is stuck in a full socket.
    P = "nonblock.shutdown_full."
    c, s = socket.socketpair()
    c.settimeout(0)
    s.settimeout(0)
    co = client_ctx()._wrap_socket(c, False, "localhost")
    so = server_ctx()._wrap_socket(s, True, None)
    drive([(c, co.do_handshake), (s, so.do_handshake)])
    rec.call(P + "client.write", lambda: co.write(b"y" * BIG), repr)
    rec.call(P + "client.shutdown", co.shutdown)
    rec.call(P + "client.shutdown_again", co.shutdown)
    c.close()
    s.close()

    # A write that fills the socket, then is retried with the same data.
    P = "nonblock.write_full."
    c, s = socket.socketpair()
    c.settimeout(0)
    s.settimeout(0)
    co = client_ctx()._wrap_socket(c, False, "localhost")
    so = server_ctx()._wrap_socket(s, True, None)
    drive([(c, co.do_handshake), (s, so.do_handshake)])
    data = bytes(range(256)) * (BIG // 256)
    rec.call(P + "client.write", lambda: co.write(data), repr)
    received = 0
    written = None
    for _ in range(100000):
        if written is None:
            st, v = nb_call(lambda: co.write(data))
            if st == "ok":
                written = v
        st, v = nb_call(lambda: so.read(65536))
        if st == "ok":
            received += len(v)
        if written is not None and received >= BIG:
            break
        if st != "ok":
            select.select([s], [], [], 0.05)
    rec.value(P + "client.retry", repr(written))
    rec.value(P + "server.received", repr(received))
    c.close()
    s.close()


# --- EOF rules ---------------------------------------------------------------


@scenario
def eof_rules(rec):
    P = "eof.clean."

    def server(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "server.shutdown", o.shutdown)

    def client(sock, ev):
        sock.settimeout(LONG)
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "client.read", lambda: o.read(10), repr)
        rec.call(P + "client.read_again", lambda: o.read(10), repr)
        rec.call(P + "client.read_zero", lambda: o.read(0), repr)
        rec.call(P + "client.shutdown", o.shutdown)

    run_pair(rec, "eof.clean", client, server)

    def ragged(P, tcp, closer, tls12=False):
        cctx = client_ctx()
        if tls12:
            cctx.maximum_version = ssl.TLSVersion.TLSv1_2

        def server(sock, ev):
            sock.settimeout(LONG)
            o = server_ctx()._wrap_socket(sock, True, None)
            rec.call(P + "server.handshake", o.do_handshake)
            closer(sock)
            ev.set(0)

        def client(sock, ev):
            sock.settimeout(LONG)
            o = cctx._wrap_socket(sock, False, "localhost")
            if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                return
            ev.wait(0)
            time.sleep(0.05)
            rec.call(P + "client.read", lambda: o.read(10), repr)
            rec.call(P + "client.read_again", lambda: o.read(10), repr)
            rec.call(P + "client.write", lambda: o.write(b"x"), repr)
            rec.call(P + "client.shutdown", o.shutdown)

        run_pair(rec, P.rstrip("."), client, server, tcp)

    ragged("eof.ragged.", False, lambda s: s.close())
    ragged("eof.ragged_tls12.", False, lambda s: s.close(), tls12=True)
    ragged("eof.ragged_tcp.", True, lambda s: s.close())
    ragged("eof.reset.", True, linger0_close)

    def ragged_blocking(P):
        def server(sock, ev):
            o = server_ctx()._wrap_socket(sock, True, None)
            rec.call(P + "server.handshake", o.do_handshake)
            sock.close()

        def client(sock, ev):
            o = client_ctx()._wrap_socket(sock, False, "localhost")
            if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                return
            rec.call(P + "client.read", lambda: o.read(10), repr)

        run_pair(rec, P.rstrip("."), client, server)

    ragged_blocking("eof.ragged_blocking.")

    P = "eof.read_zero."

    def server0(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        rec.call(P + "server.handshake", o.do_handshake)
        ev.wait(0)

    def client0(sock, ev):
        try:
            sock.settimeout(LONG)
            o = client_ctx()._wrap_socket(sock, False, "localhost")
            rec.call(P + "client.read_zero_before", lambda: o.read(0), repr)
            rec.call(P + "client.handshake", o.do_handshake)
            rec.call(P + "client.read_zero", lambda: o.read(0), repr)
            rec.call(P + "client.pending", o.pending, repr)
        finally:
            ev.set(0)

    run_pair(rec, "eof.read_zero", client0, server0)

    # EOF while the client waits for the server's first flight.
    def handshake_eof(P, peer):
        def client(sock, ev):
            sock.settimeout(LONG)
            o = client_ctx()._wrap_socket(sock, False, "localhost")
            if peer == "closed_first":
                ev.wait(0)
            rec.call(P + "client.handshake", o.do_handshake)
            rec.call(P + "client.handshake_again", o.do_handshake)

        def server(sock, ev):
            if peer == "closed_first":
                sock.close()
                ev.set(0)
            elif peer == "reset_after_hello":
                sock.recv(65536)
                linger0_close(sock)
            else:
                sock.recv(65536)
                sock.close()

        run_pair(rec, P.rstrip("."), client, server, tcp=(peer == "reset_after_hello"))

    handshake_eof("eof.handshake_after_hello.", "closed_after_hello")

    # The same EOF met by a read that starts the handshake implicitly.
    P = "eof.read_before_handshake."

    def client_rd(sock, ev):
        sock.settimeout(LONG)
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        rec.call(P + "client.read", lambda: o.read(10), repr)
        rec.call(P + "client.read_again", lambda: o.read(10), repr)

    def server_rd(sock, ev):
        sock.recv(65536)
        sock.close()

    run_pair(rec, "eof.read_before_handshake", client_rd, server_rd)
    handshake_eof("eof.handshake_peer_closed.", "closed_first")
    handshake_eof("eof.handshake_reset.", "reset_after_hello")

    P = "eof.server_handshake."

    def server_eof(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        ev.wait(0)
        rec.call(P + "server.handshake", o.do_handshake)

    def client_closes(sock, ev):
        sock.close()
        ev.set(0)

    run_pair(rec, "eof.server_handshake", client_closes, server_eof)


# --- shutdown ----------------------------------------------------------------


@scenario
def shutdowns(rec):
    P = "shutdown.before_handshake."
    c, s = socket.socketpair()
    c.settimeout(SHORT)
    o = client_ctx()._wrap_socket(c, False, "localhost")
    rec.call(P + "client.shutdown", o.shutdown)
    c.close()
    s.close()

    # The socket object is gone (collected): _ssl's GET_SOCKET gives None.
    P = "shutdown.gone."
    c, s = socket.socketpair()
    o = client_ctx()._wrap_socket(c, False, "localhost")
    del c
    gc.collect()
    rec.call(P + "client.handshake", o.do_handshake)
    rec.call(P + "client.read", lambda: o.read(10), repr)
    rec.call(P + "client.read_zero", lambda: o.read(0), repr)
    rec.call(P + "client.write", lambda: o.write(b"x"), repr)
    rec.call(P + "client.shutdown", o.shutdown)
    rec.call(P + "client.pending", o.pending, repr)
    s.close()

    # The socket is closed but still referenced (sock_fd == -1).
    P = "shutdown.closed_fd."
    c, s = socket.socketpair()
    o = client_ctx()._wrap_socket(c, False, "localhost")
    c.close()
    rec.call(P + "client.shutdown", o.shutdown)
    s.close()

    # A complete unwrap, then everything again.
    P = "shutdown.after_unwrap."

    def server(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "server.read_eof", lambda: o.read(10), repr)
        rec.call(P + "server.shutdown", o.shutdown)
        rec.call(P + "server.write", lambda: o.write(b"x"), repr)
        ev.set(0)

    def client(sock, ev):
        sock.settimeout(LONG)
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "client.shutdown", o.shutdown)
        ev.wait(0)
        rec.call(P + "client.write", lambda: o.write(b"x"), repr)
        rec.call(P + "client.read", lambda: o.read(10), repr)
        rec.call(P + "client.shutdown_again", o.shutdown)
        rec.call(P + "client.handshake_again", o.do_handshake)

    run_pair(rec, "shutdown.after_unwrap", client, server)

    # The peer answers our close_notify by closing the TCP connection.
    P = "shutdown.peer_closes."

    def server2(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "server.read_eof", lambda: o.read(10), repr)
        sock.close()

    def client2(sock, ev):
        sock.settimeout(LONG)
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "client.shutdown", o.shutdown)

    run_pair(rec, "shutdown.peer_closes", client2, server2)

    # The peer closed the connection before we shut down.
    P = "shutdown.peer_gone."

    def server3(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        rec.call(P + "server.handshake", o.do_handshake)
        sock.close()
        ev.set(0)

    def client3(sock, ev):
        sock.settimeout(LONG)
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        ev.wait(0)
        rec.call(P + "client.shutdown", o.shutdown)

    run_pair(rec, "shutdown.peer_gone", client3, server3)

    # Unwrap: plaintext the peer sends right after its close_notify stays
    # on the socket for the application.
    P = "shutdown.unwrap_plain."

    def server5(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            return
        sock.settimeout(0)
        rec.call(P + "server.shutdown", o.shutdown)
        sock.settimeout(LONG)
        sock.sendall(b"plain")
        ev.set(0)

    def client5(sock, ev):
        sock.settimeout(LONG)
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        ev.wait(0)
        rec.call(P + "client.read_eof", lambda: o.read(10), repr)
        rec.call(P + "client.shutdown", o.shutdown)
        rec.call(P + "client.recv_plain", lambda: sock.recv(100), repr)

    run_pair(rec, "shutdown.unwrap_plain", client5, server5)

    # The server shuts down first, in blocking mode.
    P = "shutdown.server_first."

    def server4(sock, ev):
        o = server_ctx()._wrap_socket(sock, True, None)
        if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "server.write", lambda: o.write(b"bye"), repr)
        rec.call(P + "server.shutdown", o.shutdown)

    def client4(sock, ev):
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "client.read", lambda: o.read(10), repr)
        rec.call(P + "client.read_eof", lambda: o.read(10), repr)
        rec.call(P + "client.shutdown", o.shutdown)

    run_pair(rec, "shutdown.server_first", client4, server4)


# --- misc: implicit handshakes and accessors ---------------------------------


@scenario
def misc(rec):
    P = "misc.implicit."

    def server(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx()._wrap_socket(sock, True, None)
        rec.call(P + "server.read", lambda: o.read(10), repr)
        rec.call(P + "server.write", lambda: o.write(b"hi"), repr)

    def client(sock, ev):
        sock.settimeout(LONG)
        o = client_ctx()._wrap_socket(sock, False, "localhost")
        rec.call(P + "client.version_before", o.version, repr)
        rec.call(P + "client.cipher_before", o.cipher, repr)
        rec.call(P + "client.peercert_before", lambda: o.getpeercert(True), repr)
        rec.call(P + "client.pending_before", o.pending, repr)
        rec.call(P + "client.write", lambda: o.write(b"hey"), repr)
        rec.call(P + "client.read", lambda: o.read(10), repr)
        rec.call(P + "client.version", o.version, repr)

    run_pair(rec, "misc.implicit", client, server)


# --- memory BIOs --------------------------------------------------------------


@scenario
def membio(rec):
    P = "bio.basic."
    b = ssl.MemoryBIO()
    rec.call(P + "write", lambda: b.write(b"abc"), repr)
    rec.call(P + "pending", lambda: b.pending, repr)
    rec.call(P + "eof_pending", lambda: b.eof, repr)
    rec.call(P + "write_eof", b.write_eof)
    rec.call(P + "eof_still_pending", lambda: b.eof, repr)
    rec.call(P + "read", lambda: b.read(10), repr)
    rec.call(P + "eof_drained", lambda: b.eof, repr)
    rec.call(P + "write_after_eof", lambda: b.write(b"x"), repr)

    def objs():
        ci, co_, si, so_ = (ssl.MemoryBIO() for _ in range(4))
        c = client_ctx()._wrap_bio(ci, co_, False, "localhost")
        s = server_ctx()._wrap_bio(si, so_, True, None)
        return c, s, ci, co_, si, so_

    def pump(c_out, s_in, s_out, c_in):
        moved = 0
        d = c_out.read()
        if d:
            s_in.write(d)
            moved += len(d)
        d = s_out.read()
        if d:
            c_in.write(d)
            moved += len(d)
        return moved

    P = "bio.pair."
    c, s, ci, co_, si, so_ = objs()
    rec.call(P + "client.first", c.do_handshake)
    rec.call(P + "client.outgoing_nonempty", lambda: co_.pending > 0, repr)
    rec.call(P + "server.before_input", s.do_handshake)
    done = [False, False]
    for _ in range(20):
        for i, o in enumerate((c, s)):
            if not done[i]:
                try:
                    o.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
        if not pump(co_, si, so_, ci) and all(done):
            break
    rec.value(P + "handshakes", repr(done))
    rec.call(P + "client.version", c.version, repr)
    rec.call(P + "client.read_empty", lambda: c.read(10), repr)
    rec.call(P + "client.write", lambda: c.write(b"data"), repr)
    pump(co_, si, so_, ci)
    rec.call(P + "server.read", lambda: s.read(10), repr)
    rec.call(P + "client.shutdown1", c.shutdown)
    pump(co_, si, so_, ci)
    rec.call(P + "server.read_eof", lambda: s.read(10), repr)
    rec.call(P + "server.shutdown", s.shutdown)
    pump(co_, si, so_, ci)
    rec.call(P + "client.shutdown2", c.shutdown)

    P = "bio.eof_in_handshake."
    c, s, ci, co_, si, so_ = objs()
    rec.call(P + "client.first", c.do_handshake)
    ci.write_eof()
    rec.call(P + "client.after_eof", c.do_handshake)

    def handshake(c, s, ci, co_, si, so_):
        for _ in range(20):
            for o in (c, s):
                try:
                    o.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            if not pump(co_, si, so_, ci):
                break

    P = "bio.eof_after_handshake."
    c, s, ci, co_, si, so_ = objs()
    handshake(c, s, ci, co_, si, so_)
    ci.write_eof()
    rec.call(P + "client.read", lambda: c.read(10), repr)
    rec.call(P + "client.write", lambda: c.write(b"x"), repr)

    # Sessions: 3.11 hands out (and resumes) a copy through the DER
    # encoding, which fails mid-handshake and carries no peer chain; 3.13.1
    # stopped copying (the C test skips a 3.13.0 oracle).
    P = "bio.session."

    def chain(o):
        ch = o.get_unverified_chain()
        return "None" if ch is None else "list(%d)" % len(ch)

    def handshake_and_ticket(c, s, ci, co_, si, so_):
        handshake(c, s, ci, co_, si, so_)
        s.write(b"x")
        pump(co_, si, so_, ci)
        c.read(10)

    cctx, sctx = client_ctx(), server_ctx()
    ci, co_, si, so_ = (ssl.MemoryBIO() for _ in range(4))
    c = cctx._wrap_bio(ci, co_, False, "localhost")
    s = sctx._wrap_bio(si, so_, True, None)
    rec.call(P + "client.first", c.do_handshake)
    rec.call(P + "client.mid_handshake", lambda: c.session is not None, repr)
    handshake_and_ticket(c, s, ci, co_, si, so_)
    rec.call(P + "client.chain", lambda: chain(c), str)
    first = c.session
    ci, co_, si, so_ = (ssl.MemoryBIO() for _ in range(4))
    c = cctx._wrap_bio(ci, co_, False, "localhost", session=first)
    s = sctx._wrap_bio(si, so_, True, None)
    handshake_and_ticket(c, s, ci, co_, si, so_)
    rec.call(P + "resumed.reused", lambda: c.session_reused, repr)
    rec.call(P + "resumed.chain", lambda: chain(c), str)


# --- certificate decoding (pyssl's decoder lands separately) ----------------


@scenario
def certdecode(rec):
    P = "cert."
    for name in ("ca", "server", "client", "selfsigned", "expired", "wronghost"):
        rec.call(P + "decode." + name,
                 lambda: _ssl._test_decode_cert(cert(name + ".pem")), repr)
    rec.call(P + "decode.missing", lambda: _ssl._test_decode_cert(cert("missing.pem")), repr)
    rec.call(P + "decode.bad", lambda: _ssl._test_decode_cert(cert("bad.pem")), repr)

    def server(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx(verify=ssl.CERT_REQUIRED, ca="ca.pem")._wrap_socket(sock, True, None)
        rec.call(P + "peer.server.handshake", o.do_handshake)
        rec.call(P + "peer.server.peercert", o.getpeercert, repr)
        ev.wait(0)

    def client(sock, ev):
        try:
            sock.settimeout(LONG)
            o = client_ctx(certname="client")._wrap_socket(sock, False, "localhost")
            rec.call(P + "peer.client.peercert_before", o.getpeercert, repr)
            rec.call(P + "peer.client.handshake", o.do_handshake)
            rec.call(P + "peer.client.peercert", o.getpeercert, repr)
        finally:
            ev.set(0)

    run_pair(rec, "cert.peer", client, server)

    def server2(sock, ev):
        sock.settimeout(LONG)
        o = server_ctx("selfsigned")._wrap_socket(sock, True, None)
        rec.call(P + "unverified.server.handshake", o.do_handshake)
        rec.call(P + "unverified.server.peercert", o.getpeercert, repr)
        ev.wait(0)

    def client2(sock, ev):
        try:
            sock.settimeout(LONG)
            ctx = client_ctx(ca=None)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            o = ctx._wrap_socket(sock, False, None)
            rec.call(P + "unverified.client.handshake", o.do_handshake)
            rec.call(P + "unverified.client.peercert", o.getpeercert, repr)
        finally:
            ev.set(0)

    run_pair(rec, "cert.unverified", client2, server2)


# --- hostile peers (test_hostile.c) ------------------------------------------
#
# The misbehaving peer is written in the scenario itself: raw bytes on the
# socket, or a raw OpenSSL SSL* over memory BIOs driven through ctypes, i.e.
# the same libssl calls test_hostile.c makes (same library, same defaults,
# same order), so that pyssl and CPython meet the very same misbehaviour.
# The peer's own observations are recorded as plain values:
#   "ok", b'...' (data read), "error N: reason" (SSL_get_error() and the
#   reason of the last queued OpenSSL error, "-" when none), "eof" (TCP EOF
#   while OpenSSL wanted more), "recv failed", or describe_records() of the
#   raw bytes the peer received.

import ctypes


class _RawLib:
    """The libssl/libcrypto functions the raw peer uses."""

    def __init__(self):
        s = ctypes.CDLL("libssl.so.3")
        c = ctypes.CDLL("libcrypto.so.3")
        P, I, L = ctypes.c_void_p, ctypes.c_int, ctypes.c_long
        S = ctypes.c_char_p
        for lib, name, res, args in (
            (s, "TLS_server_method", P, []),
            (s, "TLS_client_method", P, []),
            (s, "SSL_CTX_new", P, [P]),
            (s, "SSL_CTX_free", None, [P]),
            (s, "SSL_CTX_use_certificate_chain_file", I, [P, S]),
            (s, "SSL_CTX_use_PrivateKey_file", I, [P, S, I]),
            (s, "SSL_CTX_ctrl", L, [P, I, L, P]),
            (s, "SSL_CTX_set_cipher_list", I, [P, S]),
            (s, "SSL_new", P, [P]),
            (s, "SSL_free", None, [P]),
            (s, "SSL_set_bio", None, [P, P, P]),
            (s, "SSL_set_accept_state", None, [P]),
            (s, "SSL_set_connect_state", None, [P]),
            (s, "SSL_do_handshake", I, [P]),
            (s, "SSL_read", I, [P, P, I]),
            (s, "SSL_write", I, [P, S, I]),
            (s, "SSL_shutdown", I, [P]),
            (s, "SSL_set_shutdown", None, [P, I]),
            (s, "SSL_get_error", I, [P, I]),
            (s, "SSL_renegotiate", I, [P]),
            (s, "SSL_key_update", I, [P, I]),
            (c, "BIO_s_mem", P, []),
            (c, "BIO_new", P, [P]),
            (c, "BIO_read", I, [P, P, I]),
            (c, "BIO_write", I, [P, S, I]),
            (c, "ERR_peek_last_error", ctypes.c_ulong, []),
            (c, "ERR_reason_error_string", S, [ctypes.c_ulong]),
            (c, "ERR_clear_error", None, []),
        ):
            fn = getattr(lib, name)
            fn.restype = res
            fn.argtypes = args
            setattr(self, name, fn)


_RAWLIB = None


def rawlib():
    global _RAWLIB
    if _RAWLIB is None:
        _RAWLIB = _RawLib()
    return _RAWLIB


SSL_CTRL_SET_MIN_PROTO_VERSION = 123
SSL_CTRL_SET_MAX_PROTO_VERSION = 124
SSL_ERROR_WANT_READ = 2


class RawTLS:
    """A raw OpenSSL SSL* over memory BIOs; the peer moves the bytes."""

    def __init__(self, sock, server, certname=None, maxver=0, minver=0, ciphers=None):
        L = self.L = rawlib()
        self.sock = sock
        self.ctx = L.SSL_CTX_new(L.TLS_server_method() if server else L.TLS_client_method())
        if certname:
            L.SSL_CTX_use_certificate_chain_file(self.ctx, cert(certname + ".pem").encode())
            L.SSL_CTX_use_PrivateKey_file(self.ctx, cert(certname + ".key").encode(), 1)
        if minver:
            L.SSL_CTX_ctrl(self.ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, minver, None)
        if maxver:
            L.SSL_CTX_ctrl(self.ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, maxver, None)
        if ciphers:
            L.SSL_CTX_set_cipher_list(self.ctx, ciphers.encode())
        self.ssl = L.SSL_new(self.ctx)
        self.rbio = L.BIO_new(L.BIO_s_mem())
        self.wbio = L.BIO_new(L.BIO_s_mem())
        L.SSL_set_bio(self.ssl, self.rbio, self.wbio)
        if server:
            L.SSL_set_accept_state(self.ssl)
        else:
            L.SSL_set_connect_state(self.ssl)

    def free(self):
        self.L.SSL_free(self.ssl)
        self.L.SSL_CTX_free(self.ctx)

    def take(self):
        """What OpenSSL wrote, without sending it."""
        out = b""
        buf = ctypes.create_string_buffer(65536)
        while True:
            n = self.L.BIO_read(self.wbio, buf, 65536)
            if n <= 0:
                return out
            out += buf.raw[:n]

    def flush(self):
        data = self.take()
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def feed(self, data):
        self.L.BIO_write(self.rbio, data, len(data))

    def fill(self):
        try:
            d = self.sock.recv(65536)
        except OSError:
            return -1
        if d:
            self.feed(d)
        return len(d)

    def failure(self, r):
        err = self.L.SSL_get_error(self.ssl, r)
        code = self.L.ERR_peek_last_error()
        reason = self.L.ERR_reason_error_string(code) if code else None
        self.L.ERR_clear_error()
        return err, "error %d: %s" % (err, reason.decode() if reason else "-")

    def drive(self, fn):
        """fn() until it returns > 0: (value, None) or (None, failure text)."""
        while True:
            r = fn()
            if r > 0:
                self.flush()
                return r, None
            err, text = self.failure(r)
            self.flush()
            if err != SSL_ERROR_WANT_READ:
                return None, text
            n = self.fill()
            if n <= 0:
                return None, "eof" if n == 0 else "recv failed"

    def handshake(self):
        r, text = self.drive(lambda: self.L.SSL_do_handshake(self.ssl))
        return text or "ok"

    def read(self, n=100):
        buf = ctypes.create_string_buffer(n)
        r, text = self.drive(lambda: self.L.SSL_read(self.ssl, buf, n))
        return text or repr(buf.raw[:r])

    def write(self, data):
        r = self.L.SSL_write(self.ssl, data, len(data))
        text = None if r > 0 else self.failure(r)[1]
        self.flush()
        return text or "ok"

    def shutdown(self):
        """One SSL_shutdown() call; its return value."""
        r = self.L.SSL_shutdown(self.ssl)
        self.L.ERR_clear_error()
        self.flush()
        return str(r)


def lcg_bytes(n, seed=42):
    """The same 'random' bytes as lcg_bytes() in test_hostile.c."""
    x = seed
    out = bytearray()
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((x >> 16) & 0xFF)
    return bytes(out)


def describe_records(data):
    """TLS records in raw bytes: alert(level,desc) for plaintext alerts,
    rec(type,len) otherwise, partial(type,have/len), tail(n); none."""
    parts = []
    i = 0
    while len(data) - i >= 5:
        t = data[i]
        n = (data[i + 3] << 8) | data[i + 4]
        if len(data) - i - 5 < n:
            parts.append("partial(%d,%d/%d)" % (t, len(data) - i - 5, n))
            i = len(data)
            break
        if t == 21 and n == 2:
            parts.append("alert(%d,%d)" % (data[i + 5], data[i + 6]))
        else:
            parts.append("rec(%d,%d)" % (t, n))
        i += 5 + n
    if i < len(data):
        parts.append("tail(%d)" % (len(data) - i))
    return " ".join(parts) if parts else "none"


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        try:
            d = sock.recv(n - len(out))
        except OSError:
            break
        if not d:
            break
        out += d
    return out


def recv_record(sock):
    """One whole TLS record (less if the connection ends first)."""
    hdr = recv_exact(sock, 5)
    if len(hdr) < 5:
        return hdr
    return hdr + recv_exact(sock, (hdr[3] << 8) | hdr[4])


def recv_available(sock):
    """What has arrived already, without waiting."""
    out = b""
    sock.setblocking(False)
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    sock.settimeout(LONG)
    return out


def drain(sock):
    """Everything until EOF (the other side closes when it is done)."""
    out = b""
    while True:
        try:
            d = sock.recv(65536)
        except OSError:
            break
        if not d:
            break
        out += d
    return out


def note(rec, sid, text):
    """Records one of the peer's observations and returns it."""
    rec.value(sid, text)
    return text


def h_client(sock, timeout=LONG):
    sock.settimeout(timeout)
    return client_ctx()._wrap_socket(sock, False, "localhost")


def h_server(sock, timeout=LONG):
    sock.settimeout(timeout)
    return server_ctx()._wrap_socket(sock, True, None)


def h_fail_steps(rec, P, o):
    """After a failed handshake: read and shutdown, as simple_pair."""
    rec.call(P + "read_after", lambda: o.read(10), repr)
    rec.call(P + "shutdown", o.shutdown)


@scenario
def hostile_garbage(rec):
    # Plaintext at a server: an HTTP request, then random bytes.
    def to_server(P, data):
        def peer(sock, ev):
            sock.settimeout(LONG)
            sock.sendall(data)
            ev.wait(0)
            rec.value(P + "peer.received", describe_records(drain(sock)))

        def side(sock, ev):
            try:
                o = h_server(sock)
                if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
                    h_fail_steps(rec, P + "server.", o)
            finally:
                sock.close()
                ev.set(0)

        run_pair(rec, P.rstrip("."), peer, side)

    to_server("hostile.http_to_server.",
              b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    to_server("hostile.garbage_to_server.", lcg_bytes(256))

    # Random bytes answering the client's hello; an SSH banner sent first.
    def to_client(P, data, first):
        def peer(sock, ev):
            sock.settimeout(LONG)
            if not first:
                rec.value(P + "peer.client_hello", describe_records(recv_record(sock)))
            sock.sendall(data)
            ev.wait(0)
            rec.value(P + "peer.received", describe_records(drain(sock)))

        def side(sock, ev):
            try:
                o = h_client(sock)
                if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                    h_fail_steps(rec, P + "client.", o)
            finally:
                sock.close()
                ev.set(0)

        run_pair(rec, P.rstrip("."), side, peer)

    to_client("hostile.garbage_to_client.", lcg_bytes(256), False)
    to_client("hostile.ssh_banner_to_client.", b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", True)


@scenario
def hostile_truncated(rec):
    # A record header announcing more than follows, then close: in the
    # handshake (both sides) and in application data (both sides).
    P = "hostile.truncated_hs_to_client."

    def peer1(sock, ev):
        sock.settimeout(LONG)
        recv_record(sock)
        sock.sendall(b"\x16\x03\x03\x40\x00" + lcg_bytes(100))
        sock.close()

    def client1(sock, ev):
        o = h_client(sock)
        rec.call(P + "client.handshake", o.do_handshake)
        rec.call(P + "client.handshake_again", o.do_handshake)

    run_pair(rec, P.rstrip("."), client1, peer1)

    P2 = "hostile.truncated_hs_to_server."

    def peer2(sock, ev):
        sock.sendall(b"\x16\x03\x01\x02\x00" + lcg_bytes(100))
        sock.close()

    def server2(sock, ev):
        o = h_server(sock)
        rec.call(P2 + "server.handshake", o.do_handshake)
        rec.call(P2 + "server.handshake_again", o.do_handshake)

    run_pair(rec, P2.rstrip("."), peer2, server2)

    def data_to_client(P, maxver):
        def peer(sock, ev):
            sock.settimeout(LONG)
            raw = RawTLS(sock, True, "server", maxver=maxver)
            if note(rec, P + "peer.handshake", raw.handshake()) == "ok":
                rec.value(P + "peer.write", raw.write(b"hello"))
                sock.sendall(b"\x17\x03\x03\x40\x00" + lcg_bytes(100))
            sock.close()
            raw.free()

        def client(sock, ev):
            o = h_client(sock)
            if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                return
            rec.call(P + "client.read", lambda: o.read(100), repr)
            rec.call(P + "client.read_truncated", lambda: o.read(100), repr)
            rec.call(P + "client.read_again", lambda: o.read(100), repr)
            rec.call(P + "client.write", lambda: o.write(b"x"), repr)
            rec.call(P + "client.shutdown", o.shutdown)

        run_pair(rec, P.rstrip("."), client, peer)

    data_to_client("hostile.truncated_data_to_client.", 0)
    data_to_client("hostile.truncated_data_to_client_tls12.", 0x303)

    P3 = "hostile.truncated_data_to_server."

    def peer3(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, False)
        if note(rec, P3 + "peer.handshake", raw.handshake()) == "ok":
            ev.wait(1)
            # The server's tickets: read, so that the close is a clean EOF.
            note(rec, P3 + "peer.tickets", describe_records(recv_available(sock)))
            note(rec, P3 + "peer.write", raw.write(b"hello"))
            sock.sendall(b"\x17\x03\x03\x40\x00" + lcg_bytes(100))
        sock.close()
        raw.free()

    def server3(sock, ev):
        try:
            o = h_server(sock)
            if rec.call(P3 + "server.handshake", o.do_handshake) is FAILED:
                return
            ev.set(1)
            rec.call(P3 + "server.read", lambda: o.read(100), repr)
            rec.call(P3 + "server.read_truncated", lambda: o.read(100), repr)
            rec.call(P3 + "server.read_again", lambda: o.read(100), repr)
            rec.call(P3 + "server.shutdown", o.shutdown)
        finally:
            ev.set(1)

    run_pair(rec, P3.rstrip("."), peer3, server3)


@scenario
def hostile_closes(rec):
    # The server peer answers the hello with its first record (ServerHello)
    # only, then closes.
    def after_server_hello(P, maxver):
        def peer(sock, ev):
            sock.settimeout(LONG)
            raw = RawTLS(sock, True, "server", maxver=maxver)
            raw.feed(recv_record(sock))
            raw.L.SSL_do_handshake(raw.ssl)
            raw.L.ERR_clear_error()
            first = recv_record_from(raw.take())
            note(rec, P + "peer.sent", describe_records(first))
            sock.sendall(first)
            sock.close()
            raw.free()

        def client(sock, ev):
            o = h_client(sock)
            rec.call(P + "client.handshake", o.do_handshake)
            rec.call(P + "client.handshake_again", o.do_handshake)

        run_pair(rec, P.rstrip("."), client, peer)

    after_server_hello("hostile.close_after_server_hello.", 0)
    after_server_hello("hostile.close_after_server_hello_tls12.", 0x303)

    # The client peer sends its hello, reads the server's first record, closes.
    P = "hostile.close_after_client_hello."

    def peer2(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, False)
        raw.L.SSL_do_handshake(raw.ssl)
        raw.L.ERR_clear_error()
        raw.flush()
        note(rec, P + "peer.received", describe_records(recv_record(sock)))
        sock.close()
        raw.free()

    def server2(sock, ev):
        o = h_server(sock)
        rec.call(P + "server.handshake", o.do_handshake)
        rec.call(P + "server.handshake_again", o.do_handshake)

    run_pair(rec, P.rstrip("."), peer2, server2)

    # Data, then a TCP close without close_notify.
    P = "hostile.ragged_after_data."

    def peer3(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, True, "server")
        if note(rec, P + "peer.handshake", raw.handshake()) == "ok":
            note(rec, P + "peer.write", raw.write(b"data"))
        sock.close()
        raw.free()

    def client3(sock, ev):
        o = h_client(sock)
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "client.read", lambda: o.read(100), repr)
        rec.call(P + "client.read_eof", lambda: o.read(100), repr)
        rec.call(P + "client.read_again", lambda: o.read(100), repr)
        rec.call(P + "client.write", lambda: o.write(b"x"), repr)
        rec.call(P + "client.shutdown", o.shutdown)

    run_pair(rec, P.rstrip("."), client3, peer3)

    P4 = "hostile.ragged_after_data_server."

    def peer4(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, False)
        if note(rec, P4 + "peer.handshake", raw.handshake()) == "ok":
            ev.wait(1)
            note(rec, P4 + "peer.tickets", describe_records(recv_available(sock)))
            note(rec, P4 + "peer.write", raw.write(b"data"))
        sock.close()
        raw.free()

    def server4(sock, ev):
        try:
            o = h_server(sock)
            if rec.call(P4 + "server.handshake", o.do_handshake) is FAILED:
                return
            ev.set(1)
            rec.call(P4 + "server.read", lambda: o.read(100), repr)
            rec.call(P4 + "server.read_eof", lambda: o.read(100), repr)
            rec.call(P4 + "server.read_again", lambda: o.read(100), repr)
            rec.call(P4 + "server.shutdown", o.shutdown)
        finally:
            ev.set(1)

    run_pair(rec, P4.rstrip("."), peer4, server4)


def recv_record_from(data):
    """The first whole TLS record of data."""
    if len(data) < 5:
        return data
    return data[:5 + ((data[3] << 8) | data[4])]


@scenario
def hostile_stalls(rec):
    # Loopback TCP peers that accept and then say nothing (or stop halfway).
    def silent(sock, ev):
        ev.wait(0)

    def client_side(P, steps):
        def client(sock, ev):
            try:
                steps(P, sock, ev)
            finally:
                ev.set(0)
        return client

    def hs_client(P, sock, ev):
        o = h_client(sock, SHORT)
        rec.call(P + "client.handshake", o.do_handshake)

    run_pair(rec, "hostile.stall_handshake_client",
             client_side("hostile.stall_handshake_client.", hs_client), silent, tcp=True)

    def nb_client(P, sock, ev):
        o = h_client(sock, 0)
        rec.call(P + "client.handshake", o.do_handshake)
        rec.call(P + "client.handshake_again", o.do_handshake)
        rec.call(P + "client.read", lambda: o.read(10), repr)

    run_pair(rec, "hostile.stall_nb_handshake_client",
             client_side("hostile.stall_nb_handshake_client.", nb_client), silent, tcp=True)

    def server_side(P, timeout, partial):
        def server(sock, ev):
            try:
                o = h_server(sock, timeout)
                if partial:
                    ev.wait(1)
                rec.call(P + "server.handshake", o.do_handshake)
                rec.call(P + "server.handshake_again", o.do_handshake)
            finally:
                ev.set(0)

        def peer(sock, ev):
            if partial:
                sock.sendall(b"\x16\x03\x01\x02\x00" + lcg_bytes(20))
                time.sleep(0.05)
                ev.set(1)
            ev.wait(0)

        run_pair(rec, P.rstrip("."), peer, server, tcp=True)

    server_side("hostile.stall_handshake_server.", SHORT, False)
    server_side("hostile.stall_partial_hello_server.", SHORT, True)
    server_side("hostile.stall_nb_partial_hello_server.", 0, True)

    # A raw TLS server that completes the handshake, then stalls, possibly
    # in the middle of a record.
    def after_handshake(P, partial, timeout):
        def peer(sock, ev):
            sock.settimeout(LONG)
            raw = RawTLS(sock, True, "server")
            if note(rec, P + "peer.handshake", raw.handshake()) == "ok" and partial:
                sock.sendall(b"\x17\x03\x03\x00\x40" + lcg_bytes(10))
            ev.set(1)
            ev.wait(0)
            raw.free()

        def client(sock, ev):
            try:
                o = h_client(sock)
                if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                    return
                ev.wait(1)
                time.sleep(0.05)
                sock.settimeout(timeout)
                rec.call(P + "client.read", lambda: o.read(10), repr)
                rec.call(P + "client.read_again", lambda: o.read(10), repr)
                rec.call(P + "client.pending", o.pending, repr)
            finally:
                ev.set(0)

        run_pair(rec, P.rstrip("."), client, peer, tcp=True)

    after_handshake("hostile.stall_read_client.", False, SHORT)
    after_handshake("hostile.stall_mid_record_client.", True, SHORT)
    after_handshake("hostile.stall_nb_mid_record_client.", True, 0)


@scenario
def hostile_big_chain(rec):
    # A certificate message well over max_cert_list (100 KiB).
    def big(P, maxver):
        def peer(sock, ev):
            sock.settimeout(LONG)
            raw = RawTLS(sock, True, "big", maxver=maxver)
            raw.feed(recv_record(sock))
            raw.L.SSL_do_handshake(raw.ssl)
            raw.L.ERR_clear_error()
            raw.flush()
            ev.wait(0)
            note(rec, P + "peer.received", describe_records(drain(sock)))
            raw.free()

        def client(sock, ev):
            try:
                o = h_client(sock)
                if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                    h_fail_steps(rec, P + "client.", o)
            finally:
                sock.close()
                ev.set(0)

        run_pair(rec, P.rstrip("."), client, peer)

    big("hostile.big_chain.", 0)
    big("hostile.big_chain_tls12.", 0x303)


@scenario
def hostile_renegotiation(rec):
    # TLS 1.2: the raw server asks for a renegotiation between two writes.
    P = "hostile.reneg_by_server."

    def peer(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, True, "server", maxver=0x303)
        if note(rec, P + "peer.handshake", raw.handshake()) == "ok":
            note(rec, P + "peer.write_before", raw.write(b"before"))
            note(rec, P + "peer.renegotiate", str(raw.L.SSL_renegotiate(raw.ssl)))
            note(rec, P + "peer.hello_request", raw.handshake())
            note(rec, P + "peer.write_after", raw.write(b"after"))
            note(rec, P + "peer.read", raw.read())
            note(rec, P + "peer.write_bye", raw.write(b"bye"))
            note(rec, P + "peer.read_close", raw.read())
            note(rec, P + "peer.shutdown", raw.shutdown())
        sock.close()
        raw.free()

    def client(sock, ev):
        o = h_client(sock)
        if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P + "client.read", lambda: o.read(100), repr)
        rec.call(P + "client.read_after", lambda: o.read(100), repr)
        rec.call(P + "client.write", lambda: o.write(b"done"), repr)
        rec.call(P + "client.read_bye", lambda: o.read(100), repr)
        rec.call(P + "client.version", o.version, repr)
        rec.call(P + "client.shutdown", o.shutdown)

    run_pair(rec, P.rstrip("."), client, peer)

    # TLS 1.2: the raw client renegotiates on its own.
    P2 = "hostile.reneg_by_client."

    def peer2(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, False, maxver=0x303)
        if note(rec, P2 + "peer.handshake", raw.handshake()) == "ok":
            note(rec, P2 + "peer.write_before", raw.write(b"before"))
            note(rec, P2 + "peer.renegotiate", str(raw.L.SSL_renegotiate(raw.ssl)))
            note(rec, P2 + "peer.renegotiation", raw.handshake())
            note(rec, P2 + "peer.write_after", raw.write(b"after"))
        sock.shutdown(socket.SHUT_WR)
        ev.wait(0)
        note(rec, P2 + "peer.received", describe_records(drain(sock)))
        raw.free()

    def server2(sock, ev):
        try:
            o = h_server(sock)
            if rec.call(P2 + "server.handshake", o.do_handshake) is FAILED:
                return
            rec.call(P2 + "server.read", lambda: o.read(100), repr)
            rec.call(P2 + "server.read_after", lambda: o.read(100), repr)
            rec.call(P2 + "server.read_again", lambda: o.read(100), repr)
            rec.call(P2 + "server.shutdown", o.shutdown)
        finally:
            sock.close()
            ev.set(0)

    run_pair(rec, P2.rstrip("."), peer2, server2)

    # TLS 1.3: KeyUpdate (update_requested) from the raw server / client
    # between two writes.
    P3 = "hostile.key_update_by_server."

    def peer3(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, True, "server")
        if note(rec, P3 + "peer.handshake", raw.handshake()) == "ok":
            note(rec, P3 + "peer.write_one", raw.write(b"one"))
            note(rec, P3 + "peer.key_update", str(raw.L.SSL_key_update(raw.ssl, 1)))
            note(rec, P3 + "peer.write_two", raw.write(b"two"))
            note(rec, P3 + "peer.read", raw.read())
            note(rec, P3 + "peer.write_three", raw.write(b"three"))
            note(rec, P3 + "peer.read_close", raw.read())
            note(rec, P3 + "peer.shutdown", raw.shutdown())
        sock.close()
        raw.free()

    def client3(sock, ev):
        o = h_client(sock)
        if rec.call(P3 + "client.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P3 + "client.read_one", lambda: o.read(100), repr)
        rec.call(P3 + "client.read_two", lambda: o.read(100), repr)
        rec.call(P3 + "client.write", lambda: o.write(b"ack"), repr)
        rec.call(P3 + "client.read_three", lambda: o.read(100), repr)
        rec.call(P3 + "client.shutdown", o.shutdown)

    run_pair(rec, P3.rstrip("."), client3, peer3)

    P4 = "hostile.key_update_by_client."

    def peer4(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, False)
        if note(rec, P4 + "peer.handshake", raw.handshake()) == "ok":
            note(rec, P4 + "peer.write_one", raw.write(b"one"))
            note(rec, P4 + "peer.key_update", str(raw.L.SSL_key_update(raw.ssl, 1)))
            note(rec, P4 + "peer.write_two", raw.write(b"two"))
            note(rec, P4 + "peer.read", raw.read())
            note(rec, P4 + "peer.write_three", raw.write(b"three"))
            note(rec, P4 + "peer.read_close", raw.read())
            note(rec, P4 + "peer.shutdown", raw.shutdown())
        sock.close()
        raw.free()

    def server4(sock, ev):
        o = h_server(sock)
        if rec.call(P4 + "server.handshake", o.do_handshake) is FAILED:
            return
        rec.call(P4 + "server.read_one", lambda: o.read(100), repr)
        rec.call(P4 + "server.read_two", lambda: o.read(100), repr)
        rec.call(P4 + "server.write", lambda: o.write(b"ack"), repr)
        rec.call(P4 + "server.read_three", lambda: o.read(100), repr)
        rec.call(P4 + "server.shutdown", o.shutdown)

    run_pair(rec, P4.rstrip("."), peer4, server4)

    # TLS 1.3: 1,000 KeyUpdates in a row, then data and close_notify.
    P5 = "hostile.key_update_flood."

    def peer5(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, True, "server")
        if note(rec, P5 + "peer.handshake", raw.handshake()) == "ok":
            sent = 0
            for _ in range(1000):
                if raw.L.SSL_key_update(raw.ssl, 0) != 1:
                    break
                if raw.L.SSL_do_handshake(raw.ssl) != 1:
                    break
                sent += 1
            raw.L.ERR_clear_error()
            raw.flush()
            note(rec, P5 + "peer.key_updates", str(sent))
            note(rec, P5 + "peer.write", raw.write(b"data"))
            note(rec, P5 + "peer.shutdown", raw.shutdown())
        ev.wait(0)
        note(rec, P5 + "peer.received", describe_records(drain(sock)))
        raw.free()

    def client5(sock, ev):
        try:
            o = h_client(sock)
            if rec.call(P5 + "client.handshake", o.do_handshake) is FAILED:
                return
            rec.call(P5 + "client.read", lambda: o.read(100), repr)
            rec.call(P5 + "client.read_again", lambda: o.read(100), repr)
            rec.call(P5 + "client.shutdown", o.shutdown)
        finally:
            sock.close()
            ev.set(0)

    run_pair(rec, P5.rstrip("."), client5, peer5)


@scenario
def hostile_after_close_notify(rec):
    # close_notify, then more: plaintext bytes, or a valid application-data
    # record (SSL_set_shutdown(0) lets the raw peer write again).
    def to_client(P, record):
        def peer(sock, ev):
            sock.settimeout(LONG)
            raw = RawTLS(sock, True, "server")
            if note(rec, P + "peer.handshake", raw.handshake()) == "ok":
                note(rec, P + "peer.write", raw.write(b"hello"))
                note(rec, P + "peer.shutdown", raw.shutdown())
                if record:
                    raw.L.SSL_set_shutdown(raw.ssl, 0)
                    note(rec, P + "peer.write_after", raw.write(b"after"))
                else:
                    sock.sendall(b"plaintext after close_notify")
            ev.set(1)
            ev.wait(0)
            note(rec, P + "peer.received", describe_records(drain(sock)))
            raw.free()

        def client(sock, ev):
            try:
                o = h_client(sock)
                if rec.call(P + "client.handshake", o.do_handshake) is FAILED:
                    return
                ev.wait(1)
                rec.call(P + "client.read", lambda: o.read(100), repr)
                rec.call(P + "client.read_eof", lambda: o.read(100), repr)
                rec.call(P + "client.read_again", lambda: o.read(100), repr)
                rec.call(P + "client.shutdown", o.shutdown)
                sock.settimeout(SHORT)
                rec.call(P + "client.recv_rest",
                         lambda: describe_records(sock.recv(4096)) if record
                         else repr(sock.recv(4096)), str)
            finally:
                sock.close()
                ev.set(0)

        run_pair(rec, P.rstrip("."), client, peer)

    to_client("hostile.after_close_notify_plain.", False)
    to_client("hostile.after_close_notify_record.", True)

    P = "hostile.after_close_notify_server."

    def peer2(sock, ev):
        sock.settimeout(LONG)
        raw = RawTLS(sock, False)
        if note(rec, P + "peer.handshake", raw.handshake()) == "ok":
            ev.wait(1)
            note(rec, P + "peer.write", raw.write(b"hello"))
            note(rec, P + "peer.shutdown", raw.shutdown())
            raw.L.SSL_set_shutdown(raw.ssl, 0)
            note(rec, P + "peer.write_after", raw.write(b"after"))
        ev.set(2)
        ev.wait(0)
        note(rec, P + "peer.received", describe_records(drain(sock)))
        raw.free()

    def server2(sock, ev):
        try:
            o = h_server(sock)
            if rec.call(P + "server.handshake", o.do_handshake) is FAILED:
                return
            ev.set(1)
            ev.wait(2)
            rec.call(P + "server.read", lambda: o.read(100), repr)
            rec.call(P + "server.read_eof", lambda: o.read(100), repr)
            rec.call(P + "server.read_again", lambda: o.read(100), repr)
            rec.call(P + "server.shutdown", o.shutdown)
            sock.settimeout(SHORT)
            rec.call(P + "server.recv_rest",
                     lambda: describe_records(sock.recv(4096)), str)
        finally:
            ev.set(1)
            sock.close()
            ev.set(0)

    run_pair(rec, P.rstrip("."), peer2, server2)


# --- security defaults (test_security.c) -------------------------------------

PASSWORD = "Tr0ub4dor&3-correct-horse-battery-staple"
PSK_CLIENT = b"psk-client-key-0123456789abcdef!"
PSK_SERVER = b"psk-server-key-fedcba9876543210!"


def legacy_only(ctx):
    """TLS 1.0 and 1.1 only, at security level 0."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def legacy_allowed(ctx):
    """The host's explicit opt-in: TLS 1.0 and up, security level 0."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def keylog_labels(path):
    try:
        with open(path) as f:
            lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
    except OSError as e:
        return "unreadable: %s" % e.strerror
    return ",".join(sorted(set(l[0] for l in lines))) or "empty"


def keylog_secrets(path):
    """The hex fields of a key log (client randoms and secrets)."""
    out = []
    with open(path) as f:
        for l in f:
            if l.strip() and not l.startswith("#"):
                out += l.split()[1:]
    return out


def secrets_in(rec, prefix, secrets):
    """Which secrets (hex, either case, or raw bytes) appear in the error
    fields recorded under prefix: 'none', or the offending step ids."""
    bad = []
    with rec.lock:
        lines = [l for l in rec.lines if l.startswith(prefix)]
    for l in lines:
        fields = l.split("|")
        if fields[1] == "OK":
            continue
        text = "|".join(fields[2:])
        for sec in secrets:
            forms = [sec] if isinstance(sec, str) else [sec.hex(), sec.hex().upper(),
                                                        sec.decode("latin-1")]
            if any(f.lower() in text.lower() for f in forms):
                bad.append(fields[0])
                break
    return ",".join(bad) or "none"


@scenario
def security_verification(rec):
    P = "security."

    def defaults():
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return "verify_mode=%d check_hostname=%d" % (c.verify_mode, c.check_hostname)

    rec.call(P + "defaults.client", defaults, str)
    rec.call(P + "defaults.cert_none_refused",
             lambda: setattr(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), "verify_mode",
                             ssl.CERT_NONE))
    u = socket.socket(socket.AF_UNIX)
    rec.call(P + "defaults.hostname_required",
             lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).wrap_socket(
                 u, server_side=False, do_handshake_on_connect=False))
    u.close()

    # A default client (no CA loaded), a CA but a self-signed server, and
    # the right CA with the wrong host: all refused.
    simple_pair(rec, "security.untrusted.", ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
                server_ctx(), "localhost")
    simple_pair(rec, "security.untrusted_selfsigned.", client_ctx(),
                server_ctx("selfsigned"), "localhost")
    simple_pair(rec, "security.wrong_host.", client_ctx(), server_ctx("wronghost"),
                "localhost")
    simple_pair(rec, "security.wrong_host_ip.", client_ctx(), server_ctx(), "127.0.0.2")

    # ... unless the host turns both checks off.
    def opted_out():
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        return c

    simple_pair(rec, "security.opt_out.", opted_out(), server_ctx("wronghost"), "localhost")
    simple_pair(rec, "security.opt_out_selfsigned.", opted_out(), server_ctx("selfsigned"),
                "example.org")


@scenario
def security_versions(rec):
    # Nothing below TLS 1.2 by default, on either side; only an explicit
    # opt-in (minimum_version and @SECLEVEL=0) gets TLS 1.1.
    # The default side's refusal is not compared: Debian's builds leave
    # minimum_version at MINIMUM_SUPPORTED, take the TLS 1.1 hello and fail
    # later ("legacy sigalg disallowed or unsupported", "no suitable
    # signature algorithm"), where pyssl keeps its TLS 1.2 floor in every
    # mode (docs/behaviour.md); test_security.c checks that contract directly.
    simple_pair(rec, "security.tls11_server_opt_in.", legacy_allowed(client_ctx()),
                legacy_only(server_ctx()), "localhost")
    simple_pair(rec, "security.tls11_client_opt_in.", legacy_only(client_ctx()),
                legacy_allowed(server_ctx()), "localhost")


@scenario
def security_secrets(rec):
    P = "security.password."
    s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    rec.call(P + "wrong",
             lambda: s.load_cert_chain(cert("server.pem"), cert("server_enc.key"), PASSWORD))
    rec.call(P + "too_long",
             lambda: s.load_cert_chain(cert("server.pem"), cert("server_enc.key"),
                                       PASSWORD * 30))
    rec.call(P + "on_plain_key_mismatch",
             lambda: s.load_cert_chain(cert("server.pem"), cert("client.key"), PASSWORD))
    rec.value(P + "secrets_in_errors", secrets_in(rec, P, [PASSWORD]))

    # A key log is being written while a handshake fails.
    import tempfile
    P = "security.keylog."
    d = tempfile.mkdtemp(prefix="pyssl-oracle-")
    cpath, spath = os.path.join(d, "client.keys"), os.path.join(d, "server.keys")
    c, s = client_ctx(), server_ctx("wronghost")
    c.keylog_filename = cpath
    s.keylog_filename = spath
    simple_pair(rec, P, c, s, "localhost")
    del c, s
    gc.collect()
    rec.value(P + "client_labels", keylog_labels(cpath))
    rec.value(P + "server_labels", keylog_labels(spath))
    rec.value(P + "secrets_in_errors",
              secrets_in(rec, P, keylog_secrets(cpath) + keylog_secrets(spath)))
    for f in (cpath, spath):
        os.unlink(f)
    os.rmdir(d)

    # TLS 1.2 PSK (CPython 3.13): mismatched keys fail, matching keys work.
    if not hasattr(ssl.SSLContext, "set_psk_client_callback"):
        return

    def psk_pair(P, client_key):
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        c.maximum_version = ssl.TLSVersion.TLSv1_2
        c.set_ciphers("PSK")
        c.set_psk_client_callback(lambda hint: ("client-id", client_key))
        s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        s.maximum_version = ssl.TLSVersion.TLSv1_2
        s.set_ciphers("PSK")
        s.set_psk_server_callback(lambda identity: PSK_SERVER, "server-hint")
        simple_pair(rec, P, c, s, None)
        rec.value(P + "secrets_in_errors", secrets_in(rec, P, [PSK_CLIENT, PSK_SERVER]))

    psk_pair("security.psk_mismatch.", PSK_CLIENT)
    psk_pair("security.psk_ok.", PSK_SERVER)


def main():
    global CERTS
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    CERTS = os.path.abspath(sys.argv[1])
    out = sys.argv[2]
    rec = Recorder()
    for fn in SCENARIOS:
        try:
            fn(rec)
        except Exception:
            rec.put(fn.__name__ + ".harness",
                    ["HarnessError", traceback.format_exc(), "", "", "", "", ""])
    header = "# python %s, %s\n" % (sys.version.split()[0], ssl.OPENSSL_VERSION)
    with open(out + ".tmp", "w") as f:
        f.write(header)
        for line in rec.lines:
            f.write(line + "\n")
    os.replace(out + ".tmp", out)
    print("%s: %d steps, %s" % (out, len(rec.lines), header.strip("# \n")))
    harness = [l for l in rec.lines if "|HarnessError|" in l]
    for l in harness:
        print("harness error: " + l, file=sys.stderr)
    return 1 if harness else 0


if __name__ == "__main__":
    sys.exit(main())
