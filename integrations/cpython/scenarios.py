"""Scenarios outside test_ssl where the patched _ssl must behave as stock.

Run with each module first on PYTHONPATH; test-ssl.sh compares the two
outputs line by line. Every line is `NAME: OUTCOME`, where OUTCOME is the
repr of the result or the exception's class, args, str() and attributes.
Source locations, `(_ssl.c:123)` or `(socket.rs:123)`, are replaced by
`(LOC)`.

Scenarios:
- threads: one thread blocked in recv() while another sends and calls
  getpeercert() on the same SSLSocket;
- closed: the Python socket closed (`sock_fd == -1`) under a live
  _SSLSocket, then do_handshake/read/write/shutdown, blocking, with a
  timeout and non-blocking; gone: the socket object deleted;
- badfd: the fd closed behind Python's back (poll() sees POLLNVAL) in
  timeout mode;
- errors: one exception of each kind _ssl raises from I/O and certificate
  decoding (message-only SSLErrors, UnicodeDecodeError, OSError
  subclasses, TimeoutError, SSLCertVerificationError, ...) and an
  exception from a signal handler during a blocking read.
"""

import faulthandler
import gc
import os
import re
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time

import _ssl

TESTDIR = os.path.join(os.path.dirname(os.__file__), "test")
if os.path.isdir(os.path.join(TESTDIR, "certdata")):  # 3.12+
    TESTDIR = os.path.join(TESTDIR, "certdata")
CERT = os.path.join(TESTDIR, "keycert3.pem")     # localhost, signed by:
CA = os.path.join(TESTDIR, "pycacert.pem")

# A self-signed certificate whose subjectAltName is DNS:"a\xffb"
# (CPython raises UnicodeDecodeError decoding it).
BAD_UTF8_SAN = """-----BEGIN CERTIFICATE-----
MIIBAzCBtqADAgECAgEBMAUGAytlcDARMQ8wDQYDVQQDDAZiYWRkbnMwIBcNMjYx
MTI0MjExNjI4WhgPMjEyNjEwMzEyMTE2MjhaMBExDzANBgNVBAMMBmJhZGRuczAq
MAUGAytlcAMhAAGyVmnnw5PkqJihLtO5MN52Lss2CIGb+ciobTJlRmSrozEwLzAO
BgNVHREEBzAFggNh/2IwHQYDVR0OBBYEFBkBKIK/Oe8HJmK9wQR1VGakP0coMAUG
AytlcANBAAocvU1+K/wOhUx2v5EdjMgr7pUCdsHbVRPQisXDVI9RusHD+JDYGTWL
AjYKj5jke+vuWQxhtgrwPzDWSDcOtw8=
-----END CERTIFICATE-----
"""

ATTRS = ("errno", "strerror", "library", "reason", "verify_code", "verify_message")


def norm(text):
    text = re.sub(r"\((?:_ssl\.c|[\w/.-]+\.rs):\d+\)", "(LOC)", text)
    return re.sub(r"(?:_ssl\.c|[\w/.-]+\.rs):\d+: ", "LOC: ", text)


def describe(exc):
    attrs = " ".join("%s=%r" % (a, getattr(exc, a)) for a in ATTRS if hasattr(exc, a))
    return norm("%s.%s args=%r str=%r %s" % (type(exc).__module__, type(exc).__qualname__,
                                            exc.args, str(exc), attrs)).rstrip()


def outcome(fn):
    try:
        result = fn()
    except Exception as exc:
        return describe(exc)
    return "ok " + norm(repr(result))


def report(name, fn):
    print("%s: %s" % (name, outcome(fn)), flush=True)


def contexts():
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(CERT)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(CA)
    return client, server


def connected(client, server, pair=socket.socketpair):
    """A handshaken (client, server) SSLSocket pair over pair()."""
    a, b = pair()
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("s", server.wrap_socket(b, server_side=True)))
    t.start()
    c = client.wrap_socket(a, server_hostname="localhost")
    t.join()
    return c, box["s"]


def scenario_threads():
    client, server = contexts()
    c, s = connected(client, server)
    got = {}

    t = threading.Thread(target=lambda: got.setdefault("recv", outcome(lambda: c.recv(100))))
    t.start()
    time.sleep(0.2)  # the reader is now blocked in recv()
    report("threads: send while another thread is in recv", lambda: c.send(b"hello"))
    report("threads: getpeercert while another thread is in recv",
           lambda: dict(c.getpeercert())["subject"])
    report("threads: server receives", lambda: s.recv(100))
    s.send(b"bye")
    t.join()
    print("threads: recv in the reader thread: %s" % got["recv"])
    c.close()
    s.close()


def closed_socket(timeout):
    """An _SSLSocket (no handshake yet) whose Python socket is closed."""
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    a, b = socket.socketpair()
    a.settimeout(timeout)
    obj = client._wrap_socket(a, False)
    a.close()
    return obj, a, b  # obj only holds a weak reference to a


def scenario_closed():
    ops = {
        "do_handshake": lambda o: o.do_handshake(),
        "read": lambda o: o.read(10),
        "write": lambda o: o.write(b"x"),
        "shutdown": lambda o: o.shutdown(),
    }
    for timeout in (None, 1.0, 0.0):
        for op, fn in ops.items():
            obj, sock, peer = closed_socket(timeout)
            report("closed: %s, timeout %s" % (op, timeout), lambda: fn(obj))
            del obj, sock
            peer.close()
    for op, fn in ops.items():
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        a, b = socket.socketpair()
        obj = client._wrap_socket(a, False, "localhost")
        del a
        gc.collect()
        report("gone: %s" % op, lambda: fn(obj))
        b.close()


def scenario_badfd():
    client, server = contexts()
    for op in ("write", "read"):
        c, s = connected(client, server)
        c.settimeout(1.0)
        os.close(c.fileno())
        if op == "write":
            report("badfd: write, timeout 1.0", lambda: c._sslobj.write(b"x"))
        else:
            report("badfd: read, timeout 1.0", lambda: c._sslobj.read(10))
        c.detach()
        s.close()
    a, b = socket.socketpair()
    a.settimeout(1.0)
    obj = client._wrap_socket(a, False, "localhost")
    os.close(a.fileno())
    report("badfd: do_handshake, timeout 1.0", obj.do_handshake)
    a.detach()
    b.close()


def tcp_pair():
    listener = socket.create_server(("127.0.0.1", 0))
    a = socket.create_connection(listener.getsockname())
    b, _ = listener.accept()
    listener.close()
    return a, b


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def interrupted(fn, *args):
    """fn(*args) while a SIGALRM handler raises after 0.1 s."""
    def handler(signum, frame):
        raise RuntimeError("alarm")
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def scenario_errors():
    client, server = contexts()
    with tempfile.TemporaryDirectory() as tmp:
        bad_san = os.path.join(tmp, "bad_san.pem")
        with open(bad_san, "w") as f:
            f.write(BAD_UTF8_SAN)
        report("errors: _test_decode_cert(badcert.pem)",
               lambda: _ssl._test_decode_cert(os.path.join(TESTDIR, "badcert.pem")))
        report("errors: _test_decode_cert(missing file)",
               lambda: _ssl._test_decode_cert(os.path.join(tmp, "missing.pem")))
        report("errors: _test_decode_cert(invalid UTF-8 in a DNS name)",
               lambda: _ssl._test_decode_cert(bad_san))
        report("errors: _test_decode_cert(keycert3.pem) subject",
               lambda: _ssl._test_decode_cert(CERT)["subject"])

    # Verification failure: the client does not trust the server's CA
    # (only the server's own certificate, which 3.13's default
    # VERIFY_X509_PARTIAL_CHAIN would accept: cleared).
    got = {}
    untrusting = ssl.create_default_context(cafile=CERT)
    untrusting.verify_flags &= ~ssl.VERIFY_X509_PARTIAL_CHAIN
    a, b = socket.socketpair()
    t = threading.Thread(target=lambda: got.setdefault(
        "server", outcome(lambda: server.wrap_socket(b, server_side=True))))
    t.start()
    report("errors: certificate verification",
           lambda: untrusting.wrap_socket(a, server_hostname="localhost"))
    a.close()
    t.join()
    b.close()
    print("errors: server side of a refused certificate: %s" % got.pop("server"))
    # Host name mismatch.
    a, b = socket.socketpair()
    t = threading.Thread(target=lambda: got.setdefault(
        "server", outcome(lambda: server.wrap_socket(b, server_side=True))))
    t.start()
    report("errors: host name mismatch",
           lambda: client.wrap_socket(a, server_hostname="example.org"))
    a.close()
    t.join()
    b.close()
    print("errors: server side of a host name mismatch: %s" % got.pop("server"))

    # Not TLS from the server.
    a, b = socket.socketpair()
    b.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
    report("errors: not TLS", lambda: client.wrap_socket(a, server_hostname="localhost"))
    a.close()
    b.close()
    # The server closes without answering.
    a, b = socket.socketpair()
    b.close()
    report("errors: handshake, peer closed", lambda: client.wrap_socket(a, server_hostname="localhost"))
    a.close()
    # The server resets the connection once the ClientHello arrived.
    a, b = tcp_pair()
    t = threading.Thread(target=lambda: (b.recv(1, socket.MSG_PEEK), reset(b)))
    t.start()
    report("errors: handshake, connection reset", lambda: client.wrap_socket(a, server_hostname="localhost"))
    t.join()
    a.close()
    # The server resets the connection before the handshake.
    a, b = tcp_pair()
    reset(b)
    time.sleep(0.05)
    report("errors: handshake after a reset", lambda: client.wrap_socket(a, server_hostname="localhost"))
    a.close()
    # A handshake on an unconnected socket.
    sock = socket.socket()
    obj = client._wrap_socket(sock, False, "localhost")
    report("errors: handshake, not connected", obj.do_handshake)
    del obj
    sock.close()
    # Handshake timeout.
    a, b = socket.socketpair()
    a.settimeout(0.1)
    report("errors: handshake timeout", lambda: client.wrap_socket(a, server_hostname="localhost"))
    a.close()
    b.close()
    with socket.socket() as sock:
        report("errors: getpeercert before the handshake",
               lambda: client._wrap_socket(sock, False).getpeercert())

    # After the handshake.
    c, s = connected(client, server)
    c.settimeout(0.1)
    report("errors: read timeout", lambda: c.recv(10))
    c.settimeout(0.0)
    report("errors: non-blocking read", lambda: c.recv(10))
    c.settimeout(None)
    report("errors: signal handler raising during a blocking read", lambda: interrupted(c.recv, 10))
    c.settimeout(0.0)

    def fill(sock):
        while True:
            sock.send(b"x" * 65536)

    report("errors: non-blocking write, buffers full", lambda: fill(c))
    c.settimeout(0.1)
    report("errors: write timeout", lambda: fill(c))
    c.close()
    s.close()

    # close_notify in both directions.
    c, s = connected(client, server)
    c.setblocking(False)
    report("errors: non-blocking shutdown", c._sslobj.shutdown)
    report("errors: server reads close_notify", lambda: s.recv(10))
    report("errors: server shutdown", lambda: s._sslobj.shutdown() is s)
    report("errors: read after both close_notify", lambda: c._sslobj.read(10))
    c.close()
    s.close()

    # The peer vanishes after the handshake.
    c, s = connected(client, server)
    s.close()
    report("errors: read, peer closed without close_notify", lambda: c.recv(10))
    c.close()
    c, s = connected(client, server, tcp_pair)
    reset(s)
    time.sleep(0.05)
    report("errors: read after a reset", lambda: c.recv(10))
    report("errors: write after a reset", lambda: c.send(b"x"))
    c.close()

    # Memory BIOs.
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client.wrap_bio(incoming, outgoing, server_hostname="localhost")
    report("errors: memory BIO handshake", obj.do_handshake)
    incoming.write(b"garbage garbage garbage")
    report("errors: memory BIO handshake, garbage", obj.do_handshake)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client.wrap_bio(incoming, outgoing, server_hostname="localhost")
    incoming.write_eof()
    report("errors: memory BIO handshake, EOF", obj.do_handshake)


def main():
    faulthandler.dump_traceback_later(60, exit=True)
    print("_ssl.__file__ =", _ssl.__file__, file=sys.stderr)
    scenario_threads()
    scenario_closed()
    scenario_badfd()
    scenario_errors()


if __name__ == "__main__":
    main()
