# The client side of bench.sh, for CPython, MicroPython + pyssl (`ssl`) and
# MicroPython + mbedtls (its `tls` module) alike:
#   client.py CERTDIR PORT SECONDS MEGABYTES
# Prints "handshakes N SECONDS" (sequential full handshakes, verified, each
# connection closed without close_notify, as MicroPython's mbedtls socket
# has no unwrap()) and "bulk BYTES
# SECONDS" (16 KiB records written and echoed back, one at a time, read
# with recv_into so that neither interpreter allocates per read).
import binascii
import socket
import sys
import time

try:
    import ssl
except ImportError:
    import tls as ssl  # MicroPython's own (mbedtls) module

certdir, port, seconds, megabytes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
if hasattr(ssl, "MBEDTLS_VERSION"):
    # mbedtls takes the CA as bytes only
    with open(certdir + "/ca.pem") as f:
        body = f.read().split("-----")[2]
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(binascii.a2b_base64("".join(body.split())))
else:
    ctx.load_verify_locations(certdir + "/ca.pem")


def now():
    return time.time_ns() / 1e9


def session():
    s = socket.socket()
    s.connect(addr)
    return ctx.wrap_socket(s, server_hostname="localhost")


ss = session()
print("cipher", ss.cipher()[0], ss.cipher()[1])
ss.close()
n = 0
start = now()
while now() - start < seconds:
    session().close()
    n += 1
print("handshakes", n, now() - start)

chunk = b"x" * 16384
buf = bytearray(16384)
mv = memoryview(buf)
total = megabytes * 1024 * 1024
ss = session()
send = getattr(ss, "sendall", None) or ss.write
recv_into = getattr(ss, "recv_into", None) or ss.readinto
start = now()
sent = 0
while sent < total:
    send(chunk)
    got = 0
    while got < len(chunk):
        got += recv_into(mv[got:])
    sent += len(chunk)
elapsed = now() - start
ss.close()
print("bulk", sent, elapsed)
