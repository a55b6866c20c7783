//! C surface of `SSLSocket` / `SSLObject`.

use std::os::raw::{c_char, c_int, c_uchar, c_void};
use std::sync::Arc;

use super::context::{ctx_ref, pyssl_context, UserData};
use super::membio::{bio_ref, pyssl_memory_bio};
use super::status::pyssl_status;
use super::value::{flat_to_raw, pyssl_value, value_into_raw};
use super::x509::{pyssl_cert_list, CertList};
use super::{copy_out, guard, opt_cstr, ssize_t, write_opt, write_out};
use crate::capi::handle::{self, HandleKind};
use crate::error::{PyErr, PyResult};
use crate::socket::{HostIo, HostTransport, Socket};

/// A TLS connection: `SSLSocket` over a connected fd, or `SSLObject` over
/// two memory BIOs. As with CPython, one thread may read while another
/// writes; other concurrent calls on one socket are the host's to avoid
/// (OpenSSL does not support them).
pub struct pyssl_socket {
    _private: [u8; 0],
}

// A socket handle holds one reference; a call that runs host code holds
// one more (`sock_hold`), so that freeing the handle from a callback or
// host hook of that call frees the socket only when the call returns.
impl HandleKind for Arc<Socket> {
    const MAGIC: u64 = 0x7079_7373_6c73_6f63; // "pysslsoc"
    const NAME: &'static str = "pyssl_socket";
}

/// # Safety
/// `sock` must be NULL or a handle from `pyssl_socket_new*`.
pub(crate) unsafe fn sock_ref<'a>(sock: *const pyssl_socket) -> PyResult<&'a Socket> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<Arc<Socket>, _>(sock) }.map(|s| &**s)
}

/// The socket for a call that runs host code (OpenSSL's callbacks, the
/// I/O callbacks, the host hooks): the call's own reference, which keeps
/// the socket alive if that code frees the handle.
///
/// # Safety
/// As for [`sock_ref`].
pub(crate) unsafe fn sock_hold(sock: *const pyssl_socket) -> PyResult<Arc<Socket>> {
    // SAFETY: forwarded contract.
    unsafe { handle::borrow::<Arc<Socket>, _>(sock) }.map(Arc::clone)
}

/// Boxes a socket as a handle and lets its callbacks find the handle.
fn into_handle(sock: Socket) -> *mut pyssl_socket {
    let h: *mut pyssl_socket = handle::into_raw(Arc::new(sock));
    // SAFETY: just created, live handle of the right kind.
    if let Ok(s) = unsafe { sock_ref(h) } {
        s.bind_host_tag(h as usize);
    }
    h
}

/// Wraps the connected socket `fd` (`SSLContext.wrap_socket`): a server if
/// `server_side` is nonzero, else a client sending SNI for and (with
/// `check_hostname`) verifying `server_hostname`, which must be ASCII
/// (IDNA-encode it first). As in `wrap_socket`, a non-empty name on a
/// server is a `ValueError`, and so is no name (or "") on either side
/// while `check_hostname` is on; then come `_ssl`'s checks of the side
/// against the context's protocol and of the name's form.
/// The fd stays the caller's: pyssl never closes it. The socket starts in
/// blocking mode. NULL on failure.
#[no_mangle]
pub extern "C" fn pyssl_socket_new(
    ctx: *mut pyssl_context,
    fd: c_int,
    server_side: c_int,
    server_hostname: *const c_char,
) -> *mut pyssl_socket {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (ctx, host) = unsafe { (ctx_ref(ctx)?, opt_cstr(server_hostname)) };
        let sock = Socket::new_fd(&ctx, fd, server_side != 0, host)?;
        Ok(into_handle(sock))
    })
}

/// An `SSLObject` over two memory BIOs (`SSLContext.wrap_bio`): TLS bytes
/// from the peer go into `incoming`, bytes for the peer come out of
/// `outgoing`. Never blocks; holds its own references to both BIOs. While
/// an operation runs on the socket, calls on its BIOs from other threads
/// wait for it. `server_side` and `server_hostname` as for
/// `pyssl_socket_new`, except for `wrap_bio`'s own checks of them, which
/// vary: Debian's 3.11 refuses a name on a server only, 3.13 checks
/// neither, 3.14 both. NULL on failure.
#[no_mangle]
pub extern "C" fn pyssl_socket_new_bio(
    ctx: *mut pyssl_context,
    incoming: *mut pyssl_memory_bio,
    outgoing: *mut pyssl_memory_bio,
    server_side: c_int,
    server_hostname: *const c_char,
) -> *mut pyssl_socket {
    guard(|| {
        // SAFETY: handles checked; string NULL or NUL-terminated.
        let (ctx, inc, out, host) = unsafe {
            (
                ctx_ref(ctx)?,
                bio_ref(incoming)?,
                bio_ref(outgoing)?,
                opt_cstr(server_hostname),
            )
        };
        let sock = Socket::new_bio(
            &ctx,
            Arc::clone(inc),
            Arc::clone(out),
            server_side != 0,
            host,
        )?;
        Ok(into_handle(sock))
    })
}

/// Reads TLS bytes from the host's transport into `buf` (at most `len`):
/// returns the count, 0 at EOF (the peer closed the stream),
/// `PYSSL_ERROR_WANT_READ` or `PYSSL_ERROR_WANT_WRITE` when it would block,
/// or -1 with `errno` set (any other negative value is taken as -1, an
/// `errno` of 0 as `EIO`).
pub type pyssl_read_cb =
    Option<extern "C" fn(user: *mut c_void, buf: *mut c_void, len: usize) -> ssize_t>;

/// Writes TLS bytes from `buf` (at most `len`) to the host's transport:
/// returns the count (at least 1; 0 is a failure without errno),
/// `PYSSL_ERROR_WANT_WRITE` or `PYSSL_ERROR_WANT_READ` when it would block,
/// or -1 with `errno` set.
pub type pyssl_write_cb =
    Option<extern "C" fn(user: *mut c_void, buf: *const c_void, len: usize) -> ssize_t>;

/// The host's transport as the core sees it.
struct CallbackTransport {
    read: extern "C" fn(*mut c_void, *mut c_void, usize) -> ssize_t,
    write: extern "C" fn(*mut c_void, *const c_void, usize) -> ssize_t,
    user: UserData,
}

/// A callback's return value as a transfer outcome.
fn host_io(r: ssize_t) -> HostIo {
    const WANT_READ: ssize_t = pyssl_status::PYSSL_ERROR_WANT_READ as ssize_t;
    const WANT_WRITE: ssize_t = pyssl_status::PYSSL_ERROR_WANT_WRITE as ssize_t;
    match r {
        1.. => HostIo::Done(r as usize),
        0 => HostIo::Eof,
        WANT_READ => HostIo::WantRead,
        WANT_WRITE => HostIo::WantWrite,
        _ => HostIo::Error(crate::errno::get()),
    }
}

impl HostTransport for CallbackTransport {
    fn read(&self, buf: &mut [u8]) -> HostIo {
        host_io((self.read)(
            self.user.get(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        ))
    }
    fn write(&self, buf: &[u8]) -> HostIo {
        host_io((self.write)(
            self.user.get(),
            buf.as_ptr().cast(),
            buf.len(),
        ))
    }
}

/// A TLS connection over the host's own transport (libtls's
/// `tls_connect_cbs()` style), for hosts whose streams are not fds:
/// `read_cb` and `write_cb` move the raw TLS bytes, `user` is passed to
/// both; `server_side` and `server_hostname` as for `pyssl_socket_new`.
///
/// The socket never blocks on its own: when a callback returns
/// `PYSSL_ERROR_WANT_READ`/`_WANT_WRITE`, the operation returns that status
/// (`SSLWantReadError`/`SSLWantWriteError`, as over memory BIOs) and is
/// called again once the host's stream is ready; timeouts do not apply. A
/// callback's -1 becomes the `OSError` for its `errno`, and its EOFs follow
/// the rules of a socket fd whose `recv()` returned 0 (`SSLEOFError` for an
/// EOF without close_notify in 3.13/3.14 modes, `b''` in 3.11 mode), as if
/// the callbacks were that socket's `recv()`/`send()`.
///
/// Callback rules: they run inside the pyssl call, on the calling thread,
/// with the host's lock released (see `pyssl_set_host_hooks`) and no pyssl
/// lock held; one that starts an operation on the same socket gets
/// `PYSSL_ERROR_REENTRANCY`. They must not longjmp (or throw) out: record
/// the error, return -1, and raise once the pyssl call has returned. Both
/// callbacks must be non-NULL and stay valid, with `user`, until the socket
/// is freed (a free from inside a call, a callback's say, takes effect when
/// that call returns). NULL on failure.
#[no_mangle]
pub extern "C" fn pyssl_socket_new_cbs(
    ctx: *mut pyssl_context,
    read_cb: pyssl_read_cb,
    write_cb: pyssl_write_cb,
    user: *mut c_void,
    server_side: c_int,
    server_hostname: *const c_char,
) -> *mut pyssl_socket {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (ctx, host) = unsafe { (ctx_ref(ctx)?, opt_cstr(server_hostname)) };
        let read = read_cb.ok_or_else(|| PyErr::bad_argument("read_cb is NULL"))?;
        let write = write_cb.ok_or_else(|| PyErr::bad_argument("write_cb is NULL"))?;
        let transport = Arc::new(CallbackTransport {
            read,
            write,
            user: UserData(user),
        });
        let sock = Socket::new_host(&ctx, transport, server_side != 0, host)?;
        Ok(into_handle(sock))
    })
}

/// Frees the socket without sending anything (call `pyssl_shutdown` first
/// for a clean close). Never closes the fd. NULL is ignored. The handle is
/// invalid at once; when a call on the socket is in progress (the free
/// comes from one of its callbacks or host hooks), the socket itself is
/// freed when that call returns, as a Python object outlives its method
/// call.
#[no_mangle]
pub extern "C" fn pyssl_socket_free(sock: *mut pyssl_socket) {
    guard(|| {
        // SAFETY: NULL or a socket handle; checked by take().
        let sock = unsafe { handle::take::<Arc<Socket>, _>(sock) }?;
        if let Some(s) = sock {
            // A call in progress may still run the SNI callback: it must
            // not be handed this handle any more.
            s.unbind_host_tag();
        }
        Ok(())
    })
}

/// `socket.settimeout()`: `seconds` < 0 blocking, 0 non-blocking (operations
/// return `PYSSL_ERROR_WANT_READ`/`_WANT_WRITE`), > 0 one deadline across all
/// retries of each call (`TimeoutError` when it passes). Sets the fd's
/// `O_NONBLOCK` to match, as Python does.
#[no_mangle]
pub extern "C" fn pyssl_socket_set_timeout(sock: *mut pyssl_socket, seconds: f64) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| unsafe { sock_ref(sock) }?.set_timeout(seconds).map(|_| 0))
}

/// The timeout in seconds into `*seconds` (negative = blocking); 0 or < 0.
#[no_mangle]
pub extern "C" fn pyssl_socket_get_timeout(sock: *const pyssl_socket, seconds: *mut f64) -> c_int {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let t = unsafe { sock_ref(sock) }?.timeout()?;
        write_out(seconds, t, "seconds")?;
        Ok(0)
    })
}

/// Points the socket at another fd; -1 marks the socket as gone, after
/// which every operation fails with `PYSSL_ERROR_NO_SOCKET` ("Underlying
/// socket connection gone"), as in CPython once its socket object is gone.
#[no_mangle]
pub extern "C" fn pyssl_socket_set_fd(sock: *mut pyssl_socket, fd: c_int) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| unsafe { sock_ref(sock) }?.set_fd(fd).map(|_| 0))
}

/// The socket's fd: -1 when it has none (gone, closed, or over memory BIOs,
/// including after `pyssl_socket_set_io` with `PYSSL_FD_NONE` or
/// `PYSSL_FD_CLOSED`); errors are statuses below -10 (a bad handle).
#[no_mangle]
pub extern "C" fn pyssl_socket_get_fd(sock: *const pyssl_socket) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| unsafe { sock_ref(sock) }?.fd())
}

/// `SSLSocket.do_handshake()`: 0 when done. Hostname and certificate
/// failures are `PYSSL_ERROR_SSL` with error type
/// `"SSLCertVerificationError"` and `pyssl_error_verify_code()`.
#[no_mangle]
pub extern "C" fn pyssl_do_handshake(sock: *mut pyssl_socket) -> c_int {
    // SAFETY: handle checked by sock_hold.
    guard(|| unsafe { sock_hold(sock) }?.do_handshake().map(|_| 0))
}

/// `SSLSocket.read(len)` into `buf`: the number of bytes read (at most one
/// TLS record's worth), 0 for `b''` (len 0, or the peer's close_notify), or
/// < 0. An EOF without close_notify is `PYSSL_ERROR_EOF` (`SSLEOFError`);
/// in 3.11 mode it reads as 0.
#[no_mangle]
pub extern "C" fn pyssl_read(sock: *mut pyssl_socket, buf: *mut c_void, len: usize) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked by sock_hold.
        let s = unsafe { sock_hold(sock) }?;
        // SAFETY: checked by out_bytes; the caller gives `len` writable bytes.
        let slice = unsafe { super::out_bytes(buf, len, "buf") }?;
        s.read(slice).map(|n| n as ssize_t)
    })
}

/// `SSLSocket.write(data)`: `len` on success, never a partial count, or < 0.
/// After `PYSSL_ERROR_WANT_WRITE`/`_WANT_READ` call again with the same
/// `buf` and `len`.
#[no_mangle]
pub extern "C" fn pyssl_write(sock: *mut pyssl_socket, buf: *const c_void, len: usize) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked by sock_hold.
        let s = unsafe { sock_hold(sock) }?;
        // SAFETY: checked by in_bytes; the caller gives `len` readable bytes.
        let slice = unsafe { super::in_bytes(buf, len, "buf") }?;
        s.write(slice).map(|n| n as ssize_t)
    })
}

/// `SSLSocket.unwrap()`'s TLS part: sends close_notify and waits for the
/// peer's. 0 when done; `PYSSL_ERROR_WANT_READ`/`_WANT_WRITE` in
/// non-blocking mode (call again). The fd is left open.
#[no_mangle]
pub extern "C" fn pyssl_shutdown(sock: *mut pyssl_socket) -> c_int {
    // SAFETY: handle checked by sock_hold.
    guard(|| unsafe { sock_hold(sock) }?.shutdown().map(|_| 0))
}

/// `SSLSocket.getpeercert(binary_form)`: 0 and `*out` set to a new value
/// tree (free with `pyssl_value_free`), or to NULL for None (no
/// certificate). `binary_form` nonzero gives the DER as bytes; the dict is
/// empty when the certificate was not verified. Before the handshake:
/// `ValueError` "handshake not done yet".
#[no_mangle]
pub extern "C" fn pyssl_getpeercert(
    sock: *mut pyssl_socket,
    binary_form: c_int,
    out: *mut *mut pyssl_value,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let s = unsafe { sock_ref(sock) }?;
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        let v = s.getpeercert_shared(binary_form != 0)?;
        let raw = v.map_or(std::ptr::null_mut(), |v| flat_to_raw(&v));
        write_out(out, raw, "out")?;
        Ok(0)
    })
}

/// `SSLSocket.version()`: "TLSv1.3" etc., NULL before the handshake (or on
/// error). The string is static.
#[no_mangle]
pub extern "C" fn pyssl_socket_version(sock: *const pyssl_socket) -> *const c_char {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let v = unsafe { sock_ref(sock) }?.version()?;
        Ok(v.map_or(std::ptr::null(), |c| c.as_ptr()))
    })
}

/// 1 once the handshake has completed, 0 before, < 0 on error. Unlike
/// `pyssl_socket_version()` (CPython's `version()`, NULL again once a
/// failure such as a fatal alert ends the connection), it stays 1 after a
/// later failure, so a host can tell a failure after the handshake from a
/// failed handshake. pyssl's own; `ssl.py` has no equivalent.
#[no_mangle]
pub extern "C" fn pyssl_socket_handshake_done(sock: *const pyssl_socket) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| Ok(unsafe { sock_ref(sock) }?.handshake_done() as c_int))
}

/// `SSLSocket.cipher()`: 1 and the (static) name, protocol and secret bits
/// in the non-NULL out-parameters, 0 for None, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_socket_cipher(
    sock: *const pyssl_socket,
    name: *mut *const c_char,
    protocol: *mut *const c_char,
    bits: *mut c_int,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let Some((n, p, b)) = unsafe { sock_ref(sock) }?.cipher()? else {
            return Ok(0);
        };
        write_opt(name, n.as_ptr());
        write_opt(protocol, p.as_ptr());
        write_opt(bits, b);
        Ok(1)
    })
}

/// `SSLSocket.selected_alpn_protocol()`: copies the protocol (not
/// NUL-terminated) into `buf` and returns its length, 0 for None, or < 0
/// (`buflen` too small: `PYSSL_ERROR_BAD_ARGUMENT`; 255 always suffices).
#[no_mangle]
pub extern "C" fn pyssl_socket_selected_alpn_protocol(
    sock: *const pyssl_socket,
    buf: *mut c_uchar,
    buflen: usize,
) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let Some(p) = unsafe { sock_ref(sock) }?.selected_alpn_protocol()? else {
            return Ok(0);
        };
        copy_out(&p, buf, buflen, "ALPN protocol")
    })
}

/// `SSLSocket.pending()`: decrypted bytes ready to read without I/O.
#[no_mangle]
pub extern "C" fn pyssl_socket_pending(sock: *const pyssl_socket) -> ssize_t {
    // SAFETY: handle checked by sock_ref.
    guard(|| unsafe { sock_ref(sock) }?.pending().map(|n| n as ssize_t))
}

/// `SSLSocket.server_side`: 1 or 0, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_socket_server_side(sock: *const pyssl_socket) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| Ok(unsafe { sock_ref(sock) }?.server_side() as c_int))
}

/// The `pyssl_socket_set_io` fd markers (defined in the core).
pub use crate::socket::{
    FD_CLOSED as PYSSL_FD_CLOSED, FD_GONE as PYSSL_FD_GONE, FD_NONE as PYSSL_FD_NONE,
};

/// Wraps an `SSL*` the host created, configured and keeps owning (pyssl
/// never frees it): for a patched CPython `_ssl.c` that delegates I/O to
/// pyssl. `ssl` is an OpenSSL `SSL *`; `server_hostname` (may be NULL) is
/// used in verification messages; `compat` is a `PYSSL_COMPAT_*` value.
/// Before each operation call `pyssl_socket_set_io`. Free with
/// `pyssl_socket_free` before freeing the `SSL*`. NULL on failure.
#[no_mangle]
pub extern "C" fn pyssl_socket_wrap_ssl(
    ssl: *mut c_void,
    server_side: c_int,
    server_hostname: *const c_char,
    compat: c_int,
) -> *mut pyssl_socket {
    guard(|| {
        if ssl.is_null() {
            return Err(PyErr::bad_argument("ssl is NULL"));
        }
        let compat = super::compat_arg(compat)?;
        // SAFETY: string NULL or NUL-terminated.
        let host = unsafe { super::opt_str(server_hostname, "server_hostname") }?;
        // SAFETY: the caller passes a live SSL* that outlives the socket.
        let sock = unsafe { Socket::wrap_ssl(ssl.cast(), server_side != 0, host, compat) };
        Ok(handle::into_raw(Arc::new(sock)))
    })
}

/// The transport of a socket from `pyssl_socket_wrap_ssl` for the next
/// operations, as CPython re-reads it from its socket object on every call:
/// `fd` >= 0 (a live socket), `PYSSL_FD_GONE`, `PYSSL_FD_CLOSED` or
/// `PYSSL_FD_NONE`;
/// `timeout_ns` is the socket timeout in nanoseconds (< 0 blocking, 0
/// non-blocking). Does not change the fd's flags.
#[no_mangle]
pub extern "C" fn pyssl_socket_set_io(
    sock: *mut pyssl_socket,
    fd: c_int,
    timeout_ns: i64,
) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| unsafe { sock_ref(sock) }?.set_io(fd, timeout_ns).map(|_| 0))
}

/// `SSLSocket.compression()`: the method's (static) short name, or NULL for
/// None (also NULL with a negative `pyssl_error_status()` after an error).
#[no_mangle]
pub extern "C" fn pyssl_socket_compression(sock: *const pyssl_socket) -> *const c_char {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let v = unsafe { sock_ref(sock) }?.compression()?;
        Ok(v.map_or(std::ptr::null(), |c| c.as_ptr()))
    })
}

/// `SSLSocket.get_channel_binding(cb_type)` ("tls-unique" only): copies the
/// binding into `buf` and returns its length, 0 for None, or < 0 (unknown
/// type: `ValueError`; `buflen` too small: `PYSSL_ERROR_BAD_ARGUMENT`; 128
/// always suffices).
#[no_mangle]
pub extern "C" fn pyssl_socket_get_channel_binding(
    sock: *const pyssl_socket,
    cb_type: *const c_char,
    buf: *mut c_uchar,
    buflen: usize,
) -> ssize_t {
    guard(|| {
        // SAFETY: handle checked; string NULL or NUL-terminated.
        let (s, t) = unsafe { (sock_ref(sock)?, super::opt_str(cb_type, "cb_type")?) };
        let t = t.ok_or_else(|| PyErr::bad_argument("cb_type is NULL"))?;
        let Some(b) = s.channel_binding(t)? else {
            return Ok(0);
        };
        copy_out(&b, buf, buflen, "channel binding")
    })
}

/// `SSLSocket.verify_client_post_handshake()`: asks a TLS 1.3 client for its
/// certificate after the handshake (sent with the next write/read).
#[no_mangle]
pub extern "C" fn pyssl_socket_verify_client_post_handshake(sock: *mut pyssl_socket) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| {
        unsafe { sock_ref(sock) }?
            .verify_client_post_handshake()
            .map(|_| 0)
    })
}

/// `SSLSocket.session_reused`: 1 or 0, or < 0.
#[no_mangle]
pub extern "C" fn pyssl_socket_session_reused(sock: *const pyssl_socket) -> c_int {
    // SAFETY: handle checked by sock_ref.
    guard(|| Ok(unsafe { sock_ref(sock) }?.session_reused()? as c_int))
}

/// `SSLSocket.context = ctx`: switches the socket to another context (its
/// certificate, verification settings...). Typically called from an SNI
/// callback (`pyssl_context_set_sni_callback`) during a server handshake;
/// the socket keeps the new context alive.
#[no_mangle]
pub extern "C" fn pyssl_socket_set_context(
    sock: *mut pyssl_socket,
    ctx: *mut pyssl_context,
) -> c_int {
    // SAFETY: handles checked by sock_ref/ctx_ref.
    guard(|| unsafe { sock_ref(sock)?.set_context(&ctx_ref(ctx)?) }.map(|_| 0))
}

/// `SSLSocket.server_hostname`: the name given at creation (static for the
/// socket's life), NULL for None (server sockets, or no name).
#[no_mangle]
pub extern "C" fn pyssl_socket_server_hostname(sock: *const pyssl_socket) -> *const c_char {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let s = unsafe { sock_ref(sock) }?;
        Ok(s.server_hostname_c()
            .map_or(std::ptr::null(), |c| c.as_ptr()))
    })
}

/// `SSLSocket.shared_ciphers()`: 0 and `*out` set to a list of (name,
/// protocol, bits) tuples, or to NULL for None; < 0 on error.
#[no_mangle]
pub extern "C" fn pyssl_socket_shared_ciphers(
    sock: *const pyssl_socket,
    out: *mut *mut pyssl_value,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let list = unsafe { sock_ref(sock) }?.shared_ciphers()?;
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        let raw = list.map_or(std::ptr::null_mut(), |l| {
            value_into_raw(crate::value::Value::List(
                l.iter().map(|c| c.to_tuple()).collect(),
            ))
        });
        write_out(out, raw, "out")?;
        Ok(0)
    })
}

/// `SSLSocket.get_verified_chain()` (`verified` nonzero) or
/// `get_unverified_chain()` (CPython 3.13): 0 and `*out` set to a new list
/// (free with `pyssl_cert_list_free`) or to NULL for None; < 0 on error.
#[no_mangle]
pub extern "C" fn pyssl_socket_get_chain(
    sock: *const pyssl_socket,
    verified: c_int,
    out: *mut *mut pyssl_cert_list,
) -> c_int {
    guard(|| {
        // SAFETY: handle checked by sock_ref.
        let s = unsafe { sock_ref(sock) }?;
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        let chain = if verified != 0 {
            s.verified_chain()?
        } else {
            s.unverified_chain()?
        };
        let raw = chain.map_or(std::ptr::null_mut(), |c| handle::into_raw(CertList::new(c)));
        write_out(out, raw, "out")?;
        Ok(0)
    })
}
