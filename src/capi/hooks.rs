//! C surface of the host hooks.

use std::os::raw::{c_int, c_void};

use super::guard;
use crate::hooks::HostHooks;

/// Callbacks a host registers with `pyssl_set_host_hooks`. Any may be NULL.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct pyssl_host_hooks {
    /// Called before a call that may block (an OpenSSL call or `poll()`):
    /// release the host's lock. Returns a token handed to `reacquire`.
    pub release: Option<extern "C" fn(userdata: *mut c_void) -> *mut c_void>,
    /// Called after the blocking call with the token from `release`.
    pub reacquire: Option<extern "C" fn(userdata: *mut c_void, token: *mut c_void)>,
    /// Called after every OpenSSL call of a retry loop, with the host's lock
    /// held. Nonzero stops the operation with `PYSSL_ERROR_HOST_INTERRUPT`:
    /// the host's own error (e.g. `KeyboardInterrupt`) is pending.
    pub check_interrupt: Option<extern "C" fn(userdata: *mut c_void) -> c_int>,
    /// Passed to every callback.
    pub userdata: *mut c_void,
}

// SAFETY: the header says the hooks run on whichever thread makes a pyssl
// call; pyssl only hands `userdata` back to them and never dereferences it.
unsafe impl Send for pyssl_host_hooks {}
// SAFETY: as above; the struct is never written after installation.
unsafe impl Sync for pyssl_host_hooks {}

impl HostHooks for pyssl_host_hooks {
    fn release(&self) -> usize {
        self.release.map_or(0, |r| r(self.userdata) as usize)
    }

    fn reacquire(&self, token: usize) {
        if let Some(re) = self.reacquire {
            re(self.userdata, token as *mut c_void);
        }
    }

    fn interrupted(&self) -> bool {
        self.check_interrupt.is_some_and(|c| c(self.userdata) != 0)
    }
}

/// Installs process-wide host hooks (copied), or removes them with NULL.
/// With hooks, every OpenSSL call and `poll()` that may block runs between
/// `release` and `reacquire` (CPython's `Py_BEGIN/END_ALLOW_THREADS`), and
/// `check_interrupt` runs after each OpenSSL call of a handshake, read or
/// write loop (CPython's `PyErr_CheckSignals`); when it returns nonzero the
/// call stops with `PYSSL_ERROR_HOST_INTERRUPT` and the host raises its own
/// pending error. Set hooks once, before sockets are in use. The hooks run
/// on whichever thread makes the pyssl call.
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
        crate::hooks::set(h.map(|h| Box::new(h) as Box<dyn HostHooks>));
        Ok(0)
    })
}
