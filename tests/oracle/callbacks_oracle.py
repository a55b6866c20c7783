"""CPython's SNI and PSK callbacks and certificate chains over memory BIOs.

The oracle of tests/callbacks_diff.rs, driven one JSON command per line on
stdin; each command is answered with one JSON line on stdout:

    {"out": HEX, "result": VALUE, "exc": null | [class, str(exc), errno,
                                                 library, reason,
                                                 verify_code, verify_message]}

"out" holds the bytes drained from the object's outgoing MemoryBIO after a
command naming an object ("obj"); other commands answer "out": "".

Run it with the interpreter whose behaviour is the reference (CPython 3.13
for pyssl's default mode, Debian's python3.11 for PYSSL_COMPAT_3_11; the PSK
and chain commands need 3.13).

Commands ("op"):
    hello                              Python and OpenSSL versions
    ctx_new     ctx protocol           ssl.SSLContext(protocol)
    ctx_set     ctx attr value         setattr(ctx, attr, value)
    ctx_call    ctx method args        getattr(ctx, method)(*args)
    sni         ctx mode [target] [alert]
                                       ctx.sni_callback = a callback that
                                       records the name it gets, then:
                                       "record" returns None, "switch" sets
                                       sslobj.context = ctxs[target], "alert"
                                       returns alert, "raise" raises;
                                       "remove" sets sni_callback = None
    psk_client  ctx mode [identity] [key]
                                       ctx.set_psk_client_callback(cb): cb
                                       records the hint, then "key" returns
                                       (identity, bytes.fromhex(key)), "raise"
                                       raises; "remove" passes None
    psk_server  ctx mode [key] [hint]  ctx.set_psk_server_callback(cb, hint):
                                       cb records the identity, then "key"
                                       returns bytes.fromhex(key), "raise"
                                       raises; "remove" passes None
    events                             the callbacks' records since the last
                                       "events" ([kind, argument] pairs), and
                                       the unraisable exceptions seen
    wrap        ctx obj server_side [server_hostname]
                                       ctx.wrap_bio(MemoryBIO(), MemoryBIO())
    feed        obj data               incoming.write(bytes.fromhex(data))
    handshake   obj                    sslobj.do_handshake()
    peercert    obj                    repr(sslobj.getpeercert())
    info        obj                    [version(), cipher()]
    chain       obj verified           _sslobj.get_verified_chain() or
                                       get_unverified_chain(): None or a list
                                       of {"der": HEX, "pem": public_bytes(),
                                       "info": repr(get_info())}
    forget                             drops every context, object and record
"""
import _ssl
import json
import ssl
import sys

# Run with -I, which leaves the script's directory off sys.path.
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import debian_build  # noqa: E402,F401  contexts as Debian builds them

ctxs = {}
objs = {}
events = []
unraisable = []


def unraisable_hook(u):
    unraisable.append("%s: %s" % (type(u.exc_value).__name__, u.exc_value))


sys.unraisablehook = unraisable_hook


def exc_info(e):
    return [
        type(e).__name__,
        str(e),
        e.errno if isinstance(e, OSError) else None,
        getattr(e, "library", None),
        getattr(e, "reason", None),
        getattr(e, "verify_code", None),
        getattr(e, "verify_message", None),
    ]


class Refused(Exception):
    pass


def sni_callback(mode, target, alert):
    def cb(sslobj, server_name, sslctx):
        events.append(["sni", server_name])
        if mode == "switch":
            sslobj.context = ctxs[target]
            return None
        if mode == "alert":
            return alert
        if mode == "raise":
            raise Refused("sni callback refuses")
        return None

    return cb


def psk_client_callback(mode, identity, key):
    def cb(hint):
        events.append(["psk_client", hint])
        if mode == "raise":
            raise Refused("psk client callback refuses")
        return identity, bytes.fromhex(key)

    return cb


def psk_server_callback(mode, key):
    def cb(identity):
        events.append(["psk_server", identity])
        if mode == "raise":
            raise Refused("psk server callback refuses")
        return bytes.fromhex(key)

    return cb


def cert_json(c):
    return {
        "der": c.public_bytes(_ssl.ENCODING_DER).hex(),
        "pem": c.public_bytes(),
        "info": repr(c.get_info()),
    }


def run(cmd):
    global events, unraisable
    op = cmd["op"]
    if op == "hello":
        return {"version": sys.version, "openssl": ssl.OPENSSL_VERSION}
    if op == "forget":
        ctxs.clear()
        objs.clear()
        events, unraisable = [], []
        return None
    if op == "events":
        result = {"events": events, "unraisable": unraisable}
        events, unraisable = [], []
        return result
    if op == "ctx_new":
        ctxs[cmd["ctx"]] = ssl.SSLContext(cmd["protocol"])
        return None
    if op == "ctx_set":
        setattr(ctxs[cmd["ctx"]], cmd["attr"], cmd["value"])
        return None
    if op == "ctx_call":
        getattr(ctxs[cmd["ctx"]], cmd["method"])(*cmd.get("args", []))
        return None
    if op == "sni":
        ctx = ctxs[cmd["ctx"]]
        mode = cmd["mode"]
        if mode == "remove":
            ctx.sni_callback = None
        else:
            ctx.sni_callback = sni_callback(mode, cmd.get("target"), cmd.get("alert"))
        return None
    if op == "psk_client":
        ctx = ctxs[cmd["ctx"]]
        mode = cmd["mode"]
        cb = None
        if mode != "remove":
            cb = psk_client_callback(mode, cmd.get("identity"), cmd.get("key", ""))
        ctx.set_psk_client_callback(cb)
        return None
    if op == "psk_server":
        ctx = ctxs[cmd["ctx"]]
        mode = cmd["mode"]
        cb = None
        if mode != "remove":
            cb = psk_server_callback(mode, cmd.get("key", ""))
        ctx.set_psk_server_callback(cb, cmd.get("hint"))
        return None
    if op == "wrap":
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        o = ctxs[cmd["ctx"]].wrap_bio(
            incoming,
            outgoing,
            server_side=cmd["server_side"],
            server_hostname=cmd.get("server_hostname"),
        )
        objs[cmd["obj"]] = (o, incoming, outgoing)
        return None

    o, incoming, _ = objs[cmd["obj"]]
    if op == "feed":
        return incoming.write(bytes.fromhex(cmd["data"]))
    if op == "handshake":
        o.do_handshake()
        return None
    if op == "peercert":
        return repr(o.getpeercert())
    if op == "info":
        return [o.version(), o.cipher()]
    if op == "chain":
        s = o._sslobj
        chain = s.get_verified_chain() if cmd["verified"] else s.get_unverified_chain()
        if chain is None:
            return None
        return [None if c is None else cert_json(c) for c in chain]
    raise KeyError("unknown op %r" % op)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        result, exc = None, None
        try:
            result = run(cmd)
        except Exception as e:  # noqa: BLE001 - every exception is data here
            exc = exc_info(e)
        out = b""
        if "obj" in cmd and cmd["obj"] in objs:
            out = objs[cmd["obj"]][2].read()
        sys.stdout.write(json.dumps({"out": out.hex(), "result": result, "exc": exc}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
