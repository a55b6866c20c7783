# The client side of bench.sh, for CPython and MicroPython alike:
#   client.py CERTDIR PORT SECONDS MEGABYTES
# Prints "handshakes N SECONDS" (sequential full handshakes, TLS 1.3,
# verified, each connection closed with close_notify) and "bulk BYTES
# SECONDS" (16 KiB records written and echoed back, one at a time, read
# with recv_into so that neither interpreter allocates per read).
import socket
import ssl
import sys
import time

certdir, port, seconds, megabytes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(certdir + "/ca.pem")


def now():
    return time.time_ns() / 1e9


def session():
    s = socket.socket()
    s.connect(addr)
    return ctx.wrap_socket(s, server_hostname="localhost")


n = 0
start = now()
while now() - start < seconds:
    ss = session()
    ss.unwrap().close()
    n += 1
print("handshakes", n, now() - start)

chunk = b"x" * 16384
buf = bytearray(16384)
mv = memoryview(buf)
total = megabytes * 1024 * 1024
ss = session()
start = now()
sent = 0
while sent < total:
    ss.sendall(chunk)
    got = 0
    while got < len(chunk):
        got += ss.recv_into(mv[got:])
    sent += len(chunk)
elapsed = now() - start
ss.unwrap().close()
print("bulk", sent, elapsed)
