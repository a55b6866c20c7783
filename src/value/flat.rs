//! A [`Value`] tree in three flat buffers (items, children, text), built
//! bottom-up without an allocation per node: what the certificate decoder
//! produces, and what handles to a value are laid over.

use super::Value;

/// A range of a [`Flat`]'s text (an item's text) or of its children list
/// (a container's items): `start..start + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

/// One node of a value tree, generic over where its text (`T`) and its
/// children (`K`) are: a [`Flat`] tree's items hold [`Span`]s of its
/// buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<T = Span, K = Span> {
    None,
    Bool(bool),
    Int(i64),
    /// The decimal text of an `int` that does not fit in 64 bits.
    BigInt(T),
    /// UTF-8 text.
    Str(T),
    Bytes(T),
    /// Children: item indices.
    Tuple(K),
    List(K),
    /// Children: key, value, key, value, ... (twice the entries).
    Dict(K),
}

impl<T, K> Item<T, K> {
    /// The same item with its text and children located by `text` and
    /// `kids`.
    #[inline(always)]
    pub fn map<T2, K2>(self, text: impl Fn(T) -> T2, kids: impl Fn(K) -> K2) -> Item<T2, K2> {
        match self {
            Item::None => Item::None,
            Item::Bool(b) => Item::Bool(b),
            Item::Int(n) => Item::Int(n),
            Item::BigInt(t) => Item::BigInt(text(t)),
            Item::Str(t) => Item::Str(text(t)),
            Item::Bytes(t) => Item::Bytes(text(t)),
            Item::Tuple(k) => Item::Tuple(kids(k)),
            Item::List(k) => Item::List(kids(k)),
            Item::Dict(k) => Item::Dict(kids(k)),
        }
    }
}

/// A value tree: its items, the children of its containers (indices of
/// items), and the text of its strings, bytes and big ints, each followed
/// by one NUL byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flat {
    items: Vec<Item>,
    kids: Vec<usize>,
    text: Vec<u8>,
    top: usize,
}

impl Flat {
    /// A tree with the value of `v`.
    pub fn from_value(v: &Value) -> Flat {
        let mut b = Builder::default();
        b.value(v);
        b.finish()
    }

    /// A tree of one `bytes` item, with `b` as its text (no copy when `b`
    /// has a spare byte for the NUL).
    pub fn bytes(mut b: Vec<u8>) -> Flat {
        let len = b.len();
        b.push(0);
        Flat {
            items: vec![Item::Bytes(Span { start: 0, len })],
            kids: Vec::new(),
            text: b,
            top: 0,
        }
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The children lists, indexed by the containers' spans.
    pub fn kids(&self) -> &[usize] {
        &self.kids
    }

    /// All the text, indexed by the items' spans.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The index of the top item.
    pub fn top(&self) -> usize {
        self.top
    }

    /// The same value as a [`Value`] tree.
    pub fn to_value(&self) -> Value {
        self.value_at(self.top)
    }

    fn value_at(&self, i: usize) -> Value {
        let text = |s: &Span| &self.text[s.start..s.start + s.len];
        let string = |s: &Span| String::from_utf8_lossy(text(s)).into_owned();
        let kids = |s: &Span| &self.kids[s.start..s.start + s.len];
        let values = |s: &Span| kids(s).iter().map(|&k| self.value_at(k)).collect();
        match &self.items[i] {
            Item::None => Value::None,
            Item::Bool(b) => Value::Bool(*b),
            Item::Int(n) => Value::Int(*n),
            Item::BigInt(s) => Value::BigInt(string(s)),
            Item::Str(s) => Value::Str(string(s)),
            Item::Bytes(s) => Value::Bytes(text(s).to_vec()),
            Item::Tuple(s) => Value::Tuple(values(s)),
            Item::List(s) => Value::List(values(s)),
            Item::Dict(s) => Value::Dict(
                kids(s)
                    .chunks_exact(2)
                    .map(|kv| (self.value_at(kv[0]), self.value_at(kv[1])))
                    .collect(),
            ),
        }
    }
}

/// Builds a [`Flat`] bottom-up. Every item pushed goes on a stack of
/// pending items; a container takes the items pushed since its
/// [`mark`](Builder::mark) as its children, in order, and goes on the stack
/// in their place.
#[derive(Debug, Default)]
pub struct Builder {
    items: Vec<Item>,
    kids: Vec<usize>,
    text: Vec<u8>,
    stack: Vec<usize>,
    /// Reused by [`Builder::str_with`].
    scratch: String,
}

impl Builder {
    /// A builder with room for about `items` items and `text` text bytes.
    pub fn with_capacity(items: usize, text: usize) -> Builder {
        Builder {
            items: Vec::with_capacity(items),
            kids: Vec::with_capacity(items),
            text: Vec::with_capacity(text),
            stack: Vec::with_capacity(items),
            scratch: String::new(),
        }
    }

    /// Where the children of a container about to be built start.
    pub fn mark(&self) -> usize {
        self.stack.len()
    }

    /// The number of items pushed since `mark` (and still pending).
    pub fn since(&self, mark: usize) -> usize {
        self.stack.len() - mark
    }

    fn push(&mut self, item: Item) {
        self.stack.push(self.items.len());
        self.items.push(item);
    }

    fn add_text(&mut self, bytes: &[u8]) -> Span {
        let start = self.text.len();
        self.text.extend_from_slice(bytes);
        self.text.push(0);
        Span {
            start,
            len: bytes.len(),
        }
    }

    pub fn none(&mut self) {
        self.push(Item::None);
    }

    pub fn int(&mut self, n: i64) {
        self.push(Item::Int(n));
    }

    pub fn str(&mut self, s: &str) {
        let span = self.add_text(s.as_bytes());
        self.push(Item::Str(span));
    }

    pub fn bytes(&mut self, b: &[u8]) {
        let span = self.add_text(b);
        self.push(Item::Bytes(span));
    }

    /// A str that `write` appends to an empty string, when it answers
    /// true; nothing is pushed when it answers false.
    pub fn str_with(&mut self, write: impl FnOnce(&mut String) -> bool) -> bool {
        let mut s = std::mem::take(&mut self.scratch);
        s.clear();
        let ok = write(&mut s);
        if ok {
            self.str(&s);
        }
        self.scratch = s;
        ok
    }

    fn container(&mut self, mark: usize, make: fn(Span) -> Item) {
        let start = self.kids.len();
        self.kids.extend(self.stack.drain(mark..));
        let span = Span {
            start,
            len: self.kids.len() - start,
        };
        self.push(make(span));
    }

    /// A tuple of the items pushed since `mark`.
    pub fn tuple(&mut self, mark: usize) {
        self.container(mark, Item::Tuple);
    }

    /// A list of the items pushed since `mark`.
    pub fn list(&mut self, mark: usize) {
        self.container(mark, Item::List);
    }

    /// A dict of the items pushed since `mark`: key, value, key, value...
    pub fn dict(&mut self, mark: usize) {
        debug_assert!(self.since(mark) % 2 == 0);
        self.container(mark, Item::Dict);
    }

    /// Forgets the items pushed since `mark` (a failed partial build).
    pub fn discard(&mut self, mark: usize) {
        self.stack.truncate(mark);
    }

    /// Pushes a copy of `v`.
    pub fn value(&mut self, v: &Value) {
        match v {
            Value::None => self.none(),
            Value::Bool(b) => self.push(Item::Bool(*b)),
            Value::Int(n) => self.int(*n),
            Value::BigInt(s) => {
                let span = self.add_text(s.as_bytes());
                self.push(Item::BigInt(span));
            }
            Value::Str(s) => self.str(s),
            Value::Bytes(b) => self.bytes(b),
            Value::Tuple(items) | Value::List(items) => {
                let mark = self.mark();
                items.iter().for_each(|i| self.value(i));
                if matches!(v, Value::Tuple(_)) {
                    self.tuple(mark);
                } else {
                    self.list(mark);
                }
            }
            Value::Dict(entries) => {
                let mark = self.mark();
                for (k, v) in entries {
                    self.value(k);
                    self.value(v);
                }
                self.dict(mark);
            }
        }
    }

    /// The tree whose top is the one item left pending.
    ///
    /// # Panics
    /// When not exactly one item is pending.
    pub fn finish(self) -> Flat {
        assert!(self.stack.len() == 1, "a value tree has one top item");
        Flat {
            items: self.items,
            kids: self.kids,
            text: self.text,
            top: self.stack[0],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let v = Value::Dict(vec![
            (
                Value::Str("subject".into()),
                Value::Tuple(vec![Value::Tuple(vec![Value::Tuple(vec![
                    Value::Str("commonName".into()),
                    Value::Str("a\0b".into()),
                ])])]),
            ),
            (Value::Str("version".into()), Value::Int(3)),
            (Value::Str("big".into()), Value::BigInt("-1".repeat(30))),
            (Value::Str("raw".into()), Value::Bytes(vec![])),
            (Value::Str("flag".into()), Value::Bool(true)),
            (Value::Str("none".into()), Value::None),
            (
                Value::Str("list".into()),
                Value::List(vec![Value::Tuple(vec![]), Value::Dict(vec![])]),
            ),
        ]);
        let f = Flat::from_value(&v);
        assert_eq!(f.to_value(), v);
        let raw = Value::Bytes(b"a\0b".to_vec());
        assert_eq!(Flat::bytes(b"a\0b".to_vec()), Flat::from_value(&raw));
        assert_eq!(f.top(), f.items().len() - 1);
        let Item::Str(s) = f.items()[0] else {
            panic!("the first item is the first key")
        };
        assert_eq!(&f.text()[s.start..s.start + s.len + 1], b"subject\0");
    }

    #[test]
    fn str_with_pushes_only_on_success() {
        let mut b = Builder::default();
        let m = b.mark();
        assert!(!b.str_with(|s| {
            s.push_str("dropped");
            false
        }));
        assert!(b.str_with(|s| {
            s.push_str("kept");
            true
        }));
        assert_eq!(b.since(m), 1);
        b.tuple(m);
        assert_eq!(
            b.finish().to_value(),
            Value::Tuple(vec![Value::Str("kept".into())])
        );
    }
}
