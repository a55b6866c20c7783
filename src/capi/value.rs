//! TEMPORARY placeholder until the value C surface lands.
use crate::value::Value;
/// An immutable tree of Python values.
pub struct pyssl_value {
    _private: [u8; 0],
}
pub fn value_into_raw(v: Value) -> *mut pyssl_value {
    Box::into_raw(Box::new(v)).cast()
}
