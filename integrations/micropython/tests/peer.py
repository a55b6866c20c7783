"""The CPython side of shared_ssl.py's scenarios (run by python3.11).

  peer.py server PORTFILE CERTDIR
      A TLS server on 127.0.0.1 (port written to PORTFILE once listening).
      Each client sends one line naming what the server does next:
        echo      echo every record until the client's close_notify, then
                  answer with our own (unwrap)
        ragged    answer one message, then close TCP without close_notify
        notify    answer one message, then send close_notify (unwrap) and
                  keep the TCP connection open until the client closes
        unwrap    echo one message, unwrap when the client does, then echo
                  one plain-text message
        quiet     send nothing (the client tests non-blocking reads)
      Runs until killed; every connection is handled in its own thread.
  peer.py client PORT CERTDIR
      Retries connecting to 127.0.0.1:PORT for 20 s, then does a verified
      TLS handshake with a client certificate, sends b"hello server",
      prints the echo, closes (close_notify). For the script's server side.
"""
import os
import socket
import ssl
import sys
import threading
import time


def handle(conn, ctx):
    try:
        s = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):
        conn.close()
        return
    try:
        line = b""
        while not line.endswith(b"\n"):
            d = s.recv(1)
            if not d:
                return
            line += d
        mode = line.strip().decode()
        if mode == "echo":
            while True:
                d = s.recv(65536)
                if not d:
                    break
                s.sendall(d)
            s.unwrap().close()
        elif mode == "ragged":
            s.sendall(s.recv(1024))
            # A TCP close without close_notify.
            conn2 = socket.socket(fileno=s.detach())
            conn2.close()
        elif mode == "notify":
            s.sendall(s.recv(1024))
            # close_notify; unwrap() then waits for the client's.
            s.unwrap().close()
        elif mode == "unwrap":
            s.sendall(s.recv(1024))
            raw = s.unwrap()
            raw.sendall(raw.recv(1024))
            raw.close()
        elif mode == "quiet":
            s.recv(1024)  # until the client closes
            s.close()
    except (ssl.SSLError, OSError):
        pass
    finally:
        try:
            s.close()
        except OSError:
            pass


def server(portfile, certdir):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(certdir, "server.pem"), os.path.join(certdir, "server.key"))
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = ls.accept()
        threading.Thread(target=handle, args=(conn, ctx), daemon=True).start()


def client(port, certdir):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(certdir, "ca.pem"))
    ctx.load_cert_chain(os.path.join(certdir, "client.pem"), os.path.join(certdir, "client.key"))
    deadline = time.monotonic() + 20
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port))
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    with ctx.wrap_socket(sock, server_hostname="localhost") as s:
        s.sendall(b"hello server")
        print("peer client got", s.recv(1024), flush=True)
        try:
            s.unwrap()
        except (ssl.SSLError, OSError) as e:
            print("peer client unwrap:", type(e).__name__, flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3])
    else:
        client(int(sys.argv[2]), sys.argv[3])
