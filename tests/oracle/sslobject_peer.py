"""CPython's ssl over memory BIOs, driven one JSON command per line.

The oracle for pyssl's differential tests (tests/bio_diff.rs and
tests/accessors_diff.rs). Run it with the CPython whose behaviour is the
reference (Debian's /usr/bin/python3.11 for pyssl's 3.11 mode, CPython 3.13
for the default mode). It reads commands from stdin and answers each with one
JSON line on stdout:

    {"out": HEX, "result": VALUE, "exc": null | [class, str(exc), errno, library, reason]}

"out" holds the bytes drained from the object's outgoing MemoryBIO after the
command (unless the command says "drain": false); commands without an object
answer "out": "".

The peer holds named contexts ("ctx"), SSLObjects ("obj") and sessions
("session"), so that one process can play both ends of a connection and keep
contexts across connections (session resumption).

Commands ("op"):
    hello                          Python and OpenSSL versions
    ctx_new      ctx protocol      ssl.SSLContext(protocol)
    ctx_get      ctx attr          getattr(ctx, attr)
    ctx_set      ctx attr value    setattr(ctx, attr, value)
    ctx_call     ctx method args   getattr(ctx, method)(*args)
                                   (with "repr": true, repr() of the result)
    wrap         ctx obj server_side server_hostname [session]
                                   ctx.wrap_bio(MemoryBIO(), MemoryBIO(), ...)
    feed         obj data          incoming.write(bytes.fromhex(data))
    write_eof    obj               incoming.write_eof()
    handshake    obj               _sslobj.do_handshake()
    read         obj n             _sslobj.read(n)            -> {"bytes": HEX}
    write        obj data          _sslobj.write(bytes)       -> int
    unwrap       obj               _sslobj.shutdown()
    pending      obj               _sslobj.pending()
    info         obj               a dict of the _sslobj accessors
    shared_ciphers_repr obj        repr(_sslobj.shared_ciphers())
    bio          obj               pending/eof of both MemoryBIOs
    get_session  obj session       sessions[session] = _sslobj.session
    set_session  obj session       _sslobj.session = sessions[session]
    session_info session           id length, timeout, ticket_lifetime_hint, has_ticket
    channel_binding obj cb_type    _sslobj.get_channel_binding(cb_type)
    verify_client_post_handshake obj
                                   _sslobj.verify_client_post_handshake()

Values are JSON; bytes become {"bytes": HEX}, tuples become lists, enums and
flags their int value; an exception raised inside an "info" field becomes
{"exc": [...]} in place of the value.
"""
import enum
import json
import ssl
import sys
import warnings

# Run with -I, which leaves the script's directory off sys.path.
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import debian_build  # noqa: E402,F401  contexts as Debian builds them

# Deprecated options and versions are part of what is compared.
warnings.simplefilter("ignore")

ctxs = {}
objs = {}
sessions = {}


def exc_info(e):
    errno = e.errno if isinstance(e, OSError) else None
    return [
        type(e).__name__,
        str(e),
        errno,
        getattr(e, "library", None),
        getattr(e, "reason", None),
        getattr(e, "verify_code", None),
        getattr(e, "verify_message", None),
    ]


def to_json(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, enum.Enum) or isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return v
    if isinstance(v, (bytes, bytearray)):
        return {"bytes": bytes(v).hex()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_json(x) for k, x in v.items()}
    return {"repr": repr(v)}


def guarded(f):
    try:
        return to_json(f())
    except Exception as e:  # noqa: BLE001 - every exception is data here
        return {"exc": exc_info(e)}


def info(o):
    s = o._sslobj
    return {
        "version": guarded(s.version),
        "cipher": guarded(s.cipher),
        "shared_ciphers": guarded(s.shared_ciphers),
        "selected_alpn_protocol": guarded(s.selected_alpn_protocol),
        "compression": guarded(s.compression),
        "session_reused": guarded(lambda: s.session_reused),
        "channel_binding": guarded(lambda: s.get_channel_binding("tls-unique")),
        "pending": guarded(s.pending),
        "server_side": guarded(lambda: s.server_side),
        "server_hostname": guarded(lambda: s.server_hostname),
        "session_is_none": guarded(lambda: s.session is None),
    }


def session_info(sess):
    return {
        "id_len": len(sess.id),
        "timeout": sess.timeout,
        "ticket_lifetime_hint": sess.ticket_lifetime_hint,
        "has_ticket": sess.has_ticket,
    }


def run(cmd):
    op = cmd["op"]
    if op == "hello":
        return {"version": sys.version, "openssl": ssl.OPENSSL_VERSION}
    if op == "ctx_new":
        ctxs[cmd["ctx"]] = ssl.SSLContext(cmd["protocol"])
        return None
    if op == "ctx_get":
        return getattr(ctxs[cmd["ctx"]], cmd["attr"])
    if op == "ctx_set":
        setattr(ctxs[cmd["ctx"]], cmd["attr"], cmd["value"])
        return None
    if op == "ctx_call":
        result = getattr(ctxs[cmd["ctx"]], cmd["method"])(*cmd.get("args", []))
        return repr(result) if cmd.get("repr") else result
    if op == "session_info":
        return session_info(sessions[cmd["session"]])
    if op == "wrap":
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        session = sessions[cmd["session"]] if cmd.get("session") else None
        o = ctxs[cmd["ctx"]].wrap_bio(
            incoming,
            outgoing,
            server_side=cmd["server_side"],
            server_hostname=cmd.get("server_hostname"),
            session=session,
        )
        objs[cmd["obj"]] = (o, incoming, outgoing)
        return None

    o, incoming, outgoing = objs[cmd["obj"]]
    s = o._sslobj
    if op == "feed":
        return incoming.write(bytes.fromhex(cmd["data"]))
    if op == "write_eof":
        return incoming.write_eof()
    if op == "handshake":
        return s.do_handshake()
    if op == "read":
        return s.read(cmd["n"])
    if op == "write":
        return s.write(bytes.fromhex(cmd["data"]))
    if op == "unwrap":
        return s.shutdown()
    if op == "pending":
        return s.pending()
    if op == "info":
        return info(o)
    if op == "shared_ciphers_repr":
        return repr(s.shared_ciphers())
    if op == "bio":
        return {
            "incoming_pending": incoming.pending,
            "incoming_eof": incoming.eof,
            "outgoing_pending": outgoing.pending,
            "outgoing_eof": outgoing.eof,
        }
    if op == "get_session":
        sess = s.session
        if sess is not None:
            sessions[cmd["session"]] = sess
        return sess is not None
    if op == "set_session":
        s.session = sessions[cmd["session"]]
        return None
    if op == "verify_client_post_handshake":
        return s.verify_client_post_handshake()
    if op == "channel_binding":
        return s.get_channel_binding(cmd["cb_type"])
    raise KeyError("unknown op %r" % op)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        result, exc = None, None
        try:
            result = to_json(run(cmd))
        except Exception as e:  # noqa: BLE001 - every exception is data here
            exc = exc_info(e)
        out = b""
        if "obj" in cmd and cmd["obj"] in objs and cmd.get("drain", True):
            out = objs[cmd["obj"]][2].read()
        sys.stdout.write(json.dumps({"out": out.hex(), "result": result, "exc": exc}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
