//! Opaque handles: how Rust objects cross the C boundary.
//!
//! A handle is a heap box whose first field is a per-kind magic number. Every
//! C function checks the pointer for NULL and the magic before use, and
//! `*_free` overwrites the magic before releasing the memory, so a handle of
//! the wrong kind or one freed earlier is usually reported as
//! `PYSSL_ERROR_BAD_HANDLE` instead of being used. This is a best-effort
//! check: memory reused after a free can hold anything, so passing a freed
//! handle remains undefined behaviour in the C sense (documented in the
//! header).

use crate::error::{PyErr, PyResult};

/// A kind of handle: its magic number and the name used in errors.
pub trait HandleKind {
    const MAGIC: u64;
    const NAME: &'static str;
}

/// The heap layout behind every handle pointer.
#[repr(C)]
pub struct Boxed<T> {
    magic: u64,
    value: T,
}

const DEAD: u64 = 0xdead_dead_dead_dead;

impl<T: HandleKind> Boxed<T> {
    /// A handle that lives inside another object (a certificate inside its
    /// list) rather than in a box of its own; [`borrow`] checks it the same
    /// way. The owner marks it dead with [`Boxed::kill`] before dropping it.
    pub fn new(value: T) -> Boxed<T> {
        Boxed {
            magic: T::MAGIC,
            value,
        }
    }

    /// The object inside.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The object inside, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }

    /// The C pointer for this handle.
    pub fn as_handle<O>(&self) -> *const O {
        (self as *const Boxed<T>).cast()
    }

    /// Overwrites the magic, so the handle is refused from now on.
    pub fn kill(&mut self) {
        // SAFETY: a plain write to our own field; volatile so that it is
        // not optimized away just before the memory is released.
        unsafe { std::ptr::addr_of_mut!(self.magic).write_volatile(DEAD) };
    }
}

/// Moves `value` to the heap and returns the C pointer for it.
pub fn into_raw<T: HandleKind, O>(value: T) -> *mut O {
    Box::into_raw(Box::new(Boxed {
        magic: T::MAGIC,
        value,
    }))
    .cast()
}

/// Borrows the object behind a handle.
///
/// # Safety
/// `ptr` must be NULL or a pointer returned by [`into_raw`] for some kind
/// that has not been freed (the magic check catches most violations).
#[inline]
pub unsafe fn borrow<'a, T: HandleKind, O>(ptr: *const O) -> PyResult<&'a T> {
    // SAFETY: forwarded contract (is() checks for NULL first).
    if !unsafe { is::<T, O>(ptr) } {
        return Err(refused(ptr.is_null(), T::NAME));
    }
    // SAFETY: the magic says this is a live Boxed<T>.
    Ok(unsafe { &(*ptr.cast::<Boxed<T>>()).value })
}

/// The error for a handle [`borrow`] refuses: NULL, or not a live handle
/// of the kind named.
#[cold]
#[inline(never)]
fn refused(null: bool, name: &str) -> PyErr {
    if null {
        PyErr::bad_argument(format!("{name} handle is NULL"))
    } else {
        PyErr::bad_handle(name)
    }
}

/// Whether `ptr` is a live handle of kind `T`: the check [`borrow`] makes,
/// without building an error (for pointers that may be of several kinds).
///
/// # Safety
/// As for [`borrow`].
pub unsafe fn is<T: HandleKind, O>(ptr: *const O) -> bool {
    let boxed = ptr.cast::<Boxed<T>>();
    // SAFETY: caller guarantees ptr came from into_raw (possibly another
    // kind); every kind starts with the u64 magic, so reading it is in bounds.
    !ptr.is_null() && unsafe { std::ptr::addr_of!((*boxed).magic).read_volatile() } == T::MAGIC
}

/// Takes the object back from a handle for freeing; NULL gives None.
///
/// # Safety
/// As for [`borrow`]; the handle must not be used afterwards.
pub unsafe fn take<T: HandleKind, O>(ptr: *mut O) -> PyResult<Option<T>> {
    if ptr.is_null() {
        return Ok(None);
    }
    let boxed = ptr.cast::<Boxed<T>>();
    // SAFETY: see borrow().
    if unsafe { std::ptr::addr_of!((*boxed).magic).read_volatile() } != T::MAGIC {
        return Err(PyErr::bad_handle(T::NAME));
    }
    // SAFETY: live Boxed<T> created by Box::into_raw; mark it dead so a
    // second free is caught while the memory is not reused yet.
    unsafe {
        std::ptr::addr_of_mut!((*boxed).magic).write_volatile(DEAD);
        Ok(Some(Box::from_raw(boxed).value))
    }
}
