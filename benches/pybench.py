#!/usr/bin/python3.11
"""The Python variant of the pyssl benchmarks: Python's own ``ssl`` module
doing what ``pyssl_bench`` (tests.c) does, test for test, with the same
arguments, printing the same one JSON line.

    /usr/bin/python3.11 benches/pybench.py --test TEST --certs DIR [options]

Run by bench.py; meant for Debian's /usr/bin/python3.11 (the ``python3.11``
on PATH may be another build).
"""

import argparse
import ctypes
import errno
import functools
import gc
import json
import os
import select
import signal
import socket
import ssl
import struct
import sys
import time

READ_BUF = 16384
MSG = 64
WANT = (ssl.SSLWantReadError, ssl.SSLWantWriteError)


def die(msg):
    sys.stderr.write(f"pybench[{os.getpid()}]: {msg}\n")
    os._exit(2)


def cpu_s():
    return time.process_time()


# ---- contexts: CPython's defaults, like the C variants ----

def contexts(a):
    ca = os.path.join(a.certs, "ca.pem")
    cert = os.path.join(a.certs, a.key + ".pem")
    key = os.path.join(a.certs, a.key + ".key")
    cc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED, check_hostname
    cc.load_verify_locations(cafile=ca)
    sc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sc.load_cert_chain(cert, key)
    if a.tls12:
        cc.maximum_version = ssl.TLSVersion.TLSv1_2
        sc.maximum_version = ssl.TLSVersion.TLSv1_2
    return cc, sc


def wrap(a, sock, server, session=None):
    if server:
        return a.sctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
    return a.cctx.wrap_socket(sock, server_hostname="localhost",
                              do_handshake_on_connect=False, session=session)


def nodelay(s):
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def abort_on_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def listener(backlog):
    l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", 0))
    l.listen(backlog)
    return l


class Pairs:
    """Socket pairs: socketpair(), or loopback TCP through one listener."""

    def __init__(self, transport):
        self.l = listener(128) if transport == "tcp" else None

    def make(self):
        if self.l is None:
            return socket.socketpair()
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        nodelay(c)
        abort_on_close(c)
        c.connect(self.l.getsockname())
        s, _ = self.l.accept()
        nodelay(s)
        return c, s

    def close(self):
        if self.l is not None:
            self.l.close()


def pump_handshake(c, s, after_c=None, after_s=None):
    """Both ends in turn until both finished; after_c / after_s (memory
    BIOs) move what each end wrote to the other."""
    cdone = sdone = False
    turns = 0
    while not (cdone and sdone):
        turns += 1
        if turns > 64:
            die("handshake makes no progress")
        if not cdone:
            try:
                c.do_handshake()
                cdone = True
            except WANT:
                pass
        if after_c:
            after_c()
        if not sdone:
            try:
                s.do_handshake()
                sdone = True
            except WANT:
                pass
        if after_s:
            after_s()


def pump_shutdown(c, s):
    cdone = sdone = False
    turns = 0
    while not (cdone and sdone):
        turns += 1
        if turns > 64:
            die("shutdown makes no progress")
        if not cdone:
            try:
                c.unwrap()
                cdone = True
            except WANT:
                pass
        if not sdone:
            try:
                s.unwrap()
                sdone = True
            except WANT:
                pass


def version_info(out, c):
    out["version"] = c.version()
    out["cipher"] = c.cipher()[0]


# ---- bulk / small ----

def big_buffers(sock):
    for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        sock.setsockopt(socket.SOL_SOCKET, opt, 1 << 20)


def test_stream(a, out):
    """Both ends in this thread, blocking, in batches (see tests.c)."""
    chunk = a.chunk
    total = a.bytes // chunk * chunk
    warm = max(total // 16 // chunk * chunk, chunk)
    batch = max(32768 // chunk, 1) if chunk >= 4096 else 32
    pp = Pairs(a.transport)
    cs, ss = pp.make()
    for sock in (cs, ss):
        big_buffers(sock)
        sock.setblocking(False)
    c, s = wrap(a, cs, False), wrap(a, ss, True)
    pump_handshake(c, s)
    c.setblocking(True)
    s.setblocking(True)
    w, r = (c, s) if a.dir == "c2s" else (s, c)
    data = bytes(chunk)
    mv = memoryview(bytearray(max(chunk, READ_BUF)))
    send, recv_into = w.send, r.recv_into
    t0 = c0 = 0.0
    for phase, n in enumerate((warm, total)):
        if phase:
            t0, c0 = time.perf_counter(), cpu_s()
        done = 0
        while done < n:
            k = min((n - done) // chunk, batch)
            for _ in range(k):
                if send(data) != chunk:
                    die("short write")
            want = k * chunk
            got = 0
            while got < want:
                got += recv_into(mv, min(want - got, READ_BUF))
            done += want
    t1, c1 = time.perf_counter(), cpu_s()
    out.update(seconds=t1 - t0, cpu_seconds=c1 - c0, bytes=total, calls=total // chunk)
    version_info(out, c)
    c.close()
    s.close()
    pp.close()


def test_stream_2p(a, out):
    """Writer here, reader in a forked process (see tests.c)."""
    chunk = a.chunk
    total = a.bytes // chunk * chunk
    warm = max(total // 16 // chunk * chunk, chunk)
    writer_is_client = a.dir == "c2s"
    if a.transport == "tcp":
        p = Pairs("tcp")
        cs, ss = p.make()
        p.close()
    else:
        cs, ss = socket.socketpair()
    buf = bytearray(max(chunk, READ_BUF))
    mv = memoryview(buf)
    cpu_r, cpu_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(cpu_r)
            reader_is_server = writer_is_client
            mine, other = (ss, cs) if reader_is_server else (cs, ss)
            other.close()
            c = wrap(a, mine, reader_is_server)
            c.do_handshake()
            for phase, n in enumerate((warm, total)):
                c0 = cpu_s()
                got = 0
                while got < n:
                    r = c.recv_into(mv, min(n - got, READ_BUF))
                    if r <= 0:
                        die(f"read returned {r}")
                    got += r
                if phase == 1:
                    os.write(cpu_w, struct.pack("d", cpu_s() - c0))
                c.send(b"K")
            try:
                c.recv(1)
            except (ssl.SSLError, OSError):
                pass
        except BaseException as e:  # noqa: BLE001 - report anything, then exit
            die(f"reader: {e!r}")
        os._exit(0)
    os.close(cpu_w)
    mine, other = (cs, ss) if writer_is_client else (ss, cs)
    other.close()
    c = wrap(a, mine, not writer_is_client)
    c.do_handshake()
    data = bytes(chunk)
    send = c.send
    for _ in range(warm // chunk):
        if send(data) != chunk:
            die("short write")
    if c.recv(1) != b"K":
        die("bad warm-up ack")
    c0, t0 = cpu_s(), time.perf_counter()
    for _ in range(total // chunk):
        if send(data) != chunk:
            die("short write")
    if c.recv(1) != b"K":
        die("bad ack")
    t1, c1 = time.perf_counter(), cpu_s()
    reader_cpu = struct.unpack("d", os.read(cpu_r, 8))[0]
    os.close(cpu_r)
    out.update(seconds=t1 - t0, bytes=total, calls=total // chunk, writer_cpu_seconds=c1 - c0,
               reader_cpu_seconds=reader_cpu, cpu_seconds=c1 - c0 + reader_cpu)
    version_info(out, c)
    c.close()
    _, st = os.waitpid(pid, 0)
    if st != 0:
        die(f"peer process failed (status {st})")


# ---- handshake / resume ----

def first_session(a, pp):
    cs, ss = pp.make()
    cs.setblocking(False)
    ss.setblocking(False)
    c, s = wrap(a, cs, False), wrap(a, ss, True)
    pump_handshake(c, s)
    s.send(b"T")
    for _ in range(100):
        try:
            if c.recv(1) == b"T":
                break
        except ssl.SSLWantReadError:
            pass
    sess = c.session
    if sess is None:
        die("no session to resume")
    pump_shutdown(c, s)
    c.close()
    s.close()
    return sess


def test_handshake(a, out, resume):
    pp = Pairs(a.transport)
    sess = first_session(a, pp) if resume else None
    n, warm = a.count, a.warmup
    t0 = c0 = 0.0
    for i in range(n + warm):
        if i == warm:
            t0, c0 = time.perf_counter(), cpu_s()
        cs, ss = pp.make()
        cs.setblocking(False)
        ss.setblocking(False)
        c, s = wrap(a, cs, False, sess), wrap(a, ss, True)
        pump_handshake(c, s)
        if resume and not c.session_reused:
            die("session was not reused")
        if i == 0:
            version_info(out, c)
            out["reused"] = int(c.session_reused) if resume else 0
        pump_shutdown(c, s)
        c.close()
        s.close()
    t1, c1 = time.perf_counter(), cpu_s()
    out.update(seconds=t1 - t0, cpu_seconds=c1 - c0, calls=n)
    pp.close()


# ---- getpeercert, get_info, get_ca_certs ----

def connected(a):
    """A handshaken client and server over a fresh pair."""
    pp = Pairs(a.transport)
    cs, ss = pp.make()
    cs.setblocking(False)
    ss.setblocking(False)
    c, s = wrap(a, cs, False), wrap(a, ss, True)
    pump_handshake(c, s)
    return pp, c, s


def time_calls(a, out, get):
    """a.warmup untimed calls of get(), then a.count timed ones."""
    for _ in range(a.warmup):
        get()
    n = a.count
    t0, c0 = time.perf_counter(), cpu_s()
    for _ in range(n):
        get()
    t1, c1 = time.perf_counter(), cpu_s()
    out.update(seconds=t1 - t0, cpu_seconds=c1 - c0, calls=n)


def test_peercert(a, out, binary):
    pp, c, s = connected(a)
    version_info(out, c)
    if not c.getpeercert(binary):
        die("no peer certificate")
    # partial: no Python frame per call around the one measured
    time_calls(a, out, functools.partial(c.getpeercert, binary))
    c.close()
    s.close()
    pp.close()


def test_get_info(a, out):
    """Certificate.get_info() of the peer's certificate: a fresh decode on
    every call (CPython decodes anew; the pyssl-patched module too)."""
    pp, c, s = connected(a)
    version_info(out, c)
    cert = c._sslobj.get_unverified_chain()[0]
    if not cert.get_info().get("subject"):
        die("get_info() returned no subject")
    time_calls(a, out, cert.get_info)
    c.close()
    s.close()
    pp.close()


def test_get_ca_certs(a, out):
    """SSLContext.get_ca_certs(): decodes the context's CA certificates
    anew on every call."""
    if not a.cctx.get_ca_certs():
        die("no CA certificates")
    time_calls(a, out, a.cctx.get_ca_certs)


# ---- memory per idle connection ----

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
        "fsmblks", "uordblks", "fordblks", "keepcost")]


def status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def heap_reader():
    """A function giving malloc's bytes in use (mallinfo2), after making
    sure (by re-executing) that every allocation goes through malloc, so
    that Python's own objects count too (pymalloc's arenas are mmap()ed
    directly)."""
    if os.environ.get("PYTHONMALLOC") != "malloc":
        os.environ["PYTHONMALLOC"] = "malloc"
        sys.stdout.flush()
        os.execv(sys.executable, [sys.executable] + sys.argv)
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2

    def heap():
        gc.collect()
        mi = libc.mallinfo2()
        return mi.uordblks + mi.hblkhd
    return heap


def test_memory(a, out):
    heap = heap_reader()

    import resource
    n = a.count
    budget = (resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 64) // 2
    if n > budget:
        sys.stderr.write(f"pybench: notice: fd limit allows only {budget} idle pairs (asked {n})\n")
        n = budget
    pp = Pairs("unix")
    for _ in range(8):
        cs, ss = pp.make()
        cs.setblocking(False)
        ss.setblocking(False)
        c, s = wrap(a, cs, False), wrap(a, ss, True)
        pump_handshake(c, s)
        c.close()
        s.close()
    del c, s, cs, ss
    pairs = []
    for _ in range(n):
        cs, ss = pp.make()
        cs.setblocking(False)
        ss.setblocking(False)
        pairs.append((cs, ss))
    del cs, ss
    clients = [None] * n
    servers = [None] * n
    m0 = heap()
    r0 = status_kib("VmRSS")
    for i in range(n):
        cs, ss = pairs[i]
        c, s = wrap(a, cs, False), wrap(a, ss, True)
        pump_handshake(c, s)
        clients[i], servers[i] = c, s
    del c, s, cs, ss
    m1 = heap()
    r1 = status_kib("VmRSS")
    version_info(out, clients[0])
    # Drop the Python objects without close(): the fds belong to `pairs`'
    # detached sockets' numbers and are closed below.
    for i in range(n):
        servers[i].detach()
        servers[i] = None
    m2 = heap()
    for i in range(n):
        clients[i].detach()
        clients[i] = None
    m3 = heap()
    out.update(connections=n, client_bytes=(m2 - m3) / n, server_bytes=(m1 - m2) / n,
               retained_bytes=(m3 - m0) / n, rss_bytes_per_pair=(r1 - r0) * 1024 / n)


def test_membio(a, out):
    """`count` client/server pairs of SSLObjects over MemoryBIOs, all open
    at once in this process, handshaken, idle (tests.c test_membio)."""
    heap = heap_reader()

    def pair():
        ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
        c = a.cctx.wrap_bio(ci, co, server_hostname="localhost")
        s = a.sctx.wrap_bio(si, so, server_side=True)
        pump_handshake(c, s, lambda: si.write(co.read()), lambda: ci.write(so.read()))
        return c, s

    for _ in range(8):
        pair()
    n = a.count
    clients, servers = [None] * n, [None] * n
    m0 = heap()
    r0 = status_kib("VmRSS")
    t0, c0 = time.perf_counter(), cpu_s()
    for i in range(n):
        clients[i], servers[i] = pair()
    t1, c1 = time.perf_counter(), cpu_s()
    m1 = heap()
    r1 = status_kib("VmRSS")
    version_info(out, clients[0])
    servers = None
    m2 = heap()
    clients = None
    m3 = heap()
    out.update(connections=n, seconds=t1 - t0, cpu_seconds=c1 - c0, client_bytes=(m2 - m3) / n,
               server_bytes=(m1 - m2) / n, retained_bytes=(m3 - m0) / n,
               rss_bytes_per_conn=(r1 - r0) * 1024 / (2 * n))


# ---- c10k ----

ST_CONNECTING, ST_HANDSHAKE, ST_WRITE, ST_READ, ST_DONE = range(5)
ID_CTL, ID_LISTEN = -1, -2


class Conn:
    __slots__ = ("sock", "tls", "state", "got", "events", "fd")

    def __init__(self):
        self.sock = self.tls = None
        self.state = ST_CONNECTING
        self.got = 0
        self.events = 0
        self.fd = -1


def ep_set(ep, c, events):
    if c.events == events:
        return
    if c.events == 0:
        ep.register(c.fd, events)
    elif events == 0:
        ep.unregister(c.fd)
    else:
        ep.modify(c.fd, events)
    c.events = events


def advance(ep, c, server, msg=bytes(MSG)):
    """Moves a connection on as far as it goes; True when it just finished."""
    t = c.tls
    try:
        while True:
            st = c.state
            if st == ST_HANDSHAKE:
                t.do_handshake()
                c.state = ST_READ if server else ST_WRITE
            elif st == ST_WRITE:
                if t.send(msg) != MSG:
                    die("short write")
                if server:
                    c.state = ST_DONE
                    ep_set(ep, c, 0)
                    return True
                c.state = ST_READ
            elif st == ST_READ:
                r = len(t.recv(MSG - c.got))
                if r == 0:
                    die("unexpected EOF")
                c.got += r
                if c.got < MSG:
                    continue
                if server:
                    c.state = ST_WRITE
                    continue
                c.state = ST_DONE
                ep_set(ep, c, 0)
                return True
            else:
                return False
    except ssl.SSLWantReadError:
        ep_set(ep, c, select.EPOLLIN)
    except ssl.SSLWantWriteError:
        ep_set(ep, c, select.EPOLLOUT)
    return False


def reset_hwm():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def c10k_server(a, ctl, lsock, n):
    cs = []
    byfd = {}
    ep = select.epoll()
    if lsock is None:
        while len(cs) < n:
            _, fds, _, _ = socket.recv_fds(ctl, 1, 1)
            c = Conn()
            c.sock = socket.socket(fileno=fds[0])
            c.sock.setblocking(False)
            c.fd = fds[0]
            cs.append(c)
            byfd[c.fd] = c
            ep_set(ep, c, select.EPOLLIN)
    else:
        ep.register(lsock.fileno(), select.EPOLLIN)
    ep.register(ctl.fileno(), select.EPOLLIN)
    lfd = lsock.fileno() if lsock is not None else -100
    ctlfd = ctl.fileno()
    reset_hwm()
    rss0 = status_kib("VmRSS")
    c0 = cpu_s()
    ctl.sendall(b"R")
    while True:
        for fd, _ in ep.poll():
            if fd == ctlfd:
                ctl.recv(1)
                ctl.sendall(f"{rss0} {status_kib('VmHWM')} {cpu_s() - c0:.6f} "
                            f"{status_kib('VmRSS')}\n".encode())
                os._exit(0)
            if fd == lfd:
                while True:
                    try:
                        s, _ = lsock.accept()
                    except BlockingIOError:
                        break
                    s.setblocking(False)
                    nodelay(s)
                    c = Conn()
                    c.fd = s.fileno()
                    c.tls = wrap(a, s, True)
                    c.state = ST_HANDSHAKE
                    cs.append(c)
                    byfd[c.fd] = c
                    advance(ep, c, True)
                continue
            c = byfd[fd]
            if c.state == ST_CONNECTING:
                c.tls = wrap(a, c.sock, True)
                c.sock = None
                c.state = ST_HANDSHAKE
            advance(ep, c, True)


def test_c10k(a, out):
    import resource
    n = a.count
    budget = resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 300
    if n > budget:
        sys.stderr.write(f"pybench: notice: fd limit allows only {budget} concurrent connections (asked {n})\n")
        n = budget
    tcp = a.transport == "tcp"
    ctl, ctl_child = socket.socketpair()
    lsock = None
    if tcp:
        lsock = listener(4096)
        lsock.setblocking(False)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            ctl.close()
            c10k_server(a, ctl_child, lsock, n)
        except BaseException as e:  # noqa: BLE001
            die(f"server: {e!r}")
        os._exit(1)
    ctl_child.close()
    addr = None
    if lsock is not None:
        addr = lsock.getsockname()
        lsock.close()
    cs = [Conn() for _ in range(n)]
    if not tcp:
        for c in cs:
            x, y = socket.socketpair()
            socket.send_fds(ctl, [b"F"], [y.fileno()])
            y.close()
            c.sock = x
            c.fd = x.fileno()
            x.setblocking(False)
    if ctl.recv(1) != b"R":
        die("server not ready")
    ep = select.epoll()
    byfd = {}
    reset_hwm()
    rss0 = status_kib("VmRSS")
    t0, c0 = time.perf_counter(), cpu_s()
    started = finished = 0
    window = a.window if a.window > 0 else n
    while finished < n:
        while started < n and started - finished < window:
            c = cs[started]
            started += 1
            if tcp:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                nodelay(s)
                abort_on_close(s)
                e = s.connect_ex(addr)
                if e not in (0, errno.EINPROGRESS):
                    die(f"connect: {os.strerror(e)}")
                c.sock = s
                c.fd = s.fileno()
                c.state = ST_CONNECTING
                byfd[c.fd] = c
                ep_set(ep, c, select.EPOLLOUT)
                continue
            byfd[c.fd] = c
            c.tls = wrap(a, c.sock, False)
            c.sock = None
            c.state = ST_HANDSHAKE
            finished += advance(ep, c, False)
        if finished >= n:
            # The last connections can finish synchronously above.
            break
        events = ep.poll(30)
        if not events:
            die(f"c10k stalled ({finished} of {n} done)")
        for fd, _ in events:
            c = byfd[fd]
            if c.state == ST_CONNECTING:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    die(f"connect: {os.strerror(err)}")
                c.tls = wrap(a, c.sock, False)
                c.sock = None
                c.state = ST_HANDSHAKE
            finished += advance(ep, c, False)
    t1, c1 = time.perf_counter(), cpu_s()
    hwm = status_kib("VmHWM")
    rss_idle = status_kib("VmRSS")  # every connection open and idle
    ctl.sendall(b"D")
    rep = b""
    while not rep.endswith(b"\n"):
        chunk = ctl.recv(64)
        if not chunk:
            die("server report: EOF")
        rep += chunk
    f = rep.split()
    srss0, shwm, scpu, srss_idle = int(f[0]), int(f[1]), float(f[2]), int(f[3])
    _, st = os.waitpid(pid, 0)
    if st != 0:
        die(f"server process failed (status {st})")
    out.update(connections=n, seconds=t1 - t0, client_cpu_seconds=c1 - c0,
               server_cpu_seconds=scpu, cpu_seconds=c1 - c0 + scpu,
               client_peak_growth_kib=hwm - rss0, server_peak_growth_kib=shwm - srss0,
               peak_growth_kib=hwm - rss0 + shwm - srss0,
               client_idle_rss_bytes_per_conn=(rss_idle - rss0) * 1024 / n,
               server_idle_rss_bytes_per_conn=(srss_idle - srss0) * 1024 / n)
    version_info(out, cs[0].tls)
    for c in cs:
        c.tls.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--test", required=True)
    ap.add_argument("--certs", required=True)
    ap.add_argument("--transport", default="unix", choices=("unix", "tcp"))
    ap.add_argument("--dir", default="c2s", choices=("c2s", "s2c"))
    ap.add_argument("--bytes", type=int, default=16 << 20)
    ap.add_argument("--chunk", type=int, default=16384)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=-1)
    ap.add_argument("--window", type=int, default=1000)
    ap.add_argument("--key", default="ec", choices=("ec", "rsa"))
    ap.add_argument("--tls12", action="store_true")
    a = ap.parse_args()
    if a.warmup < 0:
        a.warmup = max(a.count // 20, 2)
    signal.alarm(600)
    a.cctx, a.sctx = contexts(a)
    import _ssl
    out = {"impl": "python", "test": a.test, "_ssl": _ssl.__file__}
    tests = {
        "bulk": test_stream,
        "small": test_stream,
        "bulk2p": test_stream_2p,
        "small2p": test_stream_2p,
        "handshake": lambda a, o: test_handshake(a, o, False),
        "resume": lambda a, o: test_handshake(a, o, True),
        "peercert": lambda a, o: test_peercert(a, o, False),
        "peercert_der": lambda a, o: test_peercert(a, o, True),
        "get_info": test_get_info,
        "get_ca_certs": test_get_ca_certs,
        "memory": test_memory,
        "membio": test_membio,
        "c10k": test_c10k,
    }
    if a.test not in tests:
        die(f"unknown test {a.test}")
    tests[a.test](a, out)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
