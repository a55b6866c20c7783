"""Interop tests: the pyssl examples against other TLS stacks.

    interop.py --client CLIENT --server ECHO_SERVER [--python PY] SCENARIO

CLIENT and ECHO_SERVER are the examples built from include/pyssl.h. Each
scenario makes its own CA and server certificate (openssl CLI), runs on
free loopback ports, bounds every wait, kills what it started, and checks
the echoed data and clean exits of both ends.

    client-openssl   pyssl client  -> openssl s_server -rev (echo reversed)
    client-gnutls    pyssl client  -> gnutls-serv --echo
    client-python    pyssl client  -> Python ssl echo server (--python)
    client-pyssl     pyssl client  -> pyssl echo server
    client-badhost   pyssl client refuses a certificate for another name
    client-untrusted pyssl client refuses a certificate from an unknown CA
    server-openssl   openssl s_client -> pyssl echo server
    server-gnutls    gnutls-cli       -> pyssl echo server
    server-python    Python ssl client (--python) -> pyssl echo server

--python is a Python interpreter, or "pyenv:3.13" for the newest pyenv
CPython 3.13 (found through $PYENV_ROOT or `pyenv root`); when it is not
installed the test prints a notice and exits 77 (CTest: skipped).
"""
import argparse
import glob
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT = 20.0  # seconds any single step may take
SKIP = 77


class Failure(Exception):
    pass


def note(msg):
    print("== " + msg, flush=True)


# --- processes -------------------------------------------------------------

class Proc:
    """A child with its output collected by threads; killed on cleanup."""

    def __init__(self, name, argv, stdin=False):
        self.name = name
        self.argv = [str(a) for a in argv]
        note("%s: %s" % (name, " ".join(self.argv)))
        self.p = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True)
        self.out = []
        self.err = []
        self.dumped = False
        self.lines = queue.Queue()
        self.threads = [
            threading.Thread(target=self._pump, args=(self.p.stdout, self.out, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.p.stderr, self.err, False), daemon=True),
        ]
        for t in self.threads:
            t.start()

    def _pump(self, stream, sink, is_stdout):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace")
            sink.append(line)
            if is_stdout:
                self.lines.put(line)
        stream.close()

    @property
    def stdout(self):
        return "".join(self.out)

    @property
    def stderr(self):
        return "".join(self.err)

    def wait_line(self, pattern, timeout=WAIT):
        """The first stdout match of `pattern` (a regex), within `timeout`."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("%s: no output matching %r within %gs" % (self.name, pattern, timeout))
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                if self.p.poll() is not None and self.lines.empty():
                    time.sleep(0.1)  # let the pump threads finish
                    if self.lines.empty():
                        raise Failure("%s exited (%s) before printing %r"
                                      % (self.name, self.p.returncode, pattern))
                continue
            m = rx.search(line)
            if m:
                return m

    def write(self, data):
        self.p.stdin.write(data.encode())
        self.p.stdin.flush()

    def close_stdin(self):
        self.p.stdin.close()

    def wait(self, timeout=WAIT):
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not exit within %gs" % (self.name, timeout))
        for t in self.threads:
            t.join(5)
        return rc

    def alive(self):
        return self.p.poll() is None

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(3)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait()
        for t in self.threads:
            t.join(5)

    def dump(self):
        self.dumped = True
        print("---- %s (exit %s) stdout ----\n%s---- %s stderr ----\n%s"
              % (self.name, self.p.returncode, self.stdout, self.name, self.stderr), flush=True)


def free_port():
    """A port nobody listens on right now (the caller binds it next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """True once some socket is in LISTEN on `port` (/proc/net/tcp{,6})."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for row in f:
                    fields = row.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


def wait_listening(proc, port, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not listening(port):
        if not proc.alive():
            raise Failure("%s exited (%s) before listening on port %d"
                          % (proc.name, proc.p.returncode, port))
        if time.monotonic() > deadline:
            raise Failure("%s not listening on port %d after %gs" % (proc.name, port, timeout))
        time.sleep(0.05)


def start_on_free_port(name, make_argv):
    """Starts a server that takes its port as an argument; retries when it
    exits early (the port was taken between choosing and binding it)."""
    for _ in range(3):
        port = free_port()
        proc = Proc(name, make_argv(port))
        try:
            wait_listening(proc, port)
            return proc, port
        except Failure:
            exited = proc.p.poll() is not None
            proc.kill()
            proc.dump()
            if not exited:
                raise
    raise Failure("%s: could not start on a free port" % name)


# --- certificates ------------------------------------------------------------

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True,
                       timeout=WAIT)
    if r.returncode != 0:
        raise Failure("openssl %s failed:\n%s" % (" ".join(args), r.stderr))


def make_ca(d, name):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", name + ".key", cwd=d)
    openssl("req", "-new", "-x509", "-config", "openssl.cnf", "-extensions", "v3_ca",
            "-key", name + ".key", "-subj", "/O=pyssl interop/CN=" + name,
            "-days", "2", "-out", name + ".pem", cwd=d)


def make_certs(d):
    """ca.pem, server.pem/server.key (localhost, 127.0.0.1) and other-ca.pem."""
    with open(os.path.join(d, "openssl.cnf"), "w") as f:
        f.write(OPENSSL_CNF)
    make_ca(d, "ca")
    make_ca(d, "other-ca")
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", "server.key", cwd=d)
    openssl("req", "-new", "-config", "openssl.cnf", "-key", "server.key",
            "-subj", "/O=pyssl interop/CN=localhost", "-out", "server.csr", cwd=d)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", str(secrets.randbits(63)), "-days", "2",
            "-extfile", "openssl.cnf", "-extensions", "v3_server", "-out", "server.pem", cwd=d)
    return {k: os.path.join(d, v) for k, v in
            (("ca", "ca.pem"), ("other_ca", "other-ca.pem"),
             ("cert", "server.pem"), ("key", "server.key"))}


# --- peers --------------------------------------------------------------------

def find_python(spec):
    """An interpreter path for --python; None when it is not installed."""
    if not spec.startswith("pyenv:"):
        return spec if shutil.which(spec) or os.path.exists(spec) else None
    version = spec.split(":", 1)[1]
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    pyenv = shutil.which("pyenv")
    if pyenv:
        r = subprocess.run([pyenv, "root"], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            roots.append(r.stdout.strip())
    roots.append(os.path.expanduser("~/.pyenv"))
    major_minor = ".".join(version.split(".")[:2])
    for root in roots:
        found = glob.glob(os.path.join(root, "versions", version + "*", "bin",
                                       "python" + major_minor))
        if found:
            def key(p):
                v = p.split(os.sep)[-3]
                return [int(x) if x.isdigit() else -1 for x in re.split(r"[.]", v)]
            return sorted(found, key=key)[-1]
    return None


def run_client(args, certs, port, message, server_name="localhost", ca=None):
    client = Proc("pyssl client", [args.client, "127.0.0.1", port, ca or certs["ca"],
                                   server_name, message])
    try:
        rc = client.wait()
    finally:
        client.kill()
    return client, rc


def check_client_ok(client, rc, expected):
    client.dump()
    if rc != 0:
        raise Failure("pyssl client exited %s" % rc)
    for want in ("received: " + expected, "shutdown: clean"):
        if want not in client.stdout:
            raise Failure("pyssl client output lacks %r" % want)
    if not re.search(r"^version: TLSv1\.[23]$", client.stdout, re.M):
        raise Failure("pyssl client did not report the TLS version")


def start_echo_server(args, certs):
    server = Proc("pyssl echo server", [args.server, 0, certs["cert"], certs["key"], "--once"])
    port = int(server.wait_line(r"listening on 127\.0\.0\.1 port (\d+)").group(1))
    return server, port


def finish_echo_server(server):
    rc = server.wait()
    server.dump()
    if rc != 0:
        raise Failure("pyssl echo server exited %s" % rc)
    if "closed cleanly" not in server.stdout:
        raise Failure("pyssl echo server did not report a clean close")


def message_for(peer):
    return "hello %s from pyssl %s" % (peer, secrets.token_hex(4))


# --- scenarios ------------------------------------------------------------------

def client_openssl(args, certs, procs):
    # s_server -rev answers each line reversed; -naccept 1 exits afterwards.
    server, port = start_on_free_port("openssl s_server", lambda port: [
        "openssl", "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", certs["cert"],
        "-key", certs["key"], "-rev", "-naccept", "1"])
    procs.append(server)
    line = message_for("openssl")
    client, rc = run_client(args, certs, port, line + "\n")
    check_client_ok(client, rc, line[::-1] + "\n")
    src = server.wait()
    server.dump()
    if src != 0:
        raise Failure("openssl s_server exited %s" % src)


def client_gnutls(args, certs, procs):
    server, port = start_on_free_port("gnutls-serv", lambda port: [
        "gnutls-serv", "--echo", "-p", port, "--x509certfile", certs["cert"],
        "--x509keyfile", certs["key"]])
    procs.append(server)
    # The echo server answers once it has a whole line.
    msg = message_for("gnutls") + "\n"
    client, rc = run_client(args, certs, port, msg)
    check_client_ok(client, rc, msg)
    if not server.alive():
        server.dump()
        raise Failure("gnutls-serv died")
    server.kill()
    server.dump()


def client_python(args, certs, procs):
    python = need_python(args)
    server = Proc("python server", [python, os.path.join(HERE, "py_peer.py"), "server",
                                    certs["cert"], certs["key"]])
    procs.append(server)
    port = int(server.wait_line(r"listening on 127\.0\.0\.1 port (\d+)").group(1))
    msg = message_for("python")
    client, rc = run_client(args, certs, port, msg)
    check_client_ok(client, rc, msg)
    src = server.wait()
    server.dump()
    if src != 0 or "closed cleanly" not in server.stdout:
        raise Failure("python server exited %s without a clean close" % src)


def client_pyssl(args, certs, procs):
    server, port = start_echo_server(args, certs)
    procs.append(server)
    msg = message_for("pyssl")
    client, rc = run_client(args, certs, port, msg)
    check_client_ok(client, rc, msg)
    finish_echo_server(server)


def expect_verify_failure(args, certs, procs, server_name, ca, reason):
    server, port = start_echo_server(args, certs)
    procs.append(server)
    client, rc = run_client(args, certs, port, "never sent", server_name=server_name, ca=ca)
    client.dump()
    want = ("SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed: " + reason)
    if rc == 0 or want not in client.stderr:
        raise Failure("pyssl client: expected exit != 0 and %r" % want)
    if "received:" in client.stdout:
        raise Failure("pyssl client exchanged data despite the failure")
    # The server sees the client's alert and gives up on that session.
    src = server.wait()
    server.dump()
    if src != 1:
        raise Failure("pyssl echo server exited %s, expected 1" % src)


def client_badhost(args, certs, procs):
    expect_verify_failure(args, certs, procs, "wrong.example", None,
                          "Hostname mismatch, certificate is not valid for 'wrong.example'.")


def client_untrusted(args, certs, procs):
    expect_verify_failure(args, certs, procs, "localhost", certs["other_ca"],
                          "unable to get local issuer certificate")


def drive_cli_client(proc, msg):
    """Types `msg` into a CLI client, waits for its echo, then ends stdin
    (both s_client and gnutls-cli then close the session)."""
    proc.write(msg + "\n")
    proc.wait_line(re.escape(msg))
    proc.close_stdin()
    rc = proc.wait()
    proc.dump()
    if rc != 0:
        raise Failure("%s exited %s" % (proc.name, rc))


def server_openssl(args, certs, procs):
    server, port = start_echo_server(args, certs)
    procs.append(server)
    client = Proc("openssl s_client", [
        "openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", certs["ca"],
        "-servername", "localhost", "-verify_hostname", "localhost", "-verify_return_error",
        "-brief", "-nocommands"], stdin=True)
    procs.append(client)
    drive_cli_client(client, message_for("s_client"))
    if "Verification: OK" not in client.stderr:
        raise Failure("s_client did not verify the pyssl server")
    finish_echo_server(server)


def server_gnutls(args, certs, procs):
    server, port = start_echo_server(args, certs)
    procs.append(server)
    client = Proc("gnutls-cli", [
        "gnutls-cli", "--x509cafile", certs["ca"], "-p", port, "--sni-hostname", "localhost",
        "--verify-hostname", "localhost", "127.0.0.1"], stdin=True)
    procs.append(client)
    drive_cli_client(client, message_for("gnutls-cli"))
    if "Handshake was completed" not in client.stdout + client.stderr:
        raise Failure("gnutls-cli did not complete the handshake")
    finish_echo_server(server)


def server_python(args, certs, procs):
    python = need_python(args)
    server, port = start_echo_server(args, certs)
    procs.append(server)
    msg = message_for("python")
    client = Proc("python client", [python, os.path.join(HERE, "py_peer.py"), "client",
                                    port, certs["ca"], "localhost", msg])
    procs.append(client)
    rc = client.wait()
    client.dump()
    if rc != 0 or "received: " + msg not in client.stdout or "shutdown: clean" not in client.stdout:
        raise Failure("python client exited %s without the echo and a clean shutdown" % rc)
    finish_echo_server(server)


SCENARIOS = {
    "client-openssl": client_openssl,
    "client-gnutls": client_gnutls,
    "client-python": client_python,
    "client-pyssl": client_pyssl,
    "client-badhost": client_badhost,
    "client-untrusted": client_untrusted,
    "server-openssl": server_openssl,
    "server-gnutls": server_gnutls,
    "server-python": server_python,
}


class Skip(Exception):
    pass


def need_python(args):
    python = find_python(args.python)
    if python is None:
        raise Skip("Python %r is not installed; skipping this test" % args.python)
    r = subprocess.run([python, "-c", "import ssl, sys; print(sys.version.split()[0], ssl.OPENSSL_VERSION)"],
                       capture_output=True, text=True, timeout=WAIT)
    note("python peer: %s (%s)" % (python, r.stdout.strip()))
    return python


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    args = ap.parse_args()
    procs = []
    with tempfile.TemporaryDirectory(prefix="pyssl-interop-") as d:
        try:
            certs = make_certs(d)
            SCENARIOS[args.scenario](args, certs, procs)
        except Skip as e:
            print("SKIP: %s" % e, flush=True)
            return SKIP
        except Failure as e:
            for p in procs:
                p.kill()
                if not p.dumped:
                    p.dump()
            print("FAIL: %s" % e, flush=True)
            return 1
        finally:
            for p in procs:
                p.kill()
    print("PASS: %s" % args.scenario, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
