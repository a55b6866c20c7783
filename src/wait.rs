//! Waiting for a socket: CPython's `PySSL_select` (always `poll()`, so any
//! fd number works) and deadlines across the retries of one call.

use std::time::Instant;

use crate::hooks;

/// A socket timeout in nanoseconds: negative = blocking, 0 = non-blocking,
/// positive = timeout mode (CPython's `sock_timeout`).
pub type TimeoutNs = i64;

/// Result of waiting, CPython's `SOCKET_*` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SockState {
    IsBlocking,
    IsNonBlocking,
    HasTimedOut,
    HasBeenClosed,
    OperationOk,
}

/// The deadline of one call in timeout mode (`_PyDeadline_Init`).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    pub fn new(timeout: TimeoutNs) -> Deadline {
        if timeout > 0 {
            Deadline(Some(
                Instant::now() + std::time::Duration::from_nanos(timeout as u64),
            ))
        } else {
            Deadline(None)
        }
    }

    /// Time left (`_PyDeadline_Get`), or `timeout` itself outside timeout
    /// mode. Negative once passed.
    pub fn remaining(&self, timeout: TimeoutNs) -> TimeoutNs {
        match self.0 {
            None => timeout,
            Some(d) => {
                let now = Instant::now();
                if d >= now {
                    (d - now).as_nanos().min(i64::MAX as u128) as i64
                } else {
                    -((now - d).as_nanos().min(i64::MAX as u128) as i64)
                }
            }
        }
    }
}

/// `PySSL_select(sock, writing, timeout)`. `fd` is None for sockets over
/// memory BIOs (CPython's `sock == NULL`). `sock_timeout` is the socket's
/// configured timeout, `timeout` what is left of it.
///
pub fn select(
    fd: Option<i32>,
    writing: bool,
    sock_timeout: TimeoutNs,
    timeout: TimeoutNs,
) -> SockState {
    let Some(fd) = fd else {
        return SockState::IsNonBlocking;
    };
    if timeout == 0 {
        return SockState::IsNonBlocking;
    }
    if timeout < 0 {
        if sock_timeout > 0 {
            return SockState::HasTimedOut;
        }
        return SockState::IsBlocking;
    }
    if fd < 0 {
        return SockState::HasBeenClosed;
    }
    // ms rounded up, like _PyTime_AsMilliseconds(..., ROUND_CEILING).
    let ms = (timeout as i128 + 999_999) / 1_000_000;
    let ms = ms.min(i32::MAX as i128) as i32;
    // Any other result, POLLNVAL and errors included, lets CPython retry
    // the OpenSSL call, which then reports what is wrong with the fd.
    match poll(fd, writing, ms) {
        PollResult::TimedOut => SockState::HasTimedOut,
        PollResult::Ready => SockState::OperationOk,
    }
}

/// Waits without a limit for `fd`. CPython never sees `WANT_*` on a
/// blocking socket because its fd mirrors the timeout; a C host can hand
/// pyssl a non-blocking fd with a blocking timeout, and then pyssl waits
/// here instead of spinning.
pub fn wait_blocking(fd: Option<i32>, writing: bool) {
    if let Some(fd) = fd {
        poll(fd, writing, -1);
    }
}

enum PollResult {
    Ready,
    TimedOut,
}

fn poll(fd: i32, writing: bool, ms: i32) -> PollResult {
    let mut pfd = libc::pollfd {
        fd,
        events: if writing { libc::POLLOUT } else { libc::POLLIN },
        revents: 0,
    };
    // SAFETY: one valid pollfd on the stack, count 1.
    let rc = hooks::allow_threads(|| unsafe { libc::poll(&mut pfd, 1, ms) });
    if rc == 0 {
        PollResult::TimedOut
    } else {
        // Ready, or an error such as EINTR: CPython retries the SSL call.
        PollResult::Ready
    }
}
