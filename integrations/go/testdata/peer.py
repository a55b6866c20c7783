"""CPython's ssl playing the scenarios of the Go tests (Debian's python3.11).

    peer.py server CONFIG   listens on 127.0.0.1 (prints "port N"), serves
                            CONFIG["count"] connections, prints one JSON
                            observation a connection, then exits
    peer.py client PORT CONFIG
                            connects to 127.0.0.1:PORT, prints one JSON
                            observation
    peer.py facts CERTDIR   prints JSON: context defaults, the errors of
                            context/BIO misuse, exception MROs, decoded
                            certificates

CONFIG is JSON (the Go test's peerConfig). An observation records what a
Python program sees, with reprs where Python would print values; the Go
side builds the same from pyssl and the tests compare them. The pyssl
side of each scenario lives in scenarios_test.go: keep the steps alike.
"""
import builtins
import hashlib
import json
import os
import re
import socket
import ssl
import sys
import warnings

import _ssl

# No step may wait longer: a stuck peer fails the test instead of hanging.
TIMEOUT = 20.0
MAX_READS = 1000


def norm(msg):
    """Drops the source location CPython (and pyssl, its own) appends."""
    msg = re.sub(r" \([^ ()]+:\d+\)$", "", msg)
    return re.sub(r"^[^ :]+:\d+: ", "", msg)


def err_obs(e):
    return {
        "class": type(e).__name__,
        "message": norm(str(e)),
        "errno": e.errno if isinstance(e, OSError) else None,
        "library": getattr(e, "library", None),
        "reason": getattr(e, "reason", None),
        "verify_code": getattr(e, "verify_code", None),
        "verify_message": getattr(e, "verify_message", None),
    }


class Stop(Exception):
    pass


def step(obs, name, fn):
    try:
        return fn()
    except Exception as e:  # the scenario's outcome, recorded
        obs["error"] = err_obs(e)
        obs["step"] = name
        raise Stop()


def make_ctx(cfg, server):
    d = cfg["certdir"]
    p = lambda f: os.path.join(d, f)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    if cfg.get("check_hostname") is not None:
        ctx.check_hostname = cfg["check_hostname"]
    if cfg.get("verify_mode") is not None:
        ctx.verify_mode = cfg["verify_mode"]
    if cfg.get("cafile"):
        ctx.load_verify_locations(p(cfg["cafile"]))
    if cfg.get("certfile"):
        ctx.load_cert_chain(p(cfg["certfile"]), p(cfg["keyfile"]) if cfg.get("keyfile") else None)
    if cfg.get("alpn"):
        ctx.set_alpn_protocols(cfg["alpn"])
    if cfg.get("ciphers"):
        ctx.set_ciphers(cfg["ciphers"])
    if cfg.get("max_tls12"):
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def record(tls, obs):
    obs["version"] = tls.version()
    obs["cipher"] = repr(tls.cipher())
    obs["peercert"] = repr(tls.getpeercert())
    der = tls.getpeercert(True)
    obs["der_sha256"] = hashlib.sha256(der).hexdigest() if der is not None else None
    obs["alpn"] = repr(tls.selected_alpn_protocol())


def client_conn(tls, cfg, obs):
    step(obs, "handshake", tls.do_handshake)
    record(tls, obs)
    data = cfg.get("send", "").encode()
    if data:
        step(obs, "write", lambda: tls.write(data))
        got = b""
        for _ in range(MAX_READS):
            if len(got) >= len(data):
                break
            chunk = step(obs, "read", lambda: tls.read(len(data) - len(got)))
            if not chunk:
                break
            got += chunk
        obs["echo"] = repr(got)
    if cfg.get("read_to_eof"):
        obs["reads"] = []
        for _ in range(10):
            chunk = step(obs, "read", lambda: tls.read(1024))
            obs["reads"].append(repr(chunk))
            if not chunk:
                break
    # Before unwrap(), which drops the SSLObject and with it .session.
    obs["_session"] = tls.session
    obs["_reused"] = tls.session_reused
    if cfg.get("shutdown"):
        step(obs, "shutdown", tls.unwrap)
        obs["shutdown"] = "ok"


def client(port, cfg):
    ctx = make_ctx(cfg, server=False)
    obs = {}
    session = None
    for attempt in range(2 if cfg.get("resume") else 1):
        conn_obs = obs if attempt == 0 else {}
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
            tls = ctx.wrap_socket(raw, server_hostname=cfg.get("server_hostname"),
                                  do_handshake_on_connect=False,
                                  suppress_ragged_eofs=False, session=session)
            try:
                client_conn(tls, cfg, conn_obs)
            except Stop:
                pass
            if attempt == 0:
                session = conn_obs.get("_session")
            else:
                obs["reused"] = conn_obs.get("_reused")
                obs["second_error"] = conn_obs.get("error")
            tls.close()
    obs.pop("_session", None)
    obs.pop("_reused", None)
    print(json.dumps(obs), flush=True)


def server_conn(tls, cfg, obs):
    step(obs, "handshake", tls.do_handshake)
    record(tls, obs)
    if cfg.get("echo"):
        obs["reads"] = []
        for _ in range(MAX_READS):
            chunk = step(obs, "read", lambda: tls.read(16384))
            obs["reads"].append(repr(chunk))
            if not chunk:
                break
            step(obs, "write", lambda: tls.write(chunk))
    data = cfg.get("send", "").encode()
    if data:
        step(obs, "write", lambda: tls.write(data))
    if cfg.get("close") == "notify" or cfg.get("shutdown"):
        step(obs, "shutdown", tls.unwrap)
        obs["shutdown"] = "ok"


def server(cfg):
    ctx = make_ctx(cfg, server=True)
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(8)
        lsock.settimeout(TIMEOUT)
        print("port %d" % lsock.getsockname()[1], flush=True)
        for _ in range(cfg.get("count", 1)):
            conn, _ = lsock.accept()
            conn.settimeout(TIMEOUT)
            obs = {}
            with conn:
                tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False,
                                      suppress_ragged_eofs=False)
                try:
                    server_conn(tls, cfg, obs)
                except Stop:
                    pass
                # close() sends nothing: "ragged" ends the TCP connection
                # without close_notify.
                tls.close()
            print(json.dumps(obs), flush=True)


def try_obs(fn):
    try:
        r = fn()
        return {"ok": repr(r)}
    except Exception as e:
        return {"error": err_obs(e)}


def facts(certdir):
    p = lambda f: os.path.join(certdir, f)
    out = {}
    defaults = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for name, proto in (("client", ssl.PROTOCOL_TLS_CLIENT), ("server", ssl.PROTOCOL_TLS_SERVER),
                            ("tls", ssl.PROTOCOL_TLS)):
            c = ssl.SSLContext(proto)
            defaults[name] = {
                "protocol": int(c.protocol),
                "verify_mode": int(c.verify_mode),
                "check_hostname": c.check_hostname,
                "minimum_version": int(c.minimum_version),
                "maximum_version": int(c.maximum_version),
                "options": int(c.options),
                "verify_flags": int(c.verify_flags),
                "security_level": c.security_level,
                "post_handshake_auth": c.post_handshake_auth,
                "hostname_checks_common_name": c.hostname_checks_common_name,
                "num_tickets": c.num_tickets,
            }
    out["defaults"] = defaults

    def client_ctx():
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)

    def bio_obj(hostname="localhost"):
        return client_ctx().wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO(), server_hostname=hostname)

    def write_after_eof():
        b = ssl.MemoryBIO()
        b.write_eof()
        return b.write(b"x")

    cases = {
        "load_verify_missing": lambda: client_ctx().load_verify_locations(p("missing.pem")),
        "load_verify_bad": lambda: client_ctx().load_verify_locations(p("bad.pem")),
        "load_cert_chain_bad": lambda: client_ctx().load_cert_chain(p("bad.pem")),
        "load_cert_chain_wrong_password": lambda: client_ctx().load_cert_chain(
            p("server.pem"), p("server_enc.key"), password="wrong"),
        "load_cert_chain_password": lambda: client_ctx().load_cert_chain(
            p("server.pem"), p("server_enc.key"), password="secret"),
        "set_ciphers_bad": lambda: client_ctx().set_ciphers("NOPE"),
        "verify_none_with_check_hostname": lambda: setattr(client_ctx(), "verify_mode", ssl.CERT_NONE),
        "alpn_empty": lambda: client_ctx().set_alpn_protocols([""]),
        "alpn_nonascii": lambda: client_ctx().set_alpn_protocols(["h\xe9"]),
        "alpn_nonascii_run": lambda: client_ctx().set_alpn_protocols(["ok", "x\u20ac\u20acy"]),
        "bio_handshake": lambda: bio_obj().do_handshake(),
        "bio_getpeercert_early": lambda: bio_obj().getpeercert(),
        "bio_write_after_eof": write_after_eof,
        # 3.11's wrap_bio() only warns here (DeprecationWarning).
        "bio_no_hostname": lambda: bio_obj(None) and None,
    }
    out["errors"] = {k: try_obs(f) for k, f in cases.items()}

    ca = client_ctx()
    ca.load_verify_locations(p("ca.pem"))
    out["ca_certs"] = repr(ca.get_ca_certs())
    out["cert_store_stats"] = repr(ca.cert_store_stats())

    names = sys.stdin.read().split()
    out["mro"] = {}
    for n in names:
        cls = getattr(ssl, n, None) or getattr(builtins, n, None)
        if isinstance(cls, type):
            out["mro"][n] = [k.__name__ for k in cls.__mro__ if k is not object]

    out["decoded"] = {}
    for f in sorted(os.listdir(certdir)):
        if f.endswith(".pem") and f not in ("bad.pem", "server_combined.pem"):
            out["decoded"][f] = try_obs(lambda: _ssl._test_decode_cert(p(f)))
    print(json.dumps(out), flush=True)


def main():
    mode = sys.argv[1]
    if mode == "server":
        server(json.loads(sys.argv[2]))
    elif mode == "client":
        client(int(sys.argv[2]), json.loads(sys.argv[3]))
    elif mode == "facts":
        facts(sys.argv[2])
    else:
        sys.exit("unknown mode " + mode)


main()
