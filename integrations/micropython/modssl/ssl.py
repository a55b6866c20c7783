# CPython's `ssl` for MicroPython, on pyssl (_pyssl, modpyssl.c). What
# CPython's ssl.py adds to _ssl that MicroPython can carry: the exception
# classes, constants, create_default_context() and wrap_socket's checks.
# Frozen into the unix port by build.sh (manifest.py).

import _pyssl
from _pyssl import (
    SSLContext as _SSLContext,
    SSLSocket,
    PROTOCOL_TLS_CLIENT,
    PROTOCOL_TLS_SERVER,
    CERT_NONE,
    CERT_OPTIONAL,
    CERT_REQUIRED,
)

PYSSL_VERSION, OPENSSL_VERSION = _pyssl._versions()



class TLSVersion:
    # CPython's IntEnum members, as plain ints (SSLContext.minimum_version
    # and maximum_version give ints back).
    MINIMUM_SUPPORTED = -2
    MAXIMUM_SUPPORTED = -1
    TLSv1_2 = 0x0303
    TLSv1_3 = 0x0304


SSL_ERROR_SSL = 1
SSL_ERROR_WANT_READ = 2
SSL_ERROR_WANT_WRITE = 3
SSL_ERROR_WANT_X509_LOOKUP = 4
SSL_ERROR_SYSCALL = 5
SSL_ERROR_ZERO_RETURN = 6
SSL_ERROR_WANT_CONNECT = 7
SSL_ERROR_EOF = 8
SSL_ERROR_INVALID_ERROR_CODE = 10

HAS_ALPN = True
HAS_SNI = True
HAS_TLSv1_3 = True


class SSLError(OSError):
    # str() is CPython's (pyssl_error_message()), set by _make_error.
    def __str__(self):
        s = getattr(self, "_str", None)
        if s is not None:
            return s
        a = self.args
        if len(a) >= 2 and isinstance(a[1], str):
            return a[1]
        return str(a[0]) if len(a) == 1 else str(a)


class SSLZeroReturnError(SSLError):
    pass


class SSLWantReadError(SSLError):
    pass


class SSLWantWriteError(SSLError):
    pass


class SSLSyscallError(SSLError):
    pass


class SSLEOFError(SSLError):
    pass


class SSLCertVerificationError(SSLError):
    # CPython: (SSLError, ValueError); MicroPython classes derive from one
    # native type only.
    pass


CertificateError = SSLCertVerificationError


class _HostOSError(OSError):
    def __str__(self):
        s = getattr(self, "_str", None)
        return s if s is not None else OSError.__str__(self)


# OSError subclasses MicroPython does not have built in, by CPython's name
# (and an "OSError" whose str() is CPython's: MicroPython's own shows the
# errno's name, "[Errno 9] EBADF").
_os_errors = {}
for _n in (
    "OSError",
    "FileNotFoundError",
    "PermissionError",
    "IsADirectoryError",
    "NotADirectoryError",
    "ConnectionError",
    "ConnectionResetError",
    "ConnectionRefusedError",
    "ConnectionAbortedError",
    "BrokenPipeError",
    "TimeoutError",
    "InterruptedError",
    "BlockingIOError",
):
    _os_errors[_n] = type(_n, (_HostOSError,), {})
del _n

_ssl_errors = {
    "SSLError": SSLError,
    "SSLZeroReturnError": SSLZeroReturnError,
    "SSLWantReadError": SSLWantReadError,
    "SSLWantWriteError": SSLWantWriteError,
    "SSLSyscallError": SSLSyscallError,
    "SSLEOFError": SSLEOFError,
    "SSLCertVerificationError": SSLCertVerificationError,
}

_builtin_errors = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "MemoryError": MemoryError,
    "OverflowError": OverflowError,
    "RuntimeError": RuntimeError,
    "IndexError": IndexError,
    "KeyError": KeyError,
    "UnicodeDecodeError": UnicodeError,
    "UnicodeEncodeError": UnicodeError,
    "NotImplementedError": NotImplementedError,
}


def _make_error(name, args, message, library, reason, verify_code, verify_message, status):
    # Called by _pyssl after a pyssl call failed, with every field of the
    # thread's last error already copied.
    cls = _ssl_errors.get(name)
    if cls is not None:
        e = cls(*args)
        e._str = message
        e.library = library
        e.reason = reason
        if cls is SSLCertVerificationError:
            e.verify_code = verify_code
            e.verify_message = verify_message
        return e
    cls = _os_errors.get(name)
    if cls is not None:
        e = cls(*args)
        e._str = message
        return e
    cls = _builtin_errors.get(name)
    if cls is not None:
        # MicroPython's native exceptions take no attributes: the message is
        # str(exc) (for ValueError("text") it is "text", as in CPython).
        return cls(message)
    e = SSLError(*args)
    e._str = message
    return e


_pyssl._set_error_maker(_make_error)


class Purpose:
    SERVER_AUTH = "SERVER_AUTH"
    CLIENT_AUTH = "CLIENT_AUTH"


SSLContext = _SSLContext


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    if purpose == Purpose.SERVER_AUTH:
        ctx = SSLContext(PROTOCOL_TLS_CLIENT)
    else:
        ctx = SSLContext(PROTOCOL_TLS_SERVER)
    if cafile or capath or cadata:
        ctx.load_verify_locations(cafile, capath, cadata)
    elif ctx.verify_mode != CERT_NONE:
        ctx.load_default_certs()
    return ctx


def _set_compat(version):
    # 311, 313 or 314: the CPython version whose rules new contexts follow
    # (default 3.11, the CI's oracle).
    _pyssl._set_compat(version)


def wrap_socket(sock, server_side=False, key=None, cert=None, cert_reqs=CERT_NONE, cadata=None,
                server_hostname=None, do_handshake=True):
    # MicroPython's legacy module-level wrap_socket (micropython-lib's ssl),
    # on a context set up as it does; certificate checks follow cert_reqs
    # (check_hostname only with CERT_REQUIRED, as mbedtls checks the name
    # whenever it verifies).
    ctx = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)
    if cert or key:
        ctx.load_cert_chain(cert, key)
    if cadata:
        ctx.load_verify_locations(cadata=cadata)
    if not server_side and cert_reqs != CERT_REQUIRED:
        ctx.check_hostname = False
    ctx.verify_mode = cert_reqs
    return ctx.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=do_handshake,
                           server_hostname=server_hostname)
