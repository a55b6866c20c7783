# One script for CPython (python3.11's ssl) and MicroPython (ssl on pyssl):
# both must print the same lines, OpenSSL/pyssl location suffixes aside.
#   shared_ssl.py CERTDIR PY_PORT OPENSSL_PORT EXPIRED_PORT ECHO_PORT SERVER_PORT ASYNC_PORT [COMPAT]
# PY_PORT: peer.py's server; OPENSSL_PORT: openssl s_server (server.pem,
# ALPN h2); EXPIRED_PORT: openssl s_server with expired.pem; ECHO_PORT:
# pyssl's examples/echo_server; SERVER_PORT: this script's own server, which
# peer.py's client connects to; ASYNC_PORT: the asyncio server. COMPAT (311,
# 313): which CPython's rules MicroPython's contexts follow (default 311).
import binascii
import socket
import ssl
import sys

certdir = sys.argv[1]
PY_PORT, OSSL_PORT, EXPIRED_PORT, ECHO_PORT, SERVER_PORT, ASYNC_PORT = [int(a) for a in sys.argv[2:8]]
if len(sys.argv) > 8 and hasattr(ssl, "_set_compat"):
    # MicroPython on pyssl: follow the rules of the CPython it is compared with
    ssl._set_compat(int(sys.argv[8]))


def path(name):
    return certdir + "/" + name


def describe(e):
    line = "raised %s | %s | OSError=%s SSLError=%s" % (
        type(e).__name__,
        str(e),
        isinstance(e, OSError),
        isinstance(e, ssl.SSLError),
    )
    if isinstance(e, ssl.SSLError):
        line += " | args[0]=%r" % (e.args[0],)
    if type(e).__name__ == "SSLCertVerificationError":
        line += " | verify_code=%r verify_message=%r" % (e.verify_code, e.verify_message)
    return line


def show(label, f):
    try:
        r = f()
    except Exception as e:
        print(label, describe(e))
        return None
    print(label, "->", repr(r))
    return r


def connect(port):
    s = socket.socket()
    s.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
    return s


def client_ctx(ca=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca:
        ctx.load_verify_locations(path("ca.pem"))
    return ctx


def pem_to_der(name):
    with open(path(name)) as f:
        text = f.read()
    body = text.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return binascii.a2b_base64("".join(body.split()))


def wrap(ctx, port, host="localhost", **kw):
    s = connect(port)
    try:
        return ctx.wrap_socket(s, server_hostname=host, **kw)
    except Exception:
        s.close()
        raise


def mode(ss, name):
    ss.sendall(name.encode() + b"\n")


print("== contexts")
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
print("client verify_mode", int(c.verify_mode), "check_hostname", c.check_hostname)
srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
print("server verify_mode", int(srv.verify_mode), "check_hostname", srv.check_hostname)


def set_cert_none():
    c.verify_mode = ssl.CERT_NONE


show("CERT_NONE with check_hostname", set_cert_none)
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
print("after check_hostname=False: verify_mode", int(c.verify_mode))
c.check_hostname = True
print("check_hostname=True again: verify_mode", int(c.verify_mode))
d = ssl.create_default_context(cafile=path("ca.pem"))
print("create_default_context verify_mode", int(d.verify_mode), "check_hostname", d.check_hostname)

print("== loading")
show("cafile missing", lambda: client_ctx(False).load_verify_locations(path("missing.pem")))
show("cafile not PEM", lambda: client_ctx(False).load_verify_locations(path("bad.pem")))
show("no arguments", lambda: client_ctx(False).load_verify_locations())
with open(path("ca.pem")) as f:
    ca_text = f.read()
show("cadata str", lambda: client_ctx(False).load_verify_locations(cadata=ca_text))
show("cadata DER bytes", lambda: client_ctx(False).load_verify_locations(cadata=pem_to_der("ca.pem")))
show("cadata garbage", lambda: client_ctx(False).load_verify_locations(cadata=b"\x30\x03\x02\x01"))
show("cert chain", lambda: srv.load_cert_chain(path("server.pem"), path("server.key")))
show("encrypted key, password", lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
    path("server.pem"), path("server_enc.key"), "secret"))
show("encrypted key, wrong password", lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
    path("server.pem"), path("server_enc.key"), "wrong"))
show("key of another cert", lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(
    path("server.pem"), path("client.key")))
show("certfile missing", lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(path("missing.pem")))
show("set_ciphers nonsense", lambda: client_ctx().set_ciphers("NONSENSE"))
show("set_ciphers ECDHE", lambda: client_ctx().set_ciphers("ECDHE+AESGCM"))

print("== openssl s_server: verified handshake")
ctx = client_ctx()
ctx.set_alpn_protocols(["h2", "http/1.1"])
ss = wrap(ctx, OSSL_PORT)
print("version", ss.version())
print("cipher", ss.cipher())
print("alpn", ss.selected_alpn_protocol())
print("server_side", ss.server_side, "server_hostname", ss.server_hostname)
print("pending", ss.pending())
print("peercert", repr(ss.getpeercert()))
der = ss.getpeercert(True)
print("peercert binary", type(der).__name__, len(der), der == pem_to_der("server.pem"))
ss.close()

print("== verification failures")
show("no CA", lambda: wrap(client_ctx(False), OSSL_PORT))
show("hostname mismatch", lambda: wrap(client_ctx(), PY_PORT, "wrong.example"))
show("IP mismatch", lambda: wrap(client_ctx(), PY_PORT, "127.0.0.2"))
show("IP match", lambda: wrap(client_ctx(), PY_PORT, "127.0.0.1").version())
show("expired", lambda: wrap(client_ctx(), EXPIRED_PORT))
show("check_hostname without server_hostname", lambda: wrap(client_ctx(), PY_PORT, None))
show("server_hostname on a server", lambda: srv.wrap_socket(connect(PY_PORT), server_side=True,
                                                            server_hostname="localhost"))
nv = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
nv.check_hostname = False
nv.verify_mode = ssl.CERT_NONE
ss = wrap(nv, EXPIRED_PORT)
print("CERT_NONE: version", ss.version(), "peercert", ss.getpeercert(), "binary",
      len(ss.getpeercert(True)) > 0)
ss.close()

print("== versions, ciphers, ALPN")
v12 = client_ctx()
v12.maximum_version = ssl.TLSVersion.TLSv1_2
# (not the default minimum_version: pyssl keeps TLS 1.2 as the floor in every
# mode, a documented choice, where CPython 3.11 reports MINIMUM_SUPPORTED)
v12.minimum_version = ssl.TLSVersion.TLSv1_2
print("maximum_version", int(v12.maximum_version), "minimum_version", int(v12.minimum_version))
v12.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
v12.set_alpn_protocols(["http/1.1"])
ss = wrap(v12, PY_PORT)
print("TLS 1.2:", ss.version(), ss.cipher(), "alpn", ss.selected_alpn_protocol(), "context", ss.context is v12)
ss.close()
ss = wrap(client_ctx(), PY_PORT)
print("no ALPN asked:", ss.selected_alpn_protocol(), "server_side", ss.server_side)
ss.close()
show("ALPN protocol too long", lambda: client_ctx().set_alpn_protocols(["x" * 256]))

print("== echo through python's ssl")
ss = wrap(client_ctx(), PY_PORT)
mode(ss, "echo")
print("write", ss.write(b"one record"))
print("recv", ss.recv(100))
ss.sendall(b"x" * 50000)
got = b""
while len(got) < 50000:
    got += ss.recv(65536)
print("50000 bytes back", got == b"x" * 50000)
ss.sendall(b"abcdef")
print("recv 2", ss.recv(2), "pending", ss.pending(), "recv rest", ss.recv(100))
buf = bytearray(8)
ss.sendall(b"into")
print("recv_into", ss.recv_into(buf), bytes(buf))
raw = ss.unwrap()
print("unwrap gave", type(raw).__name__)
raw.close()
show("recv after unwrap", lambda: ss.recv(10))

print("== unwrap, then plain text")
ss = wrap(client_ctx(), PY_PORT)
mode(ss, "unwrap")
ss.sendall(b"secret")
print("tls", ss.recv(100))
raw = ss.unwrap()
raw.send(b"plain")
print("plain", raw.recv(100))
raw.close()

print("== EOF")


def eof_case(server_mode, suppress, labels):
    ss = wrap(client_ctx(), PY_PORT, suppress_ragged_eofs=suppress)
    mode(ss, server_mode)
    ss.sendall(b"bye")
    print("recv", ss.recv(100))
    for label in labels:
        show(label, lambda: ss.recv(100))
    ss.close()


eof_case("ragged", True, ["ragged EOF, suppressed"])
eof_case("ragged", False, ["ragged EOF, not suppressed"])
eof_case("notify", False, ["after close_notify", "again"])

print("== non-blocking")
ss = wrap(client_ctx(), PY_PORT)
mode(ss, "quiet")
ss.setblocking(False)
show("recv with nothing sent", lambda: ss.recv(100))
show("recv again", lambda: ss.recv(100))
ss.settimeout(0.3)
show("recv with a 0.3 s timeout", lambda: ss.recv(100))
ss.setblocking(True)
ss.close()
s = connect(PY_PORT)
s.setblocking(False)
show("do_handshake_on_connect on a non-blocking socket",
     lambda: client_ctx().wrap_socket(s, server_hostname="localhost"))
s.close()  # CPython's failed wrap_socket took it over
s = connect(PY_PORT)
s.setblocking(False)
ss = client_ctx().wrap_socket(s, server_hostname="localhost", do_handshake_on_connect=False)
print("before the handshake: version", ss.version(), "cipher", ss.cipher())
show("getpeercert before the handshake", lambda: ss.getpeercert())
state = "start"
for i in range(2000):
    try:
        ss.do_handshake()
        state = "done"
        break
    except ssl.SSLWantReadError:
        state = "wanted read"
        import select
        p = select.poll()
        p.register(ss, select.POLLIN)
        p.poll(1000)
    except ssl.SSLWantWriteError:
        state = "wanted write"
print("non-blocking handshake", state, ss.version())
ss.setblocking(True)
ss.close()

print("== deferred handshake, blocking")
ss = wrap(client_ctx(), PY_PORT, do_handshake_on_connect=False)
print("version before", ss.version())
ss.do_handshake()
print("version after", ss.version())
mode(ss, "echo")
ss.sendall(b"late")
print("recv", ss.recv(10))
ss.close()

print("== pyssl echo server")
ss = wrap(client_ctx(), ECHO_PORT)
print("version", ss.version(), "cipher", ss.cipher()[1:])
ss.sendall(b"ping")
print("recv", ss.recv(10))
raw = ss.unwrap()
raw.close()
print("unwrapped")

print("== server side (python's client with a client certificate)")
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(path("server.pem"), path("server_enc.key"), "secret")
sctx.load_verify_locations(path("ca.pem"))
sctx.verify_mode = ssl.CERT_REQUIRED
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(socket.getaddrinfo("127.0.0.1", SERVER_PORT)[0][-1])
ls.listen(1)
print("listening")
sys.stdout.flush()
conn, addr = ls.accept()
ss = sctx.wrap_socket(conn, server_side=True)
print("server version", ss.version(), "server_side", ss.server_side)
print("client cert", repr(ss.getpeercert()))
data = ss.recv(100)
print("server got", data)
ss.sendall(data.upper())
print("client's close_notify", ss.recv(100))
raw = ss.unwrap()
raw.close()
ls.close()

print("== asyncio")
import asyncio


async def echo_client():
    reader, writer = await asyncio.open_connection("127.0.0.1", PY_PORT, ssl=client_ctx(),
                                                   server_hostname="localhost")
    writer.write(b"echo\n")
    writer.write(b"line one\n")
    await writer.drain()
    print("client readline", await reader.readline())
    writer.write(b"x" * 20000)
    await writer.drain()
    n = 0
    while n < 20000:
        d = await reader.read(65536)
        if not d:
            break
        n += len(d)
    print("client read", n)
    writer.close()
    await writer.wait_closed()


async def handler(reader, writer):
    line = await reader.readline()
    writer.write(b"server saw " + line)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def server_and_client():
    actx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    actx.load_cert_chain(path("server.pem"), path("server.key"))
    server = await asyncio.start_server(handler, "127.0.0.1", ASYNC_PORT, ssl=actx)
    reader, writer = await asyncio.open_connection("127.0.0.1", ASYNC_PORT, ssl=client_ctx(),
                                                   server_hostname="localhost")
    writer.write(b"hello async\n")
    await writer.drain()
    print("async server answered", await reader.readline())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


async def verify_error():
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", PY_PORT, ssl=client_ctx(False),
                                                       server_hostname="localhost")
        writer.write(b"echo\n")
        await writer.drain()
        print("read", await reader.read(10))
    except Exception as e:
        print("asyncio verify failure", describe(e))


asyncio.run(echo_client())
asyncio.run(server_and_client())
asyncio.run(verify_error())
print("== done")
