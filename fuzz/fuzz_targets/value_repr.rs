//! `repr()` of arbitrary value trees, and the UTF-8 decoding CPython applies
//! to certificate strings: no panic for any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyssl::value::Value;

fn build(data: &mut &[u8], depth: u32) -> Value {
    let Some((&tag, rest)) = data.split_first() else {
        return Value::None;
    };
    *data = rest;
    let take = |data: &mut &[u8]| -> Vec<u8> {
        let n = data.first().map_or(0, |&n| n as usize).min(data.len().saturating_sub(1));
        let out = data[1.min(data.len())..1.min(data.len()) + n].to_vec();
        *data = &data[(n + 1).min(data.len())..];
        out
    };
    match (tag % 9, depth < 6) {
        (0, _) => Value::None,
        (1, _) => Value::Bool(tag & 16 != 0),
        (2, _) => Value::Int(i64::from_le_bytes(take(data).iter().copied().chain([0; 8]).take(8).collect::<Vec<_>>().try_into().unwrap())),
        (3, _) => Value::Str(String::from_utf8_lossy(&take(data)).into_owned()),
        (4, _) => Value::Bytes(take(data)),
        (5, _) => match pyssl::error::decode_utf8(&take(data)) {
            Ok(s) => Value::Str(s),
            Err(e) => Value::Str(e.message.clone()),
        },
        (6, true) => Value::Tuple((0..tag % 4).map(|_| build(data, depth + 1)).collect()),
        (7, true) => Value::List((0..tag % 4).map(|_| build(data, depth + 1)).collect()),
        (8, true) => Value::Dict((0..tag % 4).map(|_| (build(data, depth + 1), build(data, depth + 1))).collect()),
        _ => Value::Str(String::new()),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut d = data;
    let v = build(&mut d, 0);
    let r = v.repr();
    assert!(!r.is_empty());
});
