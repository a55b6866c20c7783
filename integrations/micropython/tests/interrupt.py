# MicroPython only (test.sh): Ctrl-C (SIGINT, sent by test.sh after a
# second) stops a blocking handshake with a peer that never answers, with
# KeyboardInterrupt, as in CPython.
#   interrupt.py PORT   (a free port on 127.0.0.1)
import socket
import ssl
import sys

addr = socket.getaddrinfo("127.0.0.1", int(sys.argv[1]))[0][-1]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(addr)
ls.listen(1)
c = socket.socket()
c.connect(addr)
conn, _ = ls.accept()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
print("handshake")
try:
    ctx.wrap_socket(c)
    print("handshake returned")
except KeyboardInterrupt:
    print("KeyboardInterrupt")
