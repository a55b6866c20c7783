//! Taking turns at an OpenSSL object: one OpenSSL call at a time, without a
//! lock held across it.
//!
//! The owner of the turn is a thread token, recorded under a mutex that is
//! only held to read or change it. Whoever wants the turn waits (with the
//! host's lock released: the caller is inside `allow_threads`) until it is
//! free; the thread that already has it gets `PYSSL_ERROR_REENTRANCY`, as
//! a callback starting another call on the same object would re-enter
//! OpenSSL on an object in mid-use.

use std::sync::{Condvar, Mutex, MutexGuard};

use crate::error::{PyErr, PyResult};

/// A number for the calling thread, never 0: the address of a thread-local
/// (unique among live threads, which is all a turn outlives).
pub(crate) fn thread_token() -> usize {
    thread_local!(static TOKEN: u8 = const { 0 });
    TOKEN.with(|t| t as *const u8 as usize)
}

/// Takes the turn recorded in `user(&mut *m)`: waits on `cv` until it is
/// 0, then sets it to this thread. Returns the guard of `m` (still held,
/// for callers that use it further); the turn is given back with [`give`].
pub(crate) fn take<'a, T>(
    m: &'a Mutex<T>,
    cv: &Condvar,
    user: impl Fn(&mut T) -> &mut usize,
) -> PyResult<MutexGuard<'a, T>> {
    let me = thread_token();
    let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
    if *user(&mut g) == me {
        return Err(PyErr::reentrancy());
    }
    let mut g = cv
        .wait_while(g, |t| *user(t) != 0)
        .unwrap_or_else(|e| e.into_inner());
    *user(&mut g) = me;
    Ok(g)
}

/// Gives the turn back and wakes whoever waits for it.
pub(crate) fn give<T>(m: &Mutex<T>, cv: &Condvar, user: impl Fn(&mut T) -> &mut usize) {
    *user(&mut m.lock().unwrap_or_else(|e| e.into_inner())) = 0;
    cv.notify_all();
}

/// Whose turn it is at a socket's `SSL` over an fd (see [`crate::sockbio`]).
#[derive(Default)]
pub(crate) struct Turn {
    user: Mutex<usize>,
    idle: Condvar,
}

impl Turn {
    /// The turn for one OpenSSL call, given back when the result drops.
    pub(crate) fn take(&self) -> PyResult<TurnClaim<'_>> {
        drop(take(&self.user, &self.idle, |u| u)?);
        Ok(TurnClaim(self))
    }
}

/// One OpenSSL call's turn at a socket.
pub(crate) struct TurnClaim<'a>(&'a Turn);

impl Drop for TurnClaim<'_> {
    fn drop(&mut self) {
        give(&self.0.user, &self.0.idle, |u| u);
    }
}
