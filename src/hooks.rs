//! Host hooks: how an interpreter with a global lock and signal handlers
//! runs pyssl's blocking calls.
//!
//! CPython releases its GIL around every OpenSSL call and `poll()`
//! (`PySSL_BEGIN_ALLOW_THREADS`), and calls `PyErr_CheckSignals()` after each
//! OpenSSL call of a retry loop. A host registers the same three actions
//! here; pyssl calls them at exactly those points.

use std::sync::atomic::{AtomicPtr, Ordering};

use crate::error::{PyErr, PyResult};

/// What a host does around pyssl's blocking calls. Called from any thread
/// that runs a pyssl operation.
pub trait HostHooks: Send + Sync {
    /// Before a call that may block (an OpenSSL call or `poll()`): release
    /// the host's lock. The token is handed to [`HostHooks::reacquire`].
    fn release(&self) -> usize;
    /// After the blocking call, with the token from `release`.
    fn reacquire(&self, token: usize);
    /// After every OpenSSL call of a retry loop, with the host's lock held:
    /// true stops the operation (the host's own error is pending).
    fn interrupted(&self) -> bool;
}

type Installed = Box<dyn HostHooks>;

static HOOKS: AtomicPtr<Installed> = AtomicPtr::new(std::ptr::null_mut());

/// Hook sets that were replaced: another thread may still be inside one,
/// so they are kept (reachable) for the life of the process.
static RETIRED: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());

/// Installs (or with None removes) the process-wide hooks.
pub fn set(hooks: Option<Installed>) {
    let new = hooks.map_or(std::ptr::null_mut(), |h| Box::into_raw(Box::new(h)));
    let old = HOOKS.swap(new, Ordering::AcqRel);
    if !old.is_null() {
        RETIRED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(old as usize);
    }
}

fn current() -> Option<&'static dyn HostHooks> {
    let p = HOOKS.load(Ordering::Acquire);
    // SAFETY: non-null pointers come from Box::into_raw in set() and are
    // never freed.
    (!p.is_null()).then(|| unsafe { &**p })
}

/// Runs `f` with the host's lock released (`PySSL_BEGIN/END_ALLOW_THREADS`).
#[inline]
pub fn allow_threads<R>(f: impl FnOnce() -> R) -> R {
    match current() {
        None => f(),
        Some(h) => {
            let _back = Reacquire(h, h.release());
            f()
        }
    }
}

/// Takes the host's lock back when dropped: after `f` returns, and also
/// when it panics (the panic becomes `PYSSL_ERROR_INTERNAL` at the C
/// boundary, and the host must get its lock back with that status).
struct Reacquire(&'static dyn HostHooks, usize);

impl Drop for Reacquire {
    fn drop(&mut self) {
        // errno from the call survives the host's code, as across
        // CPython's Py_END_ALLOW_THREADS.
        let errno = crate::errno::get();
        self.0.reacquire(self.1);
        crate::errno::set(errno);
    }
}

/// `PyErr_CheckSignals()`: fails when the host's check reports an error.
#[inline]
pub fn check_interrupt() -> PyResult<()> {
    if current().is_some_and(|h| h.interrupted()) {
        return Err(PyErr::host_interrupt());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Counts the calls made from one thread (other tests may run pyssl
    /// calls on other threads while these hooks are installed).
    struct Counting {
        thread: std::thread::ThreadId,
        released: AtomicUsize,
        reacquired: AtomicUsize,
    }

    impl HostHooks for &'static Counting {
        fn release(&self) -> usize {
            if std::thread::current().id() == self.thread {
                self.released.fetch_add(1, Ordering::SeqCst);
            }
            7
        }
        fn reacquire(&self, token: usize) {
            if std::thread::current().id() == self.thread {
                assert_eq!(token, 7);
                self.reacquired.fetch_add(1, Ordering::SeqCst);
            }
        }
        fn interrupted(&self) -> bool {
            false
        }
    }

    #[test]
    fn the_host_lock_comes_back_when_the_released_code_panics() {
        let hooks: &'static Counting = Box::leak(Box::new(Counting {
            thread: std::thread::current().id(),
            released: AtomicUsize::new(0),
            reacquired: AtomicUsize::new(0),
        }));
        set(Some(Box::new(hooks)));
        assert_eq!(allow_threads(|| 5), 5);
        let r = std::panic::catch_unwind(|| allow_threads(|| panic!("inside")));
        set(None);
        assert!(r.is_err());
        assert_eq!(hooks.released.load(Ordering::SeqCst), 2);
        assert_eq!(hooks.reacquired.load(Ordering::SeqCst), 2);
    }
}
