//! Taking turns at an OpenSSL object: one OpenSSL call at a time, without a
//! lock held across it.
//!
//! The owner of the turn is a thread token, recorded under a mutex that is
//! only held to read or change it. Whoever wants the turn waits (with the
//! host's lock released: the caller is inside `allow_threads`) until it is
//! free; the thread that already has it gets `PYSSL_ERROR_REENTRANCY`, as
//! a callback starting another call on the same object would re-enter
//! OpenSSL on an object in mid-use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crate::error::{PyErr, PyResult};

/// A number for the calling thread, never 0: its `pthread_t` (unique among
/// live threads, which is all a turn outlives; cheaper than a thread-local
/// in a shared library, which goes through `__tls_get_addr`).
pub(crate) fn thread_token() -> usize {
    // SAFETY: pthread_self has no preconditions and cannot fail.
    let t = unsafe { libc::pthread_self() } as usize;
    debug_assert_ne!(t, 0);
    t
}

/// Who has the turn and how many wait for it, kept under the owner's mutex.
#[derive(Debug, Default)]
pub(crate) struct TurnState {
    /// The thread token of the call that has the turn, 0 when free.
    pub(crate) user: usize,
    /// Threads waiting on the condition variable: giving the turn back
    /// wakes them only when there are any (a wake-up is a system call on
    /// every OpenSSL call otherwise).
    waiters: usize,
}

/// Waits on `cv` until no other thread has the turn in `state(&mut *g)`.
pub(crate) fn wait_free<'a, T>(
    mut g: MutexGuard<'a, T>,
    cv: &Condvar,
    state: impl Fn(&mut T) -> &mut TurnState,
) -> MutexGuard<'a, T> {
    let me = thread_token();
    if state(&mut g).user == 0 || state(&mut g).user == me {
        return g;
    }
    state(&mut g).waiters += 1;
    let mut g = cv
        .wait_while(g, |t| {
            let u = state(t).user;
            u != 0 && u != me
        })
        .unwrap_or_else(|e| e.into_inner());
    state(&mut g).waiters -= 1;
    g
}

/// Takes the turn in `state(&mut *m)` for this thread, waiting on `cv`
/// while another thread has it. Returns the guard of `m` (still held, for
/// callers that use it further); the turn is given back with [`give`].
pub(crate) fn take<'a, T>(
    m: &'a Mutex<T>,
    cv: &Condvar,
    state: impl Fn(&mut T) -> &mut TurnState,
) -> PyResult<MutexGuard<'a, T>> {
    let me = thread_token();
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    if state(&mut g).user == me {
        return Err(PyErr::reentrancy());
    }
    let mut g = wait_free(g, cv, &state);
    state(&mut g).user = me;
    Ok(g)
}

/// Gives the turn back and wakes whoever waits for it.
pub(crate) fn give<T>(m: &Mutex<T>, cv: &Condvar, state: impl Fn(&mut T) -> &mut TurnState) {
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    let st = state(&mut g);
    st.user = 0;
    let wake = st.waiters > 0;
    drop(g);
    if wake {
        cv.notify_all();
    }
}

/// Whose turn it is at a socket's `SSL` over an fd (see [`crate::socket::sockbio`]).
/// Taken on every OpenSSL call of the socket, so the uncontended case is
/// one atomic exchange each way; the mutex and condition variable serve
/// only a thread that has to wait.
#[derive(Default)]
pub(crate) struct Turn {
    user: AtomicUsize,
    waiters: AtomicUsize,
    lock: Mutex<()>,
    idle: Condvar,
}

impl Turn {
    /// The turn for one OpenSSL call, given back when the result drops.
    pub(crate) fn take(&self) -> PyResult<TurnClaim<'_>> {
        let me = thread_token();
        let grab = || {
            self.user
                .compare_exchange(0, me, Ordering::SeqCst, Ordering::SeqCst)
        };
        match grab() {
            Ok(_) => return Ok(TurnClaim(self)),
            Err(u) if u == me => return Err(PyErr::reentrancy()),
            Err(_) => {}
        }
        let mut g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // Counted before trying again, so that a give() after our failed
        // try sees us and wakes us (both sides use SeqCst).
        self.waiters.fetch_add(1, Ordering::SeqCst);
        while grab().is_err() {
            g = self.idle.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        Ok(TurnClaim(self))
    }
}

/// One OpenSSL call's turn at a socket.
pub(crate) struct TurnClaim<'a>(&'a Turn);

impl Drop for TurnClaim<'_> {
    fn drop(&mut self) {
        let t = self.0;
        t.user.store(0, Ordering::SeqCst);
        if t.waiters.load(Ordering::SeqCst) > 0 {
            // Taking the lock orders the wake-up after a waiter's wait().
            let _g = t.lock.lock().unwrap_or_else(|e| e.into_inner());
            t.idle.notify_all();
        }
    }
}
