//! Host hooks: how an interpreter with a global lock and signal handlers
//! runs pyssl's blocking calls.
//!
//! CPython releases its GIL around every OpenSSL call and `poll()`
//! (`PySSL_BEGIN_ALLOW_THREADS`), and calls `PyErr_CheckSignals()` after each
//! OpenSSL call of a retry loop. A host registers the same three actions
//! here; pyssl calls them at exactly those points.

use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};

use crate::error::{PyErr, PyResult};

/// Callbacks a host registers with `pyssl_set_host_hooks`. Any may be NULL.
#[repr(C)]
#[derive(Clone, Copy)]
#[allow(non_camel_case_types)]
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

static HOOKS: AtomicPtr<pyssl_host_hooks> = AtomicPtr::new(std::ptr::null_mut());

/// Hook sets that were replaced: another thread may still be inside one,
/// so they are kept (reachable) for the life of the process.
static RETIRED: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

/// Installs (or with None removes) the process-wide hooks.
pub fn set(hooks: Option<pyssl_host_hooks>) {
    let new = hooks.map_or(std::ptr::null_mut(), |h| Box::into_raw(Box::new(h)));
    let old = HOOKS.swap(new, Ordering::AcqRel);
    if !old.is_null() {
        RETIRED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(old as usize);
    }
}

fn current() -> Option<pyssl_host_hooks> {
    let p = HOOKS.load(Ordering::Acquire);
    // SAFETY: non-null pointers come from Box::into_raw in set() and are
    // never freed.
    (!p.is_null()).then(|| unsafe { *p })
}

/// Runs `f` with the host's lock released (`PySSL_BEGIN/END_ALLOW_THREADS`).
#[inline]
pub fn allow_threads<R>(f: impl FnOnce() -> R) -> R {
    match current() {
        None => f(),
        Some(h) => {
            let token = h.release.map(|r| r(h.userdata));
            let r = f();
            if let Some(re) = h.reacquire {
                // errno from the call survives the host's code, as across
                // CPython's Py_END_ALLOW_THREADS.
                let errno = crate::errno::get();
                re(h.userdata, token.unwrap_or(std::ptr::null_mut()));
                crate::errno::set(errno);
            }
            r
        }
    }
}

/// `PyErr_CheckSignals()`: fails when the host's check reports an error.
#[inline]
pub fn check_interrupt() -> PyResult<()> {
    if let Some(h) = current() {
        if let Some(check) = h.check_interrupt {
            if check(h.userdata) != 0 {
                return Err(PyErr::host_interrupt());
            }
        }
    }
    Ok(())
}
