# MicroPython only (test.sh): TLS over streams without fileno(), the
# transport the module gives pyssl as I/O callbacks (pyssl_socket_new_cbs,
# stream_read_cb/stream_write_cb). Two Python io.IOBase pipes connect a
# client and a server SSLSocket in one process;
# a pipe's readinto returns None when it is empty, which MicroPython's
# stream protocol turns into "would block", so each side sees
# SSLWantReadError until the other has written. Prints every outcome;
# test.sh compares the output with stream_pipe.exp.
#   stream_pipe.py CERTDIR
import io
import ssl
import sys

certdir = sys.argv[1]


class Pipe(io.IOBase):
    def __init__(self):
        self.other = None
        self.buf = bytearray()
        self.closed_by_peer = False

    def readinto(self, b):
        src = self.other.buf
        if not src:
            return 0 if self.other.closed_by_peer else None
        n = min(len(b), len(src))
        b[:n] = src[:n]
        self.other.buf = src[n:]
        return n

    block_writes = False

    def write(self, b):
        if self.block_writes:
            return None  # would block
        self.buf.extend(b)
        return len(b)

    def ioctl(self, req, arg):
        if req == 4:  # MP_STREAM_CLOSE
            self.closed_by_peer = True
        if req == 3:  # MP_STREAM_POLL
            ready = 0
            if arg & 1 and self.other.buf:
                ready |= 1
            if arg & 4 and not self.block_writes:
                ready |= 4
            return ready
        return 0


def pair():
    a, b = Pipe(), Pipe()
    a.other, b.other = b, a
    return a, b


def drive(*steps):
    # Runs each step until it stops wanting I/O; steps take turns.
    pending = list(steps)
    turns = 0
    while pending and turns < 100:
        turns += 1
        for step in list(pending):
            try:
                step()
                pending.remove(step)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
    return "done" if not pending else "stuck"


cio, sio = pair()
cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
cctx.load_verify_locations(certdir + "/ca.pem")
cctx.set_alpn_protocols(["h2"])
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
with open(certdir + "/server.pem", "rb") as f:
    cert = f.read()
with open(certdir + "/server.key", "rb") as f:
    key = f.read()
sctx.load_cert_chain(cert, key)  # PEM bytes, as MicroPython hosts hold them
sctx.set_alpn_protocols(["h2"])
client = cctx.wrap_socket(cio, server_hostname="localhost", do_handshake_on_connect=False)
server = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
print("before:", client.version(), server.version())
print("handshake", drive(client.do_handshake, server.do_handshake))
print("client:", client.version(), client.cipher(), client.selected_alpn_protocol())
print("server:", server.version(), server.selected_alpn_protocol(), server.getpeercert())
print("peer subject", client.getpeercert()["subject"])
client.sendall(b"ping over a pipe")
print("server got", server.recv(100))
try:
    server.recv(100)
except ssl.SSLWantReadError as e:
    print("nothing more:", type(e).__name__, str(e).split(" (")[0])
server.sendall(b"x" * 100000)
got = b""
while len(got) < 100000:
    got += client.recv(65536)
print("100000 bytes back", got == b"x" * 100000)
print("stream read (None when it would block):", client.read(10))

# The stream stops taking bytes: a write still succeeds (the module's
# write callback holds the TLS bytes of one blocked write, as a socket's
# send buffer would; a further one would block), polling for reading then
# waits for the stream to be writable, and the bytes go out once it is.
import select

cio.block_writes = True
print("write to a blocked stream:", client.write(b"held back"))
p = select.poll()
p.register(client, select.POLLIN)
print("poll while blocked:", p.poll(0))
print("nothing reached the server side yet:", len(cio.buf) == 0)
cio.block_writes = False
print("poll once writable (sends the held bytes, nothing to read):", p.poll(0))
print("server got", server.recv(100))
print("unwrap", drive(client.unwrap, server.unwrap))
print("client after unwrap:", client.version())

# A server that answers garbage: the client's handshake fails with
# CPython's exception (OpenSSL sends no alert for this one).
cio, sio = pair()
client = cctx.wrap_socket(cio, server_hostname="localhost", do_handshake_on_connect=False)
sio.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
try:
    drive(client.do_handshake)
except ssl.SSLError as e:
    print("garbage:", type(e).__name__, str(e).split(" (")[0])

# A client without the CA: its verification fails, and the fatal alert it
# sends (written through the stream callback within the failing call)
# fails the server's handshake with the alert's name.
cio, sio = pair()
client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).wrap_socket(cio, server_hostname="localhost",
                                                             do_handshake_on_connect=False)
server = sctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
errors = []


def step(sock):
    def run():
        try:
            sock.do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except ssl.SSLError as e:
            errors.append("%s: %s %s" % ("client" if sock is client else "server", type(e).__name__,
                                         str(e).split(" (")[0]))
    return run


drive(step(client), step(server))
for line in errors:
    print(line)

# The peer closes its stream mid-handshake: EOF.
cio, sio = pair()
client = cctx.wrap_socket(cio, server_hostname="localhost", do_handshake_on_connect=False)
sio.closed_by_peer = True
try:
    drive(client.do_handshake)
except OSError as e:
    print("EOF:", type(e).__name__, str(e).split(" (")[0])

# DER bytes for the key and certificate, and a wrong key.
import binascii


def der(pem, label):
    body = pem.decode().split("-----BEGIN " + label + "-----")[1].split("-----END")[0]
    return binascii.a2b_base64("".join(body.split()))


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
try:
    ctx.load_cert_chain(der(cert, "CERTIFICATE"), der(key, "PRIVATE KEY"))
    print("DER certificate and PKCS#8 key: loaded")
except Exception as e:
    print("DER:", type(e).__name__, e)
with open(certdir + "/client.key", "rb") as f:
    other = f.read()
try:
    ctx.load_cert_chain(cert, other)
except ssl.SSLError as e:
    print("wrong key:", str(e).split(" (")[0])

# A chain of concatenated DER certificates (the leaf, then the CA in the
# place of an intermediate) with a DER key: the client verifies the leaf.
with open(certdir + "/ca.pem", "rb") as f:
    ca = f.read()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(der(cert, "CERTIFICATE") + der(ca, "CERTIFICATE"), der(key, "PRIVATE KEY"))
cio, sio = pair()
client = cctx.wrap_socket(cio, server_hostname="localhost", do_handshake_on_connect=False)
server = ctx.wrap_socket(sio, server_side=True, do_handshake_on_connect=False)
print("DER chain of two certificates: handshake", drive(client.do_handshake, server.do_handshake),
      client.getpeercert()["subject"])

# A stream that raises: the exception of its write (the ClientHello) or of
# its read comes out of the call unchanged, caught in the module's callback
# and raised once pyssl has returned.
class Broken(Pipe):
    fail = "write"

    def readinto(self, b):
        if self.fail == "read":
            raise ValueError("read broke")
        return Pipe.readinto(self, b)

    def write(self, b):
        if self.fail == "write":
            raise ValueError("write broke")
        return Pipe.write(self, b)


for fail in ("write", "read"):
    bio, sio = Broken(), Pipe()
    bio.other, sio.other = sio, bio
    bio.fail = fail
    client = cctx.wrap_socket(bio, server_hostname="localhost", do_handshake_on_connect=False)
    try:
        client.do_handshake()
    except Exception as e:
        print("stream raising in %s:" % fail, type(e).__name__, e)
