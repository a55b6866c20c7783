//! TEMPORARY placeholder until the value module lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    BigInt(String),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}
impl Value {
    pub fn repr(&self) -> String {
        format!("{self:?}")
    }
}
