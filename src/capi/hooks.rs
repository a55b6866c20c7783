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
#[no_mangle]
pub extern "C" fn pyssl_set_host_hooks(hooks: *const pyssl_host_hooks) -> c_int {
    guard(|| {
        // SAFETY: NULL or a readable pyssl_host_hooks, copied here.
        let h = unsafe { hooks.as_ref() }.copied();
        crate::hooks::set(h);
        Ok(0)
    })
}
