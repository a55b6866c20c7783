//! C surface of the host hooks.

use std::os::raw::c_int;

use super::guard;
pub use crate::hooks::pyssl_host_hooks;

/// Installs process-wide host hooks (copied), or removes them with NULL.
/// With hooks, every OpenSSL call and `poll()` that may block runs between
/// `release` and `reacquire` (CPython's `Py_BEGIN/END_ALLOW_THREADS`), and
/// `check_interrupt` runs after each OpenSSL call of a handshake, read or
/// write loop (CPython's `PyErr_CheckSignals`); when it returns nonzero the
/// call stops with `PYSSL_ERROR_HOST_INTERRUPT` and the host raises its own
/// pending error. Set hooks once, before sockets are in use.
///
/// No pyssl lock is held while a hook or callback runs, so the host may
/// take its lock inside callbacks and call back into pyssl. A host with
/// longjmp-style exceptions must not jump out of a hook or callback: record
/// the error, return, and raise once the pyssl call has returned.
#[no_mangle]
pub extern "C" fn pyssl_set_host_hooks(hooks: *const pyssl_host_hooks) -> c_int {
    guard(|| {
        // SAFETY: NULL or a readable pyssl_host_hooks, copied here.
        let h = unsafe { hooks.as_ref() }.copied();
        crate::hooks::set(h);
        Ok(0)
    })
}
