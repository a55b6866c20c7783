//! C access to Python values (decoded certificates and the like), and
//! `pyssl_test_decode_cert`.
//!
//! A value handed to C is a tree of nodes. Only the root is owned by the
//! caller and freed with `pyssl_value_free`; the children that accessors
//! return are borrowed from it and stay valid until the root is freed.
//! Every node starts with a magic number, checked on each call, so NULL,
//! foreign or freed pointers are usually reported as errors rather than
//! used.

use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_int, c_uchar};

use crate::capi::handle::{self, HandleKind};
use crate::capi::{guard, ssize_t};
use crate::error::{PyErr, PyResult};
use crate::value::flat::{self, Flat, Item};
use crate::value::Value;

/// A Python value owned by pyssl. Opaque: read it with the
/// `pyssl_value_*` accessors.
pub struct pyssl_value {
    _private: [u8; 0],
}

/// The type of a `pyssl_value`.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum pyssl_value_type {
    /// `None`.
    PYSSL_VALUE_NONE = 0,
    /// `bool`: read with `pyssl_value_bool`.
    PYSSL_VALUE_BOOL = 1,
    /// `int`: read with `pyssl_value_int` (when it fits in 64 bits) or
    /// `pyssl_value_int_text`.
    PYSSL_VALUE_INT = 2,
    /// `str`: read with `pyssl_value_str`.
    PYSSL_VALUE_STR = 3,
    /// `bytes`: read with `pyssl_value_bytes`.
    PYSSL_VALUE_BYTES = 4,
    /// `tuple`: `pyssl_value_len` items, read with `pyssl_value_tuple_item`.
    PYSSL_VALUE_TUPLE = 5,
    /// `dict`: `pyssl_value_len` entries in insertion order, read with
    /// `pyssl_value_dict_key` / `pyssl_value_dict_value` or
    /// `pyssl_value_dict_get`.
    PYSSL_VALUE_DICT = 6,
    /// `list`: `pyssl_value_len` items, read with `pyssl_value_list_item`.
    PYSSL_VALUE_LIST = 7,
}

/// A node of a C-side value tree: a handle of its own kind (checked like
/// every other pyssl handle), in its root's node array.
struct Child(NodeData);

/// The root of a tree, owned by the C caller: every node of the tree in
/// one array, the children of its containers as pointers into that array
/// in a second, and the text of all its strings and bytes in a third,
/// which the nodes point into (the layout of a [`Flat`] tree). Building a
/// tree is three allocations, and so is freeing it.
struct Root {
    nodes: RawBuf<Node>,
    /// Pointed into by the nodes; never read through this field.
    _kids: RawBuf<*const Node>,
    /// Pointed into by the nodes; never read through this field.
    _text: RawBuf<u8>,
    top: usize,
}

/// A heap buffer of fixed capacity, owned; every pointer into it derives
/// from `ptr`, so that the pointers the nodes hold stay valid while it is
/// filled and for as long as it lives.
struct RawBuf<T> {
    ptr: *mut T,
    /// Initialized items, at the start.
    len: usize,
    cap: usize,
}

impl<T> RawBuf<T> {
    fn with_capacity(cap: usize) -> RawBuf<T> {
        let mut v = std::mem::ManuallyDrop::new(Vec::<T>::with_capacity(cap));
        RawBuf {
            ptr: v.as_mut_ptr(),
            len: 0,
            cap: v.capacity(),
        }
    }

    /// Where item `i` is or will be (`i` may be the capacity: one past the
    /// end).
    fn at(&self, i: usize) -> *const T {
        assert!(i <= self.cap);
        // SAFETY: within the allocation, or one past its end.
        unsafe { self.ptr.add(i) }
    }

    fn push(&mut self, item: T) {
        assert!(self.len < self.cap);
        // SAFETY: len < cap: an uninitialized slot of the allocation.
        unsafe { self.ptr.add(self.len).write(item) };
        self.len += 1;
    }

    fn as_slice(&self) -> &[T] {
        // SAFETY: the first len items are initialized.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: the first len items are initialized; &mut self is unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl RawBuf<u8> {
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        assert!(bytes.len() <= self.cap - self.len);
        // SAFETY: the bytes fit in the uninitialized rest of the
        // allocation, which does not overlap `bytes`.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.ptr.add(self.len), bytes.len())
        };
        self.len += bytes.len();
    }
}

impl<T> Drop for RawBuf<T> {
    fn drop(&mut self) {
        // SAFETY: ptr and cap are the vector's from with_capacity, of
        // which the first len items are initialized; dropped once.
        drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
    }
}

type Node = handle::Boxed<Child>;

impl HandleKind for Child {
    const MAGIC: u64 = 0x7079_7661_6c63_6869; // "pyvalchi"
    const NAME: &'static str = "value";
}

impl HandleKind for Root {
    const MAGIC: u64 = 0x7079_7661_6c72_6f6f; // "pyvalroo"
    const NAME: &'static str = "value";
}

/// Bytes in the root's text buffer, followed there by one NUL byte (the
/// bytes may hold NULs too), so the pointer is never dangling.
#[derive(Clone, Copy)]
struct Span {
    ptr: *const u8,
    len: usize,
}

impl Span {
    /// The bytes and the NUL after them.
    fn with_nul(&self) -> &[u8] {
        // SAFETY: ptr points at len + 1 bytes of the root's text buffer,
        // which lives as long as the node that holds this span.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len + 1) }
    }

    fn bytes(&self) -> &[u8] {
        &self.with_nul()[..self.len]
    }
}

/// Consecutive entries of the root's children array: a tuple's or list's
/// items, or a dict's keys and values, alternating.
#[derive(Clone, Copy)]
struct Kids {
    ptr: *const *const Node,
    len: usize,
}

impl Kids {
    fn get(&self, i: usize) -> Option<&Node> {
        // SAFETY: ptr points at len node pointers of the root's children
        // array, each pointing at a node of its node array; both live as
        // long as the node that holds this range.
        (i < self.len).then(|| unsafe { &**self.ptr.add(i) })
    }

    fn iter(&self) -> impl Iterator<Item = &Node> {
        (0..self.len).filter_map(|i| self.get(i))
    }
}

/// What a node is: an item whose text and children are in its root's
/// buffers.
type NodeData = Item<Span, Kids>;

impl Node {
    fn data(&self) -> &NodeData {
        &self.get().0
    }

    /// The entries of a dict as (key, value) pairs.
    fn entries(kids: &Kids) -> impl Iterator<Item = (&Node, &Node)> {
        (0..kids.len / 2).filter_map(|i| Some((kids.get(2 * i)?, kids.get(2 * i + 1)?)))
    }

    /// Back to a Rust value (for `repr`).
    fn to_value(&self) -> Value {
        let items = |k: &Kids| k.iter().map(Node::to_value).collect();
        match self.data() {
            NodeData::None => Value::None,
            NodeData::Bool(b) => Value::Bool(*b),
            NodeData::Int(i) => Value::Int(*i),
            NodeData::BigInt(s) => Value::BigInt(String::from_utf8_lossy(s.bytes()).into_owned()),
            NodeData::Str(s) => Value::Str(String::from_utf8_lossy(s.bytes()).into_owned()),
            NodeData::Bytes(b) => Value::Bytes(b.bytes().to_vec()),
            NodeData::Tuple(k) => Value::Tuple(items(k)),
            NodeData::List(k) => Value::List(items(k)),
            NodeData::Dict(k) => Value::Dict(
                Node::entries(k)
                    .map(|(k, v)| (k.to_value(), v.to_value()))
                    .collect(),
            ),
        }
    }

    fn kind(&self) -> pyssl_value_type {
        match self.data() {
            NodeData::None => pyssl_value_type::PYSSL_VALUE_NONE,
            NodeData::Bool(_) => pyssl_value_type::PYSSL_VALUE_BOOL,
            NodeData::Int(_) | NodeData::BigInt(_) => pyssl_value_type::PYSSL_VALUE_INT,
            NodeData::Str(_) => pyssl_value_type::PYSSL_VALUE_STR,
            NodeData::Bytes(_) => pyssl_value_type::PYSSL_VALUE_BYTES,
            NodeData::Tuple(_) => pyssl_value_type::PYSSL_VALUE_TUPLE,
            NodeData::List(_) => pyssl_value_type::PYSSL_VALUE_LIST,
            NodeData::Dict(_) => pyssl_value_type::PYSSL_VALUE_DICT,
        }
    }

    fn type_name(&self) -> &'static str {
        match self.data() {
            NodeData::None => "NoneType",
            NodeData::Bool(_) => "bool",
            NodeData::Int(_) | NodeData::BigInt(_) => "int",
            NodeData::Str(_) => "str",
            NodeData::Bytes(_) => "bytes",
            NodeData::Tuple(_) => "tuple",
            NodeData::List(_) => "list",
            NodeData::Dict(_) => "dict",
        }
    }
}

impl Root {
    /// The nodes of `f`, one per item, in the same order.
    fn build(f: &Flat) -> Root {
        let items = f.items();
        let mut nodes: RawBuf<Node> = RawBuf::with_capacity(items.len());
        let mut kids: RawBuf<*const Node> = RawBuf::with_capacity(f.kids().len());
        let mut text: RawBuf<u8> = RawBuf::with_capacity(f.text().len());
        text.extend_from_slice(f.text());
        for &k in f.kids() {
            kids.push(nodes.at(k));
        }
        let span = |s: flat::Span| Span {
            ptr: text.at(s.start),
            len: s.len,
        };
        let range = |s: flat::Span| Kids {
            ptr: kids.at(s.start),
            len: s.len,
        };
        for item in items {
            nodes.push(handle::Boxed::new(Child(item.map(span, range))));
        }
        Root {
            nodes,
            _kids: kids,
            _text: text,
            top: f.top(),
        }
    }

    fn top(&self) -> &Node {
        &self.nodes.as_slice()[self.top]
    }
}

/// Moves a value to the heap as a root the C caller owns (and frees with
/// `pyssl_value_free`).
pub fn value_into_raw(v: Value) -> *mut pyssl_value {
    value_to_raw(&v)
}

/// A copy of a value as a root the C caller owns (and frees with
/// `pyssl_value_free`).
pub fn value_to_raw(v: &Value) -> *mut pyssl_value {
    flat_to_raw(&Flat::from_value(v))
}

/// A copy of a flat value tree as a root the C caller owns (and frees with
/// `pyssl_value_free`).
pub fn flat_to_raw(f: &Flat) -> *mut pyssl_value {
    handle::into_raw(Root::build(f))
}

/// Borrows the node behind a root or child pointer.
///
/// # Safety
/// `v` must be NULL or a pointer returned by this module that is still
/// live (the magic check catches most violations).
unsafe fn node<'a>(v: *const pyssl_value) -> PyResult<&'a Node> {
    if v.is_null() {
        return Err(PyErr::bad_argument("value is NULL"));
    }
    // Children first: most calls (a tree's walk) are on children. Both
    // kinds are named "value", so a pointer of neither kind gets the same
    // error whichever is checked last.
    // SAFETY: a pointer this module handed out (a root or a child); is and
    // borrow check the magic of each kind, and only a failure builds an error.
    if unsafe { handle::is::<Child, _>(v) } {
        // SAFETY: the magic says v is a live child node.
        return Ok(unsafe { &*v.cast::<Node>() });
    }
    // SAFETY: as above.
    Ok(unsafe { handle::borrow::<Root, _>(v) }?.top())
}

fn as_ptr(n: &Node) -> *const pyssl_value {
    n.as_handle()
}

fn type_error(what: &str, n: &Node) -> PyErr {
    PyErr::type_error(format!("expected {what}, got {}", n.type_name()))
}

fn index_error(what: &str) -> PyErr {
    PyErr::new(
        crate::error::Status::Value,
        "IndexError",
        format!("{what} index out of range"),
    )
}

/// Writes `len` through an optional out-pointer.
///
/// # Safety
/// `out` must be NULL or valid for a write.
unsafe fn put_len(out: *mut usize, len: usize) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable per the caller.
        unsafe { out.write(len) };
    }
}

fn c_string(s: String) -> *mut c_char {
    // repr() and decimal text never contain NUL; fall back to an empty
    // string rather than fail if that ever changes.
    CString::new(s).unwrap_or_default().into_raw()
}

/// The kind of `v` (a `pyssl_value_type`), or a negative status.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_kind(v: *const pyssl_value) -> c_int {
    // SAFETY: node() checks the pointer.
    guard(|| Ok(unsafe { node(v) }?.kind() as c_int))
}

/// The length of `v`: the UTF-8 byte length of a `str`, the size of a
/// `bytes`, the number of items of a `tuple` or of entries of a `dict`. A
/// negative status for other kinds (`TypeError`).
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_len(v: *const pyssl_value) -> ssize_t {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        let len = match n.data() {
            NodeData::Str(s) | NodeData::Bytes(s) => s.len,
            NodeData::Tuple(items) | NodeData::List(items) => items.len,
            NodeData::Dict(entries) => entries.len / 2,
            _ => {
                return Err(PyErr::type_error(format!(
                    "object of type '{}' has no len()",
                    n.type_name()
                )))
            }
        };
        Ok(len as ssize_t)
    })
}

/// Item `i` of a tuple, borrowed from `v`'s root; NULL on error (not a
/// tuple: `TypeError`; out of range: `IndexError`).
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_tuple_item(v: *const pyssl_value, i: usize) -> *const pyssl_value {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        match n.data() {
            NodeData::Tuple(items) => items.get(i).map(as_ptr).ok_or_else(|| index_error("tuple")),
            _ => Err(type_error("tuple", n)),
        }
    })
}

/// Item `i` of a list, borrowed from `v`'s root; NULL on error (not a
/// list: `TypeError`; out of range: `IndexError`).
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_list_item(v: *const pyssl_value, i: usize) -> *const pyssl_value {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        match n.data() {
            NodeData::List(items) => items.get(i).map(as_ptr).ok_or_else(|| index_error("list")),
            _ => Err(type_error("list", n)),
        }
    })
}

fn dict_entry(v: *const pyssl_value, i: usize, key: bool) -> PyResult<*const pyssl_value> {
    // SAFETY: node() checks the pointer.
    let n = unsafe { node(v) }?;
    match n.data() {
        // Entry i is nodes 2i (key) and 2i + 1 (value).
        NodeData::Dict(entries) => i
            .checked_mul(2)
            .and_then(|k| entries.get(k + usize::from(!key)))
            .map(as_ptr)
            .ok_or_else(|| index_error("dict entry")),
        _ => Err(type_error("dict", n)),
    }
}

/// The key of entry `i` (insertion order) of a dict, borrowed from `v`'s
/// root; NULL on error.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_dict_key(v: *const pyssl_value, i: usize) -> *const pyssl_value {
    guard(|| dict_entry(v, i, true))
}

/// The value of entry `i` (insertion order) of a dict, borrowed from `v`'s
/// root; NULL on error.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_dict_value(v: *const pyssl_value, i: usize) -> *const pyssl_value {
    guard(|| dict_entry(v, i, false))
}

/// `v[key]` for a dict with `str` keys, borrowed from `v`'s root. NULL when
/// the key is absent, with the last error left as it was, or on error (`v`
/// not a dict, NULL arguments), with the last error saying which: call
/// `pyssl_error_clear()` first to tell the two apart.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed;
/// `key` must be NULL or a NUL-terminated string.
#[no_mangle]
pub extern "C" fn pyssl_value_dict_get(
    v: *const pyssl_value,
    key: *const c_char,
) -> *const pyssl_value {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        if key.is_null() {
            return Err(PyErr::bad_argument("key is NULL"));
        }
        // SAFETY: key is a non-NULL C string per the header's contract.
        let key = unsafe { CStr::from_ptr(key) }.to_bytes();
        let NodeData::Dict(entries) = n.data() else {
            return Err(type_error("dict", n));
        };
        let found = Node::entries(entries).find(|(k, _)| match k.data() {
            NodeData::Str(s) => s.bytes() == key,
            _ => false,
        });
        match found {
            Some((_, val)) => Ok(as_ptr(val)),
            None => Ok(std::ptr::null()),
        }
    })
}

/// The text of a `str` as UTF-8, NUL-terminated (it may also contain NUL
/// characters: use `*len`). Valid until the root is freed. `len` may be
/// NULL; it is written only on success. NULL on error.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed;
/// `len` must be NULL or writable.
#[no_mangle]
pub extern "C" fn pyssl_value_str(v: *const pyssl_value, len: *mut usize) -> *const c_char {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        match n.data() {
            NodeData::Str(s) => {
                // SAFETY: len is NULL or writable per the header's contract.
                unsafe { put_len(len, s.len) };
                Ok(s.ptr.cast::<c_char>())
            }
            _ => Err(type_error("str", n)),
        }
    })
}

/// The contents of a `bytes` (never NULL for a `bytes`, even when empty).
/// Valid until the root is freed. `len` may be NULL; it is written only
/// on success. NULL on error.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed;
/// `len` must be NULL or writable.
#[no_mangle]
pub extern "C" fn pyssl_value_bytes(v: *const pyssl_value, len: *mut usize) -> *const c_uchar {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        match n.data() {
            NodeData::Bytes(b) => {
                // SAFETY: len is NULL or writable per the header's contract.
                unsafe { put_len(len, b.len) };
                Ok(b.ptr)
            }
            _ => Err(type_error("bytes", n)),
        }
    })
}

/// A `bool` as 0 or 1; a negative status for other kinds.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_bool(v: *const pyssl_value) -> c_int {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        match n.data() {
            NodeData::Bool(b) => Ok(c_int::from(*b)),
            _ => Err(type_error("bool", n)),
        }
    })
}

/// An `int` into `*out`: 0, or a negative status (`OverflowError` when it
/// does not fit in 64 bits, `TypeError` for other kinds). `*out` is written
/// only on success.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed;
/// `out` must be NULL or writable.
#[no_mangle]
pub extern "C" fn pyssl_value_int(v: *const pyssl_value, out: *mut i64) -> c_int {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        if out.is_null() {
            return Err(PyErr::bad_argument("out is NULL"));
        }
        match n.data() {
            NodeData::Int(i) => {
                // SAFETY: out is non-NULL and writable per the contract.
                unsafe { out.write(*i) };
                Ok(0)
            }
            NodeData::BigInt(_) => Err(PyErr::overflow_error(
                "Python int too large to convert to C long",
            )),
            _ => Err(type_error("int", n)),
        }
    })
}

/// The decimal text of an `int` (any size); free it with
/// `pyssl_string_free`. NULL on error.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_int_text(v: *const pyssl_value) -> *mut c_char {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        match n.data() {
            NodeData::Int(i) => Ok(c_string(i.to_string())),
            NodeData::BigInt(s) => Ok(c_string(String::from_utf8_lossy(s.bytes()).into_owned())),
            _ => Err(type_error("int", n)),
        }
    })
}

/// `repr(v)` exactly as CPython 3.14 prints it, UTF-8; free it with
/// `pyssl_string_free`. NULL on error.
///
/// # Safety
/// `v` must be NULL or a value from pyssl whose root is not freed.
#[no_mangle]
pub extern "C" fn pyssl_value_repr(v: *const pyssl_value) -> *mut c_char {
    guard(|| {
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        Ok(c_string(n.to_value().repr()))
    })
}

/// `repr(v)` as the CPython version `compat` (a `PYSSL_COMPAT_*` value)
/// prints it: they differ in which characters their Unicode database
/// calls printable (3.11: Unicode 14.0, 3.13: 15.1, 3.14: 16.0).
#[no_mangle]
pub extern "C" fn pyssl_value_repr_compat(v: *const pyssl_value, compat: c_int) -> *mut c_char {
    guard(|| {
        let compat = super::compat_arg(compat)?;
        // SAFETY: node() checks the pointer.
        let n = unsafe { node(v) }?;
        Ok(c_string(n.to_value().repr_in(compat)))
    })
}

/// Frees a string returned by pyssl (`pyssl_value_repr`,
/// `pyssl_value_int_text`). NULL is ignored.
///
/// # Safety
/// `s` must be NULL or a string returned by pyssl and not yet freed.
#[no_mangle]
pub extern "C" fn pyssl_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: per the contract, s came from CString::into_raw.
        drop(unsafe { CString::from_raw(s) });
    }
}

/// Frees a value returned by pyssl, with every child borrowed from it.
/// Only roots may be freed: a child, or a pointer already freed, is
/// refused (recorded as the thread's last error) when detected. NULL is
/// ignored.
///
/// # Safety
/// `v` must be NULL or a root returned by pyssl and not yet freed.
#[no_mangle]
pub extern "C" fn pyssl_value_free(v: *mut pyssl_value) {
    guard(|| {
        if v.is_null() {
            return Ok(());
        }
        // SAFETY: NULL was handled; take checks the root's magic and marks
        // it dead.
        match unsafe { handle::take::<Root, _>(v) } {
            Ok(Some(mut root)) => {
                // The children too, so that a kept child pointer is refused
                // while the memory is not reused yet.
                root.nodes.as_mut_slice().iter_mut().for_each(Node::kill);
                Ok(())
            }
            Ok(None) => Ok(()),
            // SAFETY: as above; is only reads the magic.
            Err(_) if unsafe { handle::is::<Child, _>(v) } => Err(PyErr::bad_argument(
                "only a root value can be freed, not a child",
            )),
            Err(e) => Err(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capi::error::last;

    fn sample() -> Value {
        Value::Dict(vec![
            (
                Value::Str("subject".into()),
                Value::Tuple(vec![Value::Tuple(vec![Value::Tuple(vec![
                    Value::Str("commonName".into()),
                    Value::Str("a\0b".into()),
                ])])]),
            ),
            (Value::Str("version".into()), Value::Int(3)),
            (
                Value::Str("big".into()),
                Value::BigInt("-99999999999999999999".into()),
            ),
            (Value::Str("raw".into()), Value::Bytes(vec![])),
            (Value::Str("flag".into()), Value::Bool(true)),
            (Value::Str("none".into()), Value::None),
        ])
    }

    /// # Safety
    /// `v` must be NULL or a live value.
    unsafe fn repr_of(v: *const pyssl_value) -> String {
        // SAFETY: per the caller; p is then a string from pyssl, freed once.
        unsafe {
            let p = pyssl_value_repr(v);
            assert!(!p.is_null());
            let s = CStr::from_ptr(p).to_str().unwrap().to_owned();
            pyssl_string_free(p);
            s
        }
    }

    #[test]
    fn walk_a_tree() {
        let v = sample();
        let want = v.repr();
        let root = value_into_raw(v);
        // SAFETY: every pointer passed is NULL, a string literal, a local,
        // or a value borrowed from `root`, which is freed last.
        unsafe {
            assert_eq!(repr_of(root), want);
            assert_eq!(
                pyssl_value_kind(root),
                pyssl_value_type::PYSSL_VALUE_DICT as c_int
            );
            assert_eq!(pyssl_value_len(root), 6);

            let subject = pyssl_value_dict_get(root, c"subject".as_ptr());
            assert_eq!(pyssl_value_len(subject), 1);
            let rdn = pyssl_value_tuple_item(subject, 0);
            let attr = pyssl_value_tuple_item(rdn, 0);
            let cn = pyssl_value_tuple_item(attr, 1);
            let mut len = 0usize;
            let p = pyssl_value_str(cn, &mut len);
            assert_eq!(len, 3);
            assert_eq!(
                std::slice::from_raw_parts(p.cast::<u8>(), len + 1),
                b"a\0b\0"
            );
            assert_eq!(pyssl_value_len(cn), 3);

            let key0 = pyssl_value_dict_key(root, 0);
            assert_eq!(repr_of(key0), "'subject'");
            let version = pyssl_value_dict_value(root, 1);
            let mut out = 0i64;
            assert_eq!(pyssl_value_int(version, &mut out), 0);
            assert_eq!(out, 3);

            let big = pyssl_value_dict_get(root, c"big".as_ptr());
            let mut out = 7i64;
            assert!(pyssl_value_int(big, &mut out) < 0);
            assert_eq!(out, 7);
            assert_eq!(last().unwrap().exc_type, "OverflowError");
            let text = pyssl_value_int_text(big);
            assert_eq!(CStr::from_ptr(text).to_bytes(), b"-99999999999999999999");
            pyssl_string_free(text);

            let raw = pyssl_value_dict_get(root, c"raw".as_ptr());
            let mut len = 9usize;
            assert!(!pyssl_value_bytes(raw, &mut len).is_null());
            assert_eq!(len, 0);
            let flag = pyssl_value_dict_get(root, c"flag".as_ptr());
            assert_eq!(pyssl_value_bool(flag), 1);
            let none = pyssl_value_dict_get(root, c"none".as_ptr());
            assert_eq!(
                pyssl_value_kind(none),
                pyssl_value_type::PYSSL_VALUE_NONE as c_int
            );

            pyssl_value_free(root);
        }
    }

    #[test]
    fn errors_are_reported_not_crashes() {
        let root = value_into_raw(sample());
        let null = std::ptr::null::<pyssl_value>();
        // every pointer passed is NULL, a string literal, a local,
        // or a value borrowed from `root`, which is freed last; `junk` has
        // no magic and is only read.
        assert!(pyssl_value_dict_get(root, c"absent".as_ptr()).is_null());
        assert!(last().is_none());
        assert!(pyssl_value_dict_key(root, 6).is_null());
        assert_eq!(last().unwrap().exc_type, "IndexError");
        assert!(pyssl_value_tuple_item(root, 0).is_null());
        assert_eq!(last().unwrap().exc_type, "TypeError");
        assert!(pyssl_value_dict_get(root, std::ptr::null()).is_null());
        assert!(pyssl_value_str(root, std::ptr::null_mut()).is_null());
        assert!(pyssl_value_bytes(root, std::ptr::null_mut()).is_null());
        assert!(pyssl_value_bool(root) < 0);
        assert!(pyssl_value_int(root, std::ptr::null_mut()) < 0);
        assert!(pyssl_value_int_text(root).is_null());
        let version = pyssl_value_dict_get(root, c"version".as_ptr());
        assert!(pyssl_value_len(version) < 0);
        assert!(pyssl_value_int(version, std::ptr::null_mut()) < 0);

        assert!(pyssl_value_kind(null) < 0);
        assert!(pyssl_value_len(null) < 0);
        assert!(pyssl_value_tuple_item(null, 0).is_null());
        assert!(pyssl_value_dict_get(null, c"x".as_ptr()).is_null());
        assert!(pyssl_value_repr(null).is_null());

        // A foreign pointer with no magic is refused.
        let junk = [0u64; 4];
        assert!(pyssl_value_kind(junk.as_ptr().cast()) < 0);
        assert_eq!(last().unwrap().status, crate::error::Status::BadHandle);

        // A child cannot be freed; the tree stays usable.
        pyssl_value_free(version.cast_mut());
        assert_eq!(last().unwrap().status, crate::error::Status::BadArgument);
        assert_eq!(
            pyssl_value_kind(version),
            pyssl_value_type::PYSSL_VALUE_INT as c_int
        );

        pyssl_value_free(std::ptr::null_mut());
        pyssl_value_free(root);
        pyssl_string_free(std::ptr::null_mut());
    }
}
