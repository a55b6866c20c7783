"""A Python ssl peer for the interop tests (any CPython 3.8+).

    py_peer.py server CERTFILE KEYFILE
        Listens on 127.0.0.1 (a free port, printed as "listening on
        127.0.0.1 port N"), serves one TLS client: echoes everything until
        the client's close_notify, then unwraps. Exit 0 on a clean session.

    py_peer.py client PORT CAFILE SERVER_NAME MESSAGE
        ssl.create_default_context(cafile=CAFILE), connects to 127.0.0.1,
        sends MESSAGE, reads the echo, unwraps. Exit 0 on a clean session.
"""
import socket
import ssl
import sys

TIMEOUT = 20.0


def log(*args):
    print(*args, flush=True)


def server(certfile, keyfile):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    with socket.socket() as lsock:
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        lsock.settimeout(TIMEOUT)
        log("listening on 127.0.0.1 port %d" % lsock.getsockname()[1])
        conn, _ = lsock.accept()
        conn.settimeout(TIMEOUT)
        # suppress_ragged_eofs=False: an EOF without close_notify is an error.
        with ctx.wrap_socket(conn, server_side=True, suppress_ragged_eofs=False) as tls:
            log("python %s server: %s %s" % (sys.version.split()[0], tls.version(), tls.cipher()[0]))
            total = 0
            while True:
                data = tls.recv(16384)
                if not data:  # the client's close_notify
                    break
                tls.sendall(data)
                total += len(data)
            tls.unwrap()
            log("echoed %d bytes, closed cleanly" % total)


def client(port, cafile, server_name, message):
    ctx = ssl.create_default_context(cafile=cafile)
    data = message.encode()
    with socket.create_connection(("127.0.0.1", int(port)), timeout=TIMEOUT) as sock:
        with ctx.wrap_socket(sock, server_hostname=server_name,
                             suppress_ragged_eofs=False) as tls:
            log("python %s client: %s %s" % (sys.version.split()[0], tls.version(), tls.cipher()[0]))
            log("peer subject: %r" % (tls.getpeercert()["subject"],))
            tls.sendall(data)
            got = b""
            while len(got) < len(data):
                chunk = tls.recv(len(data) - len(got))
                if not chunk:
                    raise EOFError("server closed after %d bytes" % len(got))
                got += chunk
            log("received: %s" % got.decode())
            tls.unwrap()
            log("shutdown: clean")


def main(argv):
    if len(argv) == 4 and argv[1] == "server":
        server(argv[2], argv[3])
    elif len(argv) == 6 and argv[1] == "client":
        client(*argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
