//! Differential-test machinery shared by `bio_diff.rs` and
//! `accessors_diff.rs`: a CPython oracle (`tests/oracle/sslobject_peer.py`)
//! and two pyssl peers (Rust API and C API) that all understand the same
//! JSON commands, plus a connection driver that pumps TLS bytes between any
//! two of them and writes down what every call returned.
//!
//! Every peer answers a command with the bytes drained from the object's
//! outgoing memory BIO, a result value, and the exception (class, `str()`,
//! errno, library, reason) when the call raised. A scenario run between
//! pyssl and Python must produce the same transcript as the same scenario
//! run Python against Python (and pyssl against pyssl).
#![allow(dead_code, clippy::result_large_err)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::rc::Rc;
use std::sync::Arc;

use pyssl::cipher::CipherInfo;
use pyssl::compat::Compat;
use pyssl::context::Context;
use pyssl::error::PyErr;
use pyssl::membio::MemoryBio;
use pyssl::session::Session;
use pyssl::socket::Socket;
use pyssl::value::Value;

// ---------------------------------------------------------------- JSON

/// A JSON value; objects keep their key order (Python's dicts do too).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl From<&str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(s.to_owned())
    }
}
impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(s)
    }
}
impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}
impl From<i64> for Json {
    fn from(n: i64) -> Json {
        Json::Int(n)
    }
}
impl From<i32> for Json {
    fn from(n: i32) -> Json {
        Json::Int(n as i64)
    }
}
impl From<usize> for Json {
    fn from(n: usize) -> Json {
        Json::Int(n as i64)
    }
}
impl From<isize> for Json {
    fn from(n: isize) -> Json {
        Json::Int(n as i64)
    }
}
impl From<u64> for Json {
    fn from(n: u64) -> Json {
        Json::Int(n as i64)
    }
}
impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(v: Option<T>) -> Json {
        v.map(Into::into).unwrap_or(Json::Null)
    }
}
impl<T: Into<Json>> From<Vec<T>> for Json {
    fn from(v: Vec<T>) -> Json {
        Json::Arr(v.into_iter().map(Into::into).collect())
    }
}

/// A command: `{"op": op}`, extended with [`Json::with`].
pub fn cmd(op: &str) -> Json {
    Json::Obj(vec![("op".into(), op.into())])
}

/// Python's `bytes` in the peers' JSON: `{"bytes": hex}`.
pub fn jbytes(b: &[u8]) -> Json {
    Json::Obj(vec![("bytes".into(), hex(b).into())])
}

impl Json {
    /// The object with `k` set to `v` (replacing an existing key).
    pub fn with(mut self, k: &str, v: impl Into<Json>) -> Json {
        let v = v.into();
        if let Json::Obj(items) = &mut self {
            if let Some(slot) = items.iter_mut().find(|(key, _)| key == k) {
                slot.1 = v;
            } else {
                items.push((k.to_owned(), v));
            }
        }
        self
    }

    pub fn get(&self, k: &str) -> Option<&Json> {
        match self {
            Json::Obj(items) => items.iter().find(|(key, _)| key == k).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            Json::Int(n) => Some(*n),
            _ => None,
        }
    }

    pub fn bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(v) => Some(v),
            _ => None,
        }
    }

    /// The bytes of `{"bytes": hex}`.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        self.get("bytes").and_then(Json::str).map(unhex)
    }

    pub fn dump(&self) -> String {
        let mut s = String::new();
        self.dump_into(&mut s);
        s
    }

    fn dump_into(&self, s: &mut String) {
        match self {
            Json::Null => s.push_str("null"),
            Json::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
            Json::Int(n) => write!(s, "{n}").unwrap(),
            Json::Float(f) => write!(s, "{f:?}").unwrap(),
            Json::Str(t) => dump_str(t, s),
            Json::Arr(v) => {
                s.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    x.dump_into(s);
                }
                s.push(']');
            }
            Json::Obj(items) => {
                s.push('{');
                for (i, (k, x)) in items.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    dump_str(k, s);
                    s.push_str(": ");
                    x.dump_into(s);
                }
                s.push('}');
            }
        }
    }

    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing data at {}", p.i));
        }
        Ok(v)
    }
}

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.dump())
    }
}

fn dump_str(t: &str, s: &mut String) {
    s.push('"');
    for c in t.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if (c as u32) < 0x20 => write!(s, "\\u{:04x}", c as u32).unwrap(),
            c => s.push(c),
        }
    }
    s.push('"');
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        let Some(&c) = self.s.get(self.i) else {
            return Err("unexpected end".into());
        };
        match c {
            b'n' if self.eat("null") => Ok(Json::Null),
            b't' if self.eat("true") => Ok(Json::Bool(true)),
            b'f' if self.eat("false") => Ok(Json::Bool(false)),
            b'"' => Ok(Json::Str(self.string()?)),
            b'[' => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.eat("]") {
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    if self.eat("]") {
                        return Ok(Json::Arr(v));
                    }
                    if !self.eat(",") {
                        return Err(format!("expected , at {}", self.i));
                    }
                }
            }
            b'{' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat("}") {
                    return Ok(Json::Obj(items));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return Err(format!("expected : at {}", self.i));
                    }
                    items.push((k, self.value()?));
                    self.ws();
                    if self.eat("}") {
                        return Ok(Json::Obj(items));
                    }
                    if !self.eat(",") {
                        return Err(format!("expected , at {}", self.i));
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'
                    )
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                if let Ok(n) = t.parse::<i64>() {
                    Ok(Json::Int(n))
                } else {
                    t.parse::<f64>()
                        .map(Json::Float)
                        .map_err(|e| format!("bad number {t}: {e}"))
                }
            }
            _ => Err(format!("unexpected {:?} at {}", c as char, self.i)),
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let t = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(t).unwrap(), 16).map_err(|e| e.to_string())
    }

    fn string(&mut self) -> Result<String, String> {
        if !self.eat("\"") {
            return Err(format!("expected string at {}", self.i));
        }
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err("unterminated string".into());
            };
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("bad escape")?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp) && self.eat("\\u") {
                                let lo = self.hex4()?;
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            }
                            char::from_u32(cp).unwrap_or('\u{fffd}')
                        }
                        _ => return Err(format!("bad escape {:?}", e as char)),
                    };
                    let mut b = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
                }
                c => out.push(c),
            }
        }
    }
}

pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        write!(s, "{x:02x}").unwrap();
    }
    s
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// FNV-1a, to name long byte strings in transcripts.
pub fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf29ce484222325u64, |h, &x| {
        (h ^ x as u64).wrapping_mul(0x100000001b3)
    })
}

// ---------------------------------------------------------------- replies

/// An exception as the peers report it. `msg` has the location suffix
/// (`(_ssl.c:NNN)` or `(file.rs:NNN)`) replaced by `(LOC)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Exc {
    pub class: String,
    pub msg: String,
    pub errno: Option<i64>,
    pub library: Option<String>,
    pub reason: Option<String>,
    /// `verify_code` and `verify_message` of an `SSLCertVerificationError`.
    pub verify: Option<(i64, Option<String>)>,
}

impl std::fmt::Display for Exc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}({:?}, errno={:?}, library={:?}, reason={:?}",
            self.class, self.msg, self.errno, self.library, self.reason
        )?;
        if let Some((code, msg)) = &self.verify {
            write!(f, ", verify_code={code}, verify_message={msg:?}")?;
        }
        f.write_str(")")
    }
}

impl Exc {
    fn from_json(v: &Json) -> Exc {
        let a = v.arr().expect("exception array");
        let s = |j: &Json| j.str().map(str::to_owned);
        Exc {
            class: a[0].str().unwrap().to_owned(),
            msg: strip_location(a[1].str().unwrap()),
            errno: a[2].int(),
            library: s(&a[3]),
            reason: s(&a[4]),
            verify: a
                .get(5)
                .and_then(Json::int)
                .map(|code| (code, a.get(6).and_then(s))),
        }
    }

    pub fn from_pyerr(e: &PyErr) -> Exc {
        Exc {
            class: e.exc_type.to_owned(),
            msg: strip_location(&e.message),
            errno: e.errno.map(i64::from),
            library: e.library.map(str::to_owned),
            reason: e.reason.map(str::to_owned),
            verify: e.verify_code.map(|c| (c, e.verify_message.clone())),
        }
    }

    fn to_json(&self) -> Json {
        Json::Arr(vec![
            self.class.clone().into(),
            self.msg.clone().into(),
            self.errno.into(),
            self.library.clone().into(),
            self.reason.clone().into(),
            self.verify.as_ref().map(|v| v.0).into(),
            self.verify.as_ref().and_then(|v| v.1.clone()).into(),
        ])
    }
}

/// Replaces a trailing ` (name.c:123)` / ` (name.rs:123)` by ` (LOC)`, so
/// that messages compare equal while a missing location still shows.
pub fn strip_location(msg: &str) -> String {
    if let Some(open) = msg.rfind(" (") {
        if let Some(inner) = msg[open + 2..].strip_suffix(')') {
            if let Some((file, line)) = inner.rsplit_once(':') {
                let file_ok = (file.ends_with(".c") || file.ends_with(".rs"))
                    && file
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_./-".contains(c));
                if file_ok && !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()) {
                    return format!("{} (LOC)", &msg[..open]);
                }
            }
        }
    }
    msg.to_owned()
}

/// Normalizes every `{"exc": [...]}` found inside a value (the "info"
/// fields) the same way.
fn normalize_nested(v: Json) -> Json {
    match v {
        Json::Obj(items) if items.len() == 1 && items[0].0 == "exc" => {
            let e = Exc::from_json(&items[0].1);
            Json::Obj(vec![("exc".into(), e.to_json())])
        }
        Json::Obj(items) => Json::Obj(
            items
                .into_iter()
                .map(|(k, x)| (k, normalize_nested(x)))
                .collect(),
        ),
        Json::Arr(v) => Json::Arr(v.into_iter().map(normalize_nested).collect()),
        v => v,
    }
}

/// One answer: bytes drained from the outgoing BIO, the result, the
/// exception.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub out: Vec<u8>,
    pub result: Json,
    pub exc: Option<Exc>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.exc.is_none()
    }

    /// The result, or the exception, for transcripts.
    pub fn show(&self) -> String {
        match &self.exc {
            Some(e) => format!("raises {e}"),
            None => show_value(&self.result),
        }
    }

    pub fn exc_class(&self) -> Option<&str> {
        self.exc.as_ref().map(|e| e.class.as_str())
    }
}

/// A value for transcripts: short byte strings in full, long ones by
/// length and hash.
pub fn show_value(v: &Json) -> String {
    if let Some(b) = v.bytes() {
        if b.len() <= 48 {
            return format!("b{:?}", String::from_utf8_lossy(&b));
        }
        return format!("<{} bytes fnv={:016x}>", b.len(), fnv(&b));
    }
    v.dump()
}

// ---------------------------------------------------------------- peers

/// Anything that executes the peers' JSON commands.
pub trait Peer {
    fn call(&mut self, cmd: &Json) -> Reply;
    fn label(&self) -> &'static str;
    /// Whether this peer can run `cmd` at all (the C API lacks a few
    /// getters); unsupported steps are left out of comparisons.
    fn supports(&self, _cmd: &Json) -> bool {
        true
    }
}

/// Which implementation plays one end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impl {
    /// CPython's `ssl` (the oracle process).
    Py,
    /// pyssl through its Rust API.
    Rust,
    /// pyssl through its C API.
    Capi,
}

impl Impl {
    pub fn letter(self) -> &'static str {
        match self {
            Impl::Py => "Py",
            Impl::Rust => "pyssl",
            Impl::Capi => "pyssl-capi",
        }
    }
}

/// The CPython version a mode is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// pyssl's 3.13 or 3.14 rules against a CPython 3.13 or 3.14: 3.13
    /// (pyenv's, or Debian 13's in its chroot) unless `PYSSL_ORACLE_COMPAT`
    /// says 314 (sid's 3.14 in its chroot, integrations/debian).
    Default,
    /// `PYSSL_COMPAT_3_11` against Debian's /usr/bin/python3.11.
    Py311,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::Default, Mode::Py311];

    pub fn compat(self) -> Compat {
        match self {
            Mode::Default => match std::env::var("PYSSL_ORACLE_COMPAT").as_deref() {
                Ok("314") => Compat::Py314,
                Ok("313") | Err(_) => Compat::Py313,
                Ok(other) => panic!("PYSSL_ORACLE_COMPAT={other}: want 313 or 314"),
            },
            Mode::Py311 => Compat::Py311,
        }
    }

    pub fn code(self) -> i32 {
        self.compat().code()
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Default => "3.13/3.14 mode vs CPython 3.13/3.14",
            Mode::Py311 => "3.11 mode vs Debian python3.11",
        }
    }

    /// The oracle interpreter, None (with a printed notice) when absent.
    pub fn oracle(self) -> Option<PathBuf> {
        let path = match self {
            Mode::Py311 => PathBuf::from("/usr/bin/python3.11"),
            Mode::Default => {
                let root = std::env::var_os("PYENV_ROOT")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| {
                        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".pyenv")
                    });
                root.join("versions/3.13.0/bin/python3.13")
            }
        };
        if path.exists() {
            Some(path)
        } else {
            eprintln!(
                "NOTICE: skipping {} cases: oracle {} not found",
                self.name(),
                path.display()
            );
            None
        }
    }
}

const PEER_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/oracle/sslobject_peer.py"
);

/// The CPython oracle: `sslobject_peer.py` in a child process.
pub struct PyPeer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    pub version: String,
}

impl PyPeer {
    pub fn spawn(python: &std::path::Path) -> PyPeer {
        let mut child = Command::new(python)
            .arg("-I")
            .arg(PEER_SCRIPT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut p = PyPeer {
            child,
            stdin,
            stdout,
            version: String::new(),
        };
        let hello = p.call(&cmd("hello"));
        p.version = format!(
            "{} / {}",
            hello
                .result
                .get("version")
                .and_then(Json::str)
                .unwrap_or("?"),
            hello
                .result
                .get("openssl")
                .and_then(Json::str)
                .unwrap_or("?")
        );
        p
    }
}

impl Peer for PyPeer {
    fn call(&mut self, cmd: &Json) -> Reply {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{}", cmd.dump()).expect("write to oracle");
        stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from oracle");
        assert!(!line.is_empty(), "the Python oracle died on {cmd}");
        let v = Json::parse(&line).unwrap_or_else(|e| panic!("bad oracle reply {line:?}: {e}"));
        Reply {
            out: unhex(v.get("out").and_then(Json::str).unwrap_or("")),
            result: normalize_nested(v.get("result").cloned().unwrap_or(Json::Null)),
            exc: match v.get("exc") {
                None | Some(Json::Null) => None,
                Some(e) => Some(Exc::from_json(e)),
            },
        }
    }

    fn label(&self) -> &'static str {
        "Py"
    }
}

impl Drop for PyPeer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn field<'a>(cmd: &'a Json, k: &str) -> &'a Json {
    cmd.get(k).unwrap_or(&Json::Null)
}

fn field_str(cmd: &Json, k: &str) -> String {
    field(cmd, k)
        .str()
        .unwrap_or_else(|| panic!("{cmd}: {k} must be a string"))
        .to_owned()
}

fn key_error(name: &str) -> Exc {
    Exc {
        class: "KeyError".into(),
        msg: format!("'{name}'"),
        errno: None,
        library: None,
        reason: None,
        verify: None,
    }
}

/// ALPN protocols in the wire format ssl.py builds.
pub fn alpn_wire(protos: &[Json]) -> Vec<u8> {
    let mut w = Vec::new();
    for p in protos {
        let s = p.str().expect("ALPN protocol");
        w.push(s.len() as u8);
        w.extend_from_slice(s.as_bytes());
    }
    w
}

fn cipher_tuple(c: &CipherInfo) -> Json {
    Json::Arr(vec![
        c.name.clone().into(),
        c.protocol.clone().into(),
        c.strength_bits.into(),
    ])
}

fn cipher_dict(c: &CipherInfo) -> Json {
    Json::Obj(vec![
        ("id".into(), c.id.into()),
        ("name".into(), c.name.clone().into()),
        ("protocol".into(), c.protocol.clone().into()),
        ("description".into(), c.description.clone().into()),
        ("strength_bits".into(), c.strength_bits.into()),
        ("alg_bits".into(), c.alg_bits.into()),
        ("aead".into(), c.aead.into()),
        ("symmetric".into(), c.symmetric.clone().into()),
        ("digest".into(), c.digest.clone().into()),
        ("kea".into(), c.kea.clone().into()),
        ("auth".into(), c.auth.clone().into()),
    ])
}

struct RustObj {
    sock: Socket,
    incoming: Arc<MemoryBio>,
    outgoing: Arc<MemoryBio>,
}

/// pyssl through its Rust API (`Context`, `MemoryBio`, `Socket::new_bio`).
pub struct RustPeer {
    compat: Compat,
    ctxs: HashMap<String, Arc<Context>>,
    objs: HashMap<String, RustObj>,
    sessions: HashMap<String, Session>,
}

fn guarded<T>(r: Result<T, PyErr>, f: impl FnOnce(T) -> Json) -> Json {
    match r {
        Ok(v) => f(v),
        Err(e) => Json::Obj(vec![("exc".into(), Exc::from_pyerr(&e).to_json())]),
    }
}

fn cstr_json(s: Option<&CStr>) -> Json {
    s.map(|c| Json::Str(c.to_string_lossy().into_owned()))
        .unwrap_or(Json::Null)
}

impl RustPeer {
    pub fn new(compat: Compat) -> RustPeer {
        RustPeer {
            compat,
            ctxs: HashMap::new(),
            objs: HashMap::new(),
            sessions: HashMap::new(),
        }
    }

    fn ctx(&self, cmd: &Json) -> Result<Arc<Context>, Exc> {
        let name = field_str(cmd, "ctx");
        self.ctxs
            .get(&name)
            .cloned()
            .ok_or_else(|| key_error(&name))
    }

    fn run(&mut self, cmd: &Json) -> Result<Json, Exc> {
        let op = field_str(cmd, "op");
        let e = |e: PyErr| Exc::from_pyerr(&e);
        match op.as_str() {
            "hello" => return Ok(Json::Obj(vec![("version".into(), "pyssl".into())])),
            "ctx_new" => {
                let proto = field(cmd, "protocol").int().unwrap() as i32;
                let ctx = Context::new(proto, self.compat).map_err(e)?;
                self.ctxs.insert(field_str(cmd, "ctx"), ctx);
                return Ok(Json::Null);
            }
            "ctx_get" => {
                let c = self.ctx(cmd)?;
                let attr = field_str(cmd, "attr");
                return Ok(match attr.as_str() {
                    "options" => c.options().into(),
                    "verify_flags" => c.verify_flags().into(),
                    "minimum_version" => c.proto_version(false).into(),
                    "maximum_version" => c.proto_version(true).into(),
                    "verify_mode" => c.verify_mode().into(),
                    "check_hostname" => c.check_hostname().into(),
                    "hostname_checks_common_name" => c.hostname_checks_common_name().into(),
                    "num_tickets" => c.num_tickets().into(),
                    "security_level" => c.security_level().into(),
                    "post_handshake_auth" => c.post_handshake_auth().into(),
                    "protocol" => c.protocol().into(),
                    "keylog_filename" => c
                        .keylog_filename()
                        .map(|p| p.to_str().expect("UTF-8 path").to_owned())
                        .into(),
                    "_host_flags" => (c.host_flags() as i64).into(),
                    other => panic!("RustPeer: no getter {other}"),
                });
            }
            "ctx_set" => {
                let c = self.ctx(cmd)?;
                let attr = field_str(cmd, "attr");
                let v = field(cmd, "value");
                let int = || v.int().unwrap_or_else(|| panic!("{cmd}: int value"));
                let flag = || v.bool().unwrap_or_else(|| panic!("{cmd}: bool value"));
                match attr.as_str() {
                    "verify_mode" => c.set_verify_mode(int() as i32).map_err(e)?,
                    "check_hostname" => c.set_check_hostname(flag()).map_err(e)?,
                    "minimum_version" => c.set_proto_version(int() as i32, false).map_err(e)?,
                    "maximum_version" => c.set_proto_version(int() as i32, true).map_err(e)?,
                    "num_tickets" => c.set_num_tickets(int()).map_err(e)?,
                    "options" => c.set_options(int() as u64),
                    "verify_flags" => c.set_verify_flags(int() as u64).map_err(e)?,
                    "hostname_checks_common_name" => c.set_hostname_checks_common_name(flag()),
                    "post_handshake_auth" => c.set_post_handshake_auth(flag()),
                    "keylog_filename" => c
                        .set_keylog_filename(v.str().map(std::path::Path::new))
                        .map_err(e)?,
                    other => panic!("RustPeer: no setter {other}"),
                }
                return Ok(Json::Null);
            }
            "ctx_call" => {
                let c = self.ctx(cmd)?;
                let method = field_str(cmd, "method");
                let repr = field(cmd, "repr").bool().unwrap_or(false);
                let args: Vec<Json> = field(cmd, "args")
                    .arr()
                    .map(<[Json]>::to_vec)
                    .unwrap_or_default();
                let s = |i: usize| {
                    args.get(i)
                        .and_then(Json::str)
                        .map(|x| CString::new(x).unwrap())
                };
                return match method.as_str() {
                    "load_verify_locations" => c
                        .load_verify_locations(s(0).as_deref(), s(1).as_deref())
                        .map(|_| Json::Null)
                        .map_err(e),
                    "load_cert_chain" => c
                        .load_cert_chain(&s(0).unwrap(), s(1).as_deref(), None)
                        .map(|_| Json::Null)
                        .map_err(e),
                    "set_ciphers" => c.set_ciphers(&s(0).unwrap()).map(|_| Json::Null).map_err(e),
                    "set_alpn_protocols" => c
                        .set_alpn_protocols(&alpn_wire(args[0].arr().unwrap()))
                        .map(|_| Json::Null)
                        .map_err(e),
                    "set_ecdh_curve" => c
                        .set_ecdh_curve(args[0].str().unwrap().as_bytes())
                        .map(|_| Json::Null)
                        .map_err(e),
                    "load_dh_params" => c
                        .load_dh_params(std::path::Path::new(args[0].str().unwrap()))
                        .map(|_| Json::Null)
                        .map_err(e),
                    "get_ciphers" if repr => c
                        .get_ciphers()
                        .map(|v| {
                            Value::List(v.iter().map(CipherInfo::to_dict).collect())
                                .repr()
                                .into()
                        })
                        .map_err(e),
                    "get_ciphers" => c
                        .get_ciphers()
                        .map(|v| Json::Arr(v.iter().map(cipher_dict).collect()))
                        .map_err(e),
                    "session_stats" if repr => Ok(Value::Dict(
                        c.session_stats()
                            .into_iter()
                            .map(|(k, v)| (Value::Str(k.to_owned()), Value::Int(v)))
                            .collect(),
                    )
                    .repr()
                    .into()),
                    "session_stats" => Ok(Json::Obj(
                        c.session_stats()
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v.into()))
                            .collect(),
                    )),
                    "cert_store_stats" if repr => {
                        let (x509, crl, ca) = c.cert_store_stats();
                        let k = |s: &str| Value::Str(s.to_owned());
                        Ok(Value::Dict(vec![
                            (k("x509"), Value::Int(x509)),
                            (k("crl"), Value::Int(crl)),
                            (k("x509_ca"), Value::Int(ca)),
                        ])
                        .repr()
                        .into())
                    }
                    "cert_store_stats" => {
                        let (x509, crl, ca) = c.cert_store_stats();
                        Ok(Json::Obj(vec![
                            ("x509".into(), x509.into()),
                            ("crl".into(), crl.into()),
                            ("x509_ca".into(), ca.into()),
                        ]))
                    }
                    other => panic!("RustPeer: no method {other}"),
                };
            }
            "session_info" => {
                let name = field_str(cmd, "session");
                let s = self.sessions.get(&name).ok_or_else(|| key_error(&name))?;
                return Ok(Json::Obj(vec![
                    ("id_len".into(), s.id().len().into()),
                    ("timeout".into(), s.timeout().into()),
                    (
                        "ticket_lifetime_hint".into(),
                        s.ticket_lifetime_hint().into(),
                    ),
                    ("has_ticket".into(), s.has_ticket().into()),
                ]));
            }
            "wrap" => {
                let c = self.ctx(cmd)?;
                let incoming = Arc::new(MemoryBio::new().map_err(e)?);
                let outgoing = Arc::new(MemoryBio::new().map_err(e)?);
                let host = field(cmd, "server_hostname")
                    .str()
                    .map(|h| CString::new(h).unwrap());
                let sock = Socket::new_bio(
                    &c,
                    Arc::clone(&incoming),
                    Arc::clone(&outgoing),
                    field(cmd, "server_side").bool().unwrap(),
                    host.as_deref(),
                )
                .map_err(e)?;
                if let Some(name) = field(cmd, "session").str() {
                    let s = self.sessions.get(name).ok_or_else(|| key_error(name))?;
                    sock.set_session(s).map_err(e)?;
                }
                self.objs.insert(
                    field_str(cmd, "obj"),
                    RustObj {
                        sock,
                        incoming,
                        outgoing,
                    },
                );
                return Ok(Json::Null);
            }
            _ => {}
        }
        let name = field_str(cmd, "obj");
        let o = self.objs.get(&name).ok_or_else(|| key_error(&name))?;
        let s = &o.sock;
        Ok(match op.as_str() {
            "feed" => {
                let data = unhex(&field_str(cmd, "data"));
                o.incoming.write(&data).map_err(e)?.into()
            }
            "write_eof" => {
                o.incoming.write_eof();
                Json::Null
            }
            "handshake" => {
                s.do_handshake().map_err(e)?;
                Json::Null
            }
            "read" => {
                let mut buf = vec![0u8; field(cmd, "n").int().unwrap() as usize];
                let n = s.read(&mut buf).map_err(e)?;
                jbytes(&buf[..n])
            }
            "write" => s.write(&unhex(&field_str(cmd, "data"))).map_err(e)?.into(),
            "unwrap" => {
                s.shutdown().map_err(e)?;
                Json::Null
            }
            "pending" => s.pending().map_err(e)?.into(),
            "info" => Json::Obj(vec![
                ("version".into(), guarded(s.version(), cstr_json)),
                (
                    "cipher".into(),
                    guarded(s.cipher(), |c| match c {
                        None => Json::Null,
                        Some((n, p, b)) => {
                            Json::Arr(vec![cstr_json(Some(n)), cstr_json(Some(p)), b.into()])
                        }
                    }),
                ),
                (
                    "shared_ciphers".into(),
                    guarded(s.shared_ciphers(), |v| match v {
                        None => Json::Null,
                        Some(v) => Json::Arr(v.iter().map(cipher_tuple).collect()),
                    }),
                ),
                (
                    "selected_alpn_protocol".into(),
                    guarded(s.selected_alpn_protocol(), |v| {
                        v.map(|b| Json::Str(String::from_utf8_lossy(&b).into_owned()))
                            .unwrap_or(Json::Null)
                    }),
                ),
                ("compression".into(), guarded(s.compression(), cstr_json)),
                (
                    "session_reused".into(),
                    guarded(s.session_reused(), Json::from),
                ),
                (
                    "channel_binding".into(),
                    guarded(s.channel_binding("tls-unique"), |v| {
                        v.map(|b| jbytes(&b)).unwrap_or(Json::Null)
                    }),
                ),
                ("pending".into(), guarded(s.pending(), Json::from)),
                ("server_side".into(), s.server_side().into()),
                (
                    "server_hostname".into(),
                    s.server_hostname().map(str::to_owned).into(),
                ),
                (
                    "session_is_none".into(),
                    guarded(s.session(), |v| v.is_none().into()),
                ),
            ]),
            "shared_ciphers_repr" => match s.shared_ciphers().map_err(e)? {
                None => "None".into(),
                Some(v) => Value::List(v.iter().map(CipherInfo::to_tuple).collect())
                    .repr()
                    .into(),
            },
            "bio" => Json::Obj(vec![
                ("incoming_pending".into(), o.incoming.pending().into()),
                ("incoming_eof".into(), o.incoming.eof().into()),
                ("outgoing_pending".into(), o.outgoing.pending().into()),
                ("outgoing_eof".into(), o.outgoing.eof().into()),
            ]),
            "get_session" => match s.session().map_err(e)? {
                Some(sess) => {
                    self.sessions.insert(field_str(cmd, "session"), sess);
                    true.into()
                }
                None => false.into(),
            },
            "set_session" => {
                let sn = field_str(cmd, "session");
                let sess = self.sessions.get(&sn).ok_or_else(|| key_error(&sn))?;
                s.set_session(sess).map_err(e)?;
                Json::Null
            }
            "verify_client_post_handshake" => {
                s.verify_client_post_handshake().map_err(e)?;
                Json::Null
            }
            "channel_binding" => s
                .channel_binding(&field_str(cmd, "cb_type"))
                .map_err(e)?
                .map(|b| jbytes(&b))
                .unwrap_or(Json::Null),
            other => panic!("RustPeer: unknown op {other}"),
        })
    }
}

fn drain(bio: &MemoryBio) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let n = bio.read(&mut buf).expect("MemoryBIO.read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn wants_drain(cmd: &Json) -> bool {
    field(cmd, "drain").bool().unwrap_or(true)
}

impl Peer for RustPeer {
    fn call(&mut self, cmd: &Json) -> Reply {
        let (result, exc) = match self.run(cmd) {
            Ok(v) => (normalize_nested(v), None),
            Err(x) => (Json::Null, Some(x)),
        };
        let out = match field(cmd, "obj").str().and_then(|n| self.objs.get(n)) {
            Some(o) if wants_drain(cmd) => drain(&o.outgoing),
            _ => Vec::new(),
        };
        Reply { out, result, exc }
    }

    fn label(&self) -> &'static str {
        "pyssl"
    }
}

// ---------------------------------------------------------------- C API peer

use pyssl::capi::*;

struct CapiObj {
    sock: *mut pyssl_socket,
    incoming: *mut pyssl_memory_bio,
    outgoing: *mut pyssl_memory_bio,
}

/// pyssl through its C API, with exceptions read from `pyssl_error_*` and
/// values (`pyssl_value`) walked into JSON.
pub struct CapiPeer {
    compat: i32,
    ctxs: HashMap<String, *mut pyssl_context>,
    objs: HashMap<String, CapiObj>,
    sessions: HashMap<String, *mut pyssl_session>,
}

fn c_opt(p: *const c_char) -> Option<String> {
    // SAFETY: pyssl returns NULL or a NUL-terminated string valid until the
    // next pyssl call on this thread; copied right away.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// The thread's last pyssl error as an exception.
pub fn capi_exc() -> Exc {
    Exc {
        class: c_opt(pyssl_error_type()).unwrap_or_else(|| "<no error type>".into()),
        msg: strip_location(&c_opt(pyssl_error_message()).unwrap_or_default()),
        errno: (pyssl_error_has_errno() != 0).then(|| pyssl_error_errno() as i64),
        library: c_opt(pyssl_error_library()),
        reason: c_opt(pyssl_error_reason()),
        verify: match pyssl_error_verify_code() {
            -1 => None,
            code => Some((code, c_opt(pyssl_error_verify_message()))),
        },
    }
}

fn check(rc: isize) -> Result<isize, Exc> {
    if rc < 0 {
        Err(capi_exc())
    } else {
        Ok(rc)
    }
}

fn check_int(rc: std::os::raw::c_int) -> Result<i64, Exc> {
    check(rc as isize).map(|v| v as i64)
}

/// A `pyssl_value` tree as the peers' JSON (tuples and lists as arrays,
/// bytes as `{"bytes": hex}`).
fn value_json(v: *const pyssl_value) -> Json {
    const NONE: i32 = pyssl_value_type::PYSSL_VALUE_NONE as i32;
    const BOOL: i32 = pyssl_value_type::PYSSL_VALUE_BOOL as i32;
    const INT: i32 = pyssl_value_type::PYSSL_VALUE_INT as i32;
    const STR: i32 = pyssl_value_type::PYSSL_VALUE_STR as i32;
    const BYTES: i32 = pyssl_value_type::PYSSL_VALUE_BYTES as i32;
    const TUPLE: i32 = pyssl_value_type::PYSSL_VALUE_TUPLE as i32;
    const LIST: i32 = pyssl_value_type::PYSSL_VALUE_LIST as i32;
    const DICT: i32 = pyssl_value_type::PYSSL_VALUE_DICT as i32;
    let len = || pyssl_value_len(v).max(0) as usize;
    match pyssl_value_kind(v) {
        NONE => Json::Null,
        BOOL => Json::Bool(pyssl_value_bool(v) == 1),
        INT => {
            let mut n = 0i64;
            assert_eq!(pyssl_value_int(v, &mut n), 0, "{}", capi_exc());
            Json::Int(n)
        }
        STR => {
            let mut n = 0usize;
            let p = pyssl_value_str(v, &mut n);
            // SAFETY: pyssl gives `n` bytes of UTF-8 at p, alive with the root.
            let b = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) };
            Json::Str(String::from_utf8_lossy(b).into_owned())
        }
        BYTES => {
            let mut n = 0usize;
            let p = pyssl_value_bytes(v, &mut n);
            // SAFETY: as for str.
            jbytes(unsafe { std::slice::from_raw_parts(p, n) })
        }
        TUPLE => Json::Arr(
            (0..len())
                .map(|i| value_json(pyssl_value_tuple_item(v, i)))
                .collect(),
        ),
        LIST => Json::Arr(
            (0..len())
                .map(|i| value_json(pyssl_value_list_item(v, i)))
                .collect(),
        ),
        DICT => Json::Obj(
            (0..len())
                .map(|i| {
                    let k = value_json(pyssl_value_dict_key(v, i));
                    let k = k.str().map(str::to_owned).unwrap_or_else(|| k.dump());
                    (k, value_json(pyssl_value_dict_value(v, i)))
                })
                .collect(),
        ),
        _ => panic!("pyssl_value_kind: {}", capi_exc()),
    }
}

/// Takes a value root from a pyssl out-parameter call: JSON (or its repr),
/// `None` for a NULL root; the root is freed.
fn take_value(rc: std::os::raw::c_int, v: *mut pyssl_value, repr: bool) -> Result<Json, Exc> {
    check_int(rc)?;
    let j = if repr {
        if v.is_null() {
            Json::Str("None".into())
        } else {
            let p = pyssl_value_repr(v);
            let s = c_opt(p).expect("pyssl_value_repr");
            pyssl_string_free(p);
            Json::Str(s)
        }
    } else if v.is_null() {
        Json::Null
    } else {
        value_json(v)
    };
    pyssl_value_free(v);
    Ok(j)
}

impl CapiPeer {
    pub fn new(compat: i32) -> CapiPeer {
        CapiPeer {
            compat,
            ctxs: HashMap::new(),
            objs: HashMap::new(),
            sessions: HashMap::new(),
        }
    }

    fn ctx(&self, cmd: &Json) -> Result<*mut pyssl_context, Exc> {
        let name = field_str(cmd, "ctx");
        self.ctxs
            .get(&name)
            .copied()
            .ok_or_else(|| key_error(&name))
    }

    fn session(&self, name: &str) -> Result<*mut pyssl_session, Exc> {
        self.sessions
            .get(name)
            .copied()
            .ok_or_else(|| key_error(name))
    }

    fn run(&mut self, cmd: &Json) -> Result<Json, Exc> {
        let op = field_str(cmd, "op");
        let null = std::ptr::null::<c_char>();
        let repr = field(cmd, "repr").bool().unwrap_or(false);
        match op.as_str() {
            "ctx_new" => {
                let proto = field(cmd, "protocol").int().unwrap() as i32;
                let c = pyssl_context_new_compat(proto, self.compat);
                if c.is_null() {
                    return Err(capi_exc());
                }
                if let Some(old) = self.ctxs.insert(field_str(cmd, "ctx"), c) {
                    pyssl_context_free(old);
                }
                return Ok(Json::Null);
            }
            "ctx_get" => {
                let c = self.ctx(cmd)?;
                let mut u = 0u64;
                return Ok(match field_str(cmd, "attr").as_str() {
                    "options" => {
                        check_int(pyssl_context_get_options(c, &mut u))?;
                        u.into()
                    }
                    "verify_flags" => {
                        check_int(pyssl_context_get_verify_flags(c, &mut u))?;
                        u.into()
                    }
                    "minimum_version" => pyssl_context_get_minimum_version(c).into(),
                    "maximum_version" => pyssl_context_get_maximum_version(c).into(),
                    "verify_mode" => check_int(pyssl_context_get_verify_mode(c))?.into(),
                    "check_hostname" => {
                        (check_int(pyssl_context_get_check_hostname(c))? != 0).into()
                    }
                    "hostname_checks_common_name" => {
                        (check_int(pyssl_context_get_hostname_checks_common_name(c))? != 0).into()
                    }
                    "num_tickets" => check(pyssl_context_get_num_tickets(c))?.into(),
                    "security_level" => check_int(pyssl_context_get_security_level(c))?.into(),
                    "post_handshake_auth" => {
                        (check_int(pyssl_context_get_post_handshake_auth(c))? != 0).into()
                    }
                    "protocol" => check_int(pyssl_context_get_protocol(c))?.into(),
                    other => panic!("CapiPeer: no getter {other}"),
                });
            }
            "ctx_set" => {
                let c = self.ctx(cmd)?;
                let v = field(cmd, "value");
                let int = || v.int().unwrap_or_else(|| panic!("{cmd}: int value"));
                let flag = || v.bool().unwrap_or_else(|| panic!("{cmd}: bool value")) as i32;
                let rc = match field_str(cmd, "attr").as_str() {
                    "minimum_version" => pyssl_context_set_minimum_version(c, int() as i32),
                    "maximum_version" => pyssl_context_set_maximum_version(c, int() as i32),
                    "verify_mode" => pyssl_context_set_verify_mode(c, int() as i32),
                    "check_hostname" => pyssl_context_set_check_hostname(c, flag()),
                    "post_handshake_auth" => pyssl_context_set_post_handshake_auth(c, flag()),
                    "hostname_checks_common_name" => {
                        pyssl_context_set_hostname_checks_common_name(c, flag())
                    }
                    "num_tickets" => pyssl_context_set_num_tickets(c, int()),
                    "options" => pyssl_context_set_options(c, int() as u64),
                    "verify_flags" => pyssl_context_set_verify_flags(c, int() as u64),
                    "keylog_filename" => {
                        let path = v.str().map(|p| CString::new(p).unwrap());
                        pyssl_context_set_keylog_filename(c, p_or_null(&path))
                    }
                    other => panic!("CapiPeer: no setter {other}"),
                };
                check_int(rc)?;
                return Ok(Json::Null);
            }
            "ctx_call" => {
                let c = self.ctx(cmd)?;
                let args: Vec<Json> = field(cmd, "args")
                    .arr()
                    .map(<[Json]>::to_vec)
                    .unwrap_or_default();
                let s = |i: usize| {
                    args.get(i)
                        .and_then(Json::str)
                        .map(|x| CString::new(x).unwrap())
                };
                let mut v: *mut pyssl_value = std::ptr::null_mut();
                let rc = match field_str(cmd, "method").as_str() {
                    "load_verify_locations" => {
                        pyssl_context_load_verify_locations(c, p_or_null(&s(0)), p_or_null(&s(1)))
                    }
                    "load_cert_chain" => {
                        pyssl_context_load_cert_chain(c, p_or_null(&s(0)), p_or_null(&s(1)), null)
                    }
                    "set_ciphers" => pyssl_context_set_ciphers(c, p_or_null(&s(0))),
                    "set_alpn_protocols" => {
                        let w = alpn_wire(args[0].arr().unwrap());
                        pyssl_context_set_alpn_protocols(c, w.as_ptr(), w.len())
                    }
                    "set_ecdh_curve" => pyssl_context_set_ecdh_curve(c, p_or_null(&s(0))),
                    "load_dh_params" => pyssl_context_load_dh_params(c, p_or_null(&s(0))),
                    "cert_store_stats" => {
                        let (mut x, mut crl, mut ca) = (0i64, 0i64, 0i64);
                        check_int(pyssl_context_cert_store_stats(c, &mut x, &mut crl, &mut ca))?;
                        let d = Json::Obj(vec![
                            ("x509".into(), x.into()),
                            ("crl".into(), crl.into()),
                            ("x509_ca".into(), ca.into()),
                        ]);
                        return Ok(if repr {
                            Json::Str(format!("{{'x509': {x}, 'crl': {crl}, 'x509_ca': {ca}}}"))
                        } else {
                            d
                        });
                    }
                    "get_ciphers" => {
                        return take_value(pyssl_context_get_ciphers(c, &mut v), v, repr)
                    }
                    "session_stats" => {
                        return take_value(pyssl_context_session_stats(c, &mut v), v, repr)
                    }
                    other => panic!("CapiPeer: no method {other}"),
                };
                check_int(rc)?;
                return Ok(Json::Null);
            }
            "session_info" => {
                let sess = self.session(&field_str(cmd, "session"))?;
                let mut id = [0u8; 64];
                let id_len = check(pyssl_session_id(sess, id.as_mut_ptr(), id.len()))?;
                let (mut time, mut timeout, mut hint, mut ticket) = (0i64, 0i64, 0u64, 0);
                check_int(pyssl_session_info(
                    sess,
                    &mut time,
                    &mut timeout,
                    &mut hint,
                    &mut ticket,
                ))?;
                return Ok(Json::Obj(vec![
                    ("id_len".into(), id_len.into()),
                    ("timeout".into(), timeout.into()),
                    ("ticket_lifetime_hint".into(), hint.into()),
                    ("has_ticket".into(), (ticket != 0).into()),
                ]));
            }
            "wrap" => {
                let c = self.ctx(cmd)?;
                let incoming = pyssl_memory_bio_new();
                let outgoing = pyssl_memory_bio_new();
                assert!(!incoming.is_null() && !outgoing.is_null());
                let host = field(cmd, "server_hostname")
                    .str()
                    .map(|h| CString::new(h).unwrap());
                let sock = pyssl_socket_new_bio(
                    c,
                    incoming,
                    outgoing,
                    field(cmd, "server_side").bool().unwrap() as i32,
                    p_or_null(&host),
                );
                let o = CapiObj {
                    sock,
                    incoming,
                    outgoing,
                };
                if sock.is_null() {
                    let x = capi_exc();
                    free_obj(o);
                    return Err(x);
                }
                if let Some(name) = field(cmd, "session").str() {
                    let r = self
                        .session(name)
                        .and_then(|sess| check_int(pyssl_socket_set_session(o.sock, sess)));
                    if let Err(x) = r {
                        free_obj(o);
                        return Err(x);
                    }
                }
                if let Some(old) = self.objs.insert(field_str(cmd, "obj"), o) {
                    free_obj(old);
                }
                return Ok(Json::Null);
            }
            _ => {}
        }
        let name = field_str(cmd, "obj");
        let o = self.objs.get(&name).ok_or_else(|| key_error(&name))?;
        let s = o.sock;
        let guarded = |r: Result<Json, Exc>| match r {
            Ok(v) => v,
            Err(x) => Json::Obj(vec![("exc".into(), x.to_json())]),
        };
        Ok(match op.as_str() {
            "feed" => {
                let data = unhex(&field_str(cmd, "data"));
                check(pyssl_memory_bio_write(
                    o.incoming,
                    data.as_ptr().cast(),
                    data.len(),
                ))?
                .into()
            }
            "write_eof" => {
                check_int(pyssl_memory_bio_write_eof(o.incoming))?;
                Json::Null
            }
            "handshake" => {
                check_int(pyssl_do_handshake(s))?;
                Json::Null
            }
            "read" => {
                let mut buf = vec![0u8; field(cmd, "n").int().unwrap() as usize];
                let n = check(pyssl_read(s, buf.as_mut_ptr().cast(), buf.len()))?;
                jbytes(&buf[..n as usize])
            }
            "write" => {
                let data = unhex(&field_str(cmd, "data"));
                check(pyssl_write(s, data.as_ptr().cast(), data.len()))?.into()
            }
            "unwrap" => {
                check_int(pyssl_shutdown(s))?;
                Json::Null
            }
            "pending" => check(pyssl_socket_pending(s))?.into(),
            "verify_client_post_handshake" => {
                check_int(pyssl_socket_verify_client_post_handshake(s))?;
                Json::Null
            }
            "bio" => Json::Obj(vec![
                (
                    "incoming_pending".into(),
                    check(pyssl_memory_bio_pending(o.incoming))?.into(),
                ),
                (
                    "incoming_eof".into(),
                    (check_int(pyssl_memory_bio_eof(o.incoming))? != 0).into(),
                ),
                (
                    "outgoing_pending".into(),
                    check(pyssl_memory_bio_pending(o.outgoing))?.into(),
                ),
                (
                    "outgoing_eof".into(),
                    (check_int(pyssl_memory_bio_eof(o.outgoing))? != 0).into(),
                ),
            ]),
            "info" => {
                pyssl_error_clear();
                let version = c_opt(pyssl_socket_version(s));
                let version = if version.is_none() && pyssl_error_status() < 0 {
                    Err(capi_exc())
                } else {
                    Ok(version.into())
                };
                let (mut name, mut proto, mut bits) = (null, null, 0);
                let cipher = match pyssl_socket_cipher(s, &mut name, &mut proto, &mut bits) {
                    1 => Ok(Json::Arr(vec![
                        c_opt(name).into(),
                        c_opt(proto).into(),
                        bits.into(),
                    ])),
                    0 => Ok(Json::Null),
                    _ => Err(capi_exc()),
                };
                let mut v: *mut pyssl_value = std::ptr::null_mut();
                let shared = take_value(pyssl_socket_shared_ciphers(s, &mut v), v, false);
                let mut alpn = [0u8; 255];
                let alpn = check(pyssl_socket_selected_alpn_protocol(
                    s,
                    alpn.as_mut_ptr(),
                    alpn.len(),
                ))
                .map(|n| match n {
                    0 => Json::Null,
                    n => Json::Str(String::from_utf8_lossy(&alpn[..n as usize]).into_owned()),
                });
                pyssl_error_clear();
                let comp = c_opt(pyssl_socket_compression(s));
                let comp = if comp.is_none() && pyssl_error_status() < 0 {
                    Err(capi_exc())
                } else {
                    Ok(comp.into())
                };
                let reused = check_int(pyssl_socket_session_reused(s)).map(|r| Json::Bool(r == 1));
                let mut cb = [0u8; 128];
                let cb = check(pyssl_socket_get_channel_binding(
                    s,
                    c"tls-unique".as_ptr(),
                    cb.as_mut_ptr(),
                    cb.len(),
                ))
                .map(|n| {
                    if n == 0 {
                        Json::Null
                    } else {
                        jbytes(&cb[..n as usize])
                    }
                });
                let pending = check(pyssl_socket_pending(s)).map(Json::from);
                let server_side =
                    check_int(pyssl_socket_server_side(s)).map(|r| Json::Bool(r == 1));
                pyssl_error_clear();
                let host = c_opt(pyssl_socket_server_hostname(s));
                let host = if host.is_none() && pyssl_error_status() < 0 {
                    Err(capi_exc())
                } else {
                    Ok(host.into())
                };
                let mut sess: *mut pyssl_session = std::ptr::null_mut();
                let sess_none = check_int(pyssl_socket_get_session(s, &mut sess)).map(|_| {
                    let none = sess.is_null();
                    pyssl_session_free(sess);
                    Json::Bool(none)
                });
                Json::Obj(vec![
                    ("version".into(), guarded(version)),
                    ("cipher".into(), guarded(cipher)),
                    ("shared_ciphers".into(), guarded(shared)),
                    ("selected_alpn_protocol".into(), guarded(alpn)),
                    ("compression".into(), guarded(comp)),
                    ("session_reused".into(), guarded(reused)),
                    ("channel_binding".into(), guarded(cb)),
                    ("pending".into(), guarded(pending)),
                    ("server_side".into(), guarded(server_side)),
                    ("server_hostname".into(), guarded(host)),
                    ("session_is_none".into(), guarded(sess_none)),
                ])
            }
            "shared_ciphers_repr" => {
                let mut v: *mut pyssl_value = std::ptr::null_mut();
                take_value(pyssl_socket_shared_ciphers(s, &mut v), v, true)?
            }
            "get_session" => {
                let mut sess: *mut pyssl_session = std::ptr::null_mut();
                check_int(pyssl_socket_get_session(s, &mut sess))?;
                if sess.is_null() {
                    false.into()
                } else {
                    if let Some(old) = self.sessions.insert(field_str(cmd, "session"), sess) {
                        pyssl_session_free(old);
                    }
                    true.into()
                }
            }
            "set_session" => {
                let sess = self.session(&field_str(cmd, "session"))?;
                check_int(pyssl_socket_set_session(s, sess))?;
                Json::Null
            }
            "channel_binding" => {
                let t = CString::new(field_str(cmd, "cb_type")).unwrap();
                let mut cb = [0u8; 128];
                match check(pyssl_socket_get_channel_binding(
                    s,
                    t.as_ptr(),
                    cb.as_mut_ptr(),
                    cb.len(),
                ))? {
                    0 => Json::Null,
                    n => jbytes(&cb[..n as usize]),
                }
            }
            other => panic!("CapiPeer: unknown op {other}"),
        })
    }
}

fn p_or_null(x: &Option<CString>) -> *const c_char {
    x.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

fn free_obj(o: CapiObj) {
    pyssl_socket_free(o.sock);
    pyssl_memory_bio_free(o.incoming);
    pyssl_memory_bio_free(o.outgoing);
}

impl Peer for CapiPeer {
    fn call(&mut self, cmd: &Json) -> Reply {
        let (result, exc) = match self.run(cmd) {
            Ok(v) => (normalize_nested(v), None),
            Err(x) => (Json::Null, Some(x)),
        };
        let mut out = Vec::new();
        if let Some(o) = field(cmd, "obj").str().and_then(|n| self.objs.get(n)) {
            if wants_drain(cmd) {
                let mut buf = vec![0u8; 65536];
                loop {
                    let n = pyssl_memory_bio_read(o.outgoing, buf.as_mut_ptr().cast(), buf.len());
                    assert!(n >= 0, "pyssl_memory_bio_read: {}", capi_exc());
                    if n == 0 {
                        break;
                    }
                    out.extend_from_slice(&buf[..n as usize]);
                }
            }
        }
        Reply { out, result, exc }
    }

    fn label(&self) -> &'static str {
        "pyssl-capi"
    }

    /// The C API has no getter for `keylog_filename`.
    fn supports(&self, cmd: &Json) -> bool {
        !(field(cmd, "op").str() == Some("ctx_get")
            && field(cmd, "attr").str() == Some("keylog_filename"))
    }
}

impl Drop for CapiPeer {
    fn drop(&mut self) {
        for (_, o) in self.objs.drain() {
            free_obj(o);
        }
        for (_, s) in self.sessions.drain() {
            pyssl_session_free(s);
        }
        for (_, c) in self.ctxs.drain() {
            pyssl_context_free(c);
        }
    }
}

// ---------------------------------------------------------------- the lab

/// One mode's peers: the oracle process and the two pyssl peers, shared
/// by every connection of a test (names are made unique per connection).
pub struct Lab {
    pub mode: Mode,
    py: Rc<RefCell<PyPeer>>,
    rust: Rc<RefCell<RustPeer>>,
    capi: Rc<RefCell<CapiPeer>>,
    counter: Rc<Cell<u32>>,
}

impl Lab {
    /// None (after a notice) when the mode's oracle is not installed.
    pub fn new(mode: Mode) -> Option<Lab> {
        let python = mode.oracle()?;
        let py = PyPeer::spawn(&python);
        Some(Lab {
            mode,
            py: Rc::new(RefCell::new(py)),
            rust: Rc::new(RefCell::new(RustPeer::new(mode.compat()))),
            capi: Rc::new(RefCell::new(CapiPeer::new(mode.code()))),
            counter: Rc::new(Cell::new(0)),
        })
    }

    pub fn oracle_version(&self) -> String {
        self.py.borrow().version.clone()
    }

    pub fn peer(&self, imp: Impl) -> Rc<RefCell<dyn Peer>> {
        match imp {
            Impl::Py => self.py.clone(),
            Impl::Rust => self.rust.clone(),
            Impl::Capi => self.capi.clone(),
        }
    }

    pub fn fresh(&self, base: &str) -> String {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        format!("{base}{n}")
    }

    /// Runs one command on a peer.
    pub fn call(&self, imp: Impl, cmd: &Json) -> Reply {
        self.peer(imp).borrow_mut().call(cmd)
    }
}

// ---------------------------------------------------------------- certificates

/// Paths (as strings) of the certificates from `tests/common`.
pub struct CertPaths {
    pub ca: String,
    pub server_cert: String,
    pub server_key: String,
    pub client_cert: String,
    pub client_key: String,
    /// A self-signed certificate for "localhost", trusted by nobody.
    pub self_cert: String,
    pub dir: PathBuf,
}

pub fn cert_paths(dir: &std::path::Path) -> CertPaths {
    let p = |n: &str| dir.join(n).to_str().unwrap().to_owned();
    CertPaths {
        ca: p("ca.pem"),
        server_cert: p("server.pem"),
        server_key: p("server.key"),
        client_cert: p("client.pem"),
        client_key: p("client.key"),
        self_cert: p("self.pem"),
        dir: dir.to_owned(),
    }
}

// ---------------------------------------------------------------- connections

pub const C: usize = 0;
pub const S: usize = 1;
const SIDE: [&str; 2] = ["C", "S"];

/// How a connection's contexts are configured (the same on every peer).
#[derive(Debug, Clone, Default)]
pub struct Cfg {
    pub min_version: Option<i64>,
    pub max_version: Option<i64>,
    pub client_alpn: Option<Vec<&'static str>>,
    pub server_alpn: Option<Vec<&'static str>>,
    /// The client's server_hostname (default "localhost").
    pub hostname: Option<&'static str>,
    /// The client trusts only the self-signed certificate, not the CA.
    pub client_trusts_self_signed: bool,
    /// The client context has the client certificate.
    pub client_cert: bool,
    /// The server's verify_mode (it then trusts the CA).
    pub server_verify_mode: Option<i64>,
    /// post_handshake_auth on both contexts.
    pub post_handshake_auth: bool,
    /// `set_ciphers` on the client context.
    pub client_ciphers: Option<&'static str>,
}

pub const TLS1_2: i64 = 0x303;
pub const TLS1_3: i64 = 0x304;

impl Cfg {
    pub fn tls12() -> Cfg {
        Cfg {
            max_version: Some(TLS1_2),
            ..Cfg::default()
        }
    }
    pub fn tls13() -> Cfg {
        Cfg {
            min_version: Some(TLS1_3),
            ..Cfg::default()
        }
    }
}

/// A command for transcripts: the op and its arguments, without the
/// names of contexts, objects and sessions (unique per run) and with data
/// shown by length.
pub fn describe(cmd: &Json) -> String {
    let Json::Obj(items) = cmd else {
        unreachable!()
    };
    let mut s = items[0].1.str().unwrap().to_owned();
    for (k, v) in &items[1..] {
        match k.as_str() {
            "obj" | "ctx" | "session" => {}
            "drain" => s.push_str(" (no drain)"),
            "data" => write!(s, " <{} bytes>", v.str().unwrap().len() / 2).unwrap(),
            _ => write!(s, " {k}={v}").unwrap(),
        }
    }
    s
}

/// A client and a server object on two peers, the bytes in flight between
/// them, and the transcript of everything that happened.
pub struct Conn {
    peers: [Rc<RefCell<dyn Peer>>; 2],
    pub imps: [Impl; 2],
    pub ctx: [String; 2],
    pub obj: [String; 2],
    inbox: [Vec<u8>; 2],
    pub log: Vec<String>,
    pub hostname: &'static str,
    counter: Rc<Cell<u32>>,
    /// The client context's setup commands, for `renew_client_ctx`.
    client_setup: Vec<Json>,
}

impl Conn {
    /// Contexts made and configured as `cfg` says, objects wrapped; the
    /// setup itself must succeed and is not part of the transcript.
    pub fn new(lab: &Lab, certs: &CertPaths, client: Impl, server: Impl, cfg: &Cfg) -> Conn {
        let mut c = Conn {
            peers: [lab.peer(client), lab.peer(server)],
            imps: [client, server],
            ctx: [lab.fresh("cctx"), lab.fresh("sctx")],
            obj: [String::new(), String::new()],
            inbox: [Vec::new(), Vec::new()],
            log: Vec::new(),
            hostname: "localhost",
            counter: Rc::clone(&lab.counter),
            client_setup: Vec::new(),
        };
        c.setup(C, cmd("ctx_new").with("protocol", 16));
        let trust = if cfg.client_trusts_self_signed {
            &certs.self_cert
        } else {
            &certs.ca
        };
        c.setup(
            C,
            cmd("ctx_call")
                .with("method", "load_verify_locations")
                .with("args", vec![trust.as_str()]),
        );
        if cfg.client_cert {
            c.setup(
                C,
                cmd("ctx_call").with("method", "load_cert_chain").with(
                    "args",
                    vec![certs.client_cert.as_str(), certs.client_key.as_str()],
                ),
            );
        }
        if let Some(list) = cfg.client_ciphers {
            c.setup(
                C,
                cmd("ctx_call")
                    .with("method", "set_ciphers")
                    .with("args", vec![list]),
            );
        }
        c.setup(S, cmd("ctx_new").with("protocol", 17));
        c.setup(
            S,
            cmd("ctx_call").with("method", "load_cert_chain").with(
                "args",
                vec![certs.server_cert.as_str(), certs.server_key.as_str()],
            ),
        );
        if let Some(mode) = cfg.server_verify_mode {
            c.setup(
                S,
                cmd("ctx_call")
                    .with("method", "load_verify_locations")
                    .with("args", vec![certs.ca.as_str()]),
            );
            c.setup(
                S,
                cmd("ctx_set")
                    .with("attr", "verify_mode")
                    .with("value", mode),
            );
        }
        if let Some(h) = cfg.hostname {
            c.hostname = h;
        }
        for side in [C, S] {
            if let Some(v) = cfg.min_version {
                c.setup(
                    side,
                    cmd("ctx_set")
                        .with("attr", "minimum_version")
                        .with("value", v),
                );
            }
            if let Some(v) = cfg.max_version {
                c.setup(
                    side,
                    cmd("ctx_set")
                        .with("attr", "maximum_version")
                        .with("value", v),
                );
            }
            if cfg.post_handshake_auth {
                c.setup(
                    side,
                    cmd("ctx_set")
                        .with("attr", "post_handshake_auth")
                        .with("value", true),
                );
            }
            let alpn = if side == C {
                &cfg.client_alpn
            } else {
                &cfg.server_alpn
            };
            if let Some(protos) = alpn {
                c.setup(
                    side,
                    cmd("ctx_call")
                        .with("method", "set_alpn_protocols")
                        .with("args", Json::Arr(vec![protos.clone().into()])),
                );
            }
        }
        c.wrap(None);
        c
    }

    /// Replaces the client's context by a new one configured the same way.
    pub fn renew_client_ctx(&mut self) {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        self.ctx[C] = format!("cctx-renewed{n}");
        for c in self.client_setup.clone() {
            self.setup(C, c);
        }
        self.log.push("C new context".into());
    }

    /// A context-level setup command that must succeed.
    pub fn setup(&mut self, side: usize, cmd: Json) -> Reply {
        if side == C && !self.client_setup.contains(&cmd) {
            self.client_setup.push(cmd.clone());
        }
        let cmd = cmd.with("ctx", self.ctx[side].clone());
        let r = self.peers[side].borrow_mut().call(&cmd);
        assert!(
            r.ok(),
            "{} setup {cmd}: {}",
            self.imps[side].letter(),
            r.show()
        );
        r
    }

    /// New client and server objects on the same contexts (the client
    /// resuming `session` if given); the inboxes are emptied.
    pub fn wrap(&mut self, session: Option<&str>) {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        self.obj = [
            format!("{}-c{n}", self.ctx[C]),
            format!("{}-s{n}", self.ctx[S]),
        ];
        self.inbox = [Vec::new(), Vec::new()];
        let mut c = cmd("wrap")
            .with("ctx", self.ctx[C].clone())
            .with("obj", self.obj[C].clone())
            .with("server_side", false)
            .with("server_hostname", self.hostname);
        if let Some(s) = session {
            c = c.with("session", s);
        }
        let r = self.peers[C].borrow_mut().call(&c);
        self.log.push(format!(
            "C wrap{}: {}",
            if session.is_some() {
                " with session"
            } else {
                ""
            },
            r.show()
        ));
        let c = cmd("wrap")
            .with("ctx", self.ctx[S].clone())
            .with("obj", self.obj[S].clone())
            .with("server_side", true);
        let r = self.peers[S].borrow_mut().call(&c);
        self.log.push(format!("S wrap: {}", r.show()));
    }

    /// Runs a command on one side's object; its output goes to the other
    /// side's inbox. Not logged.
    pub fn raw(&mut self, side: usize, cmd: Json) -> Reply {
        let cmd = cmd.with("obj", self.obj[side].clone());
        let r = self.peers[side].borrow_mut().call(&cmd);
        self.inbox[1 - side].extend_from_slice(&r.out);
        r
    }

    /// A context command on one side (ctx name filled in). Not logged.
    pub fn ctx_raw(&mut self, side: usize, cmd: Json) -> Reply {
        let cmd = cmd.with("ctx", self.ctx[side].clone());
        self.peers[side].borrow_mut().call(&cmd)
    }

    /// Runs and logs a command; the log says whether output was produced.
    pub fn op(&mut self, side: usize, cmd: Json) -> Reply {
        let d = describe(&cmd);
        let r = self.raw(side, cmd);
        let out = if r.out.is_empty() {
            "no output"
        } else {
            "output"
        };
        self.log
            .push(format!("{} {d}: {} [{out}]", SIDE[side], r.show()));
        r
    }

    /// Like [`Conn::op`], logging the exact number of bytes produced.
    pub fn op_len(&mut self, side: usize, cmd: Json) -> Reply {
        let d = describe(&cmd);
        let r = self.raw(side, cmd);
        self.log.push(format!(
            "{} {d}: {} [{} bytes out]",
            SIDE[side],
            r.show(),
            r.out.len()
        ));
        r
    }

    /// A context command, logged.
    pub fn ctx_op(&mut self, side: usize, cmd: Json) -> Reply {
        let d = describe(&cmd);
        let r = self.ctx_raw(side, cmd);
        self.log
            .push(format!("{} ctx {d}: {}", SIDE[side], r.show()));
        r
    }

    pub fn note(&mut self, s: impl Into<String>) {
        self.log.push(s.into());
    }

    pub fn inbox_len(&self, side: usize) -> usize {
        self.inbox[side].len()
    }

    /// Feeds `data` into a side's incoming BIO, logged as `what`.
    pub fn feed(&mut self, side: usize, data: &[u8], what: &str) -> Reply {
        let r = self.raw(side, cmd("feed").with("data", hex(data)));
        let shown = if r.ok() && r.result.int() == Some(data.len() as i64) {
            "ok".to_owned()
        } else {
            r.show()
        };
        self.log
            .push(format!("{} feed {what}: {shown}", SIDE[side]));
        r
    }

    /// Delivers everything in flight to `side`.
    pub fn deliver(&mut self, side: usize) -> Reply {
        let data = std::mem::take(&mut self.inbox[side]);
        let what = if data.is_empty() { "nothing" } else { "all" };
        self.feed(side, &data, what)
    }

    /// Drops what is in flight to `side`.
    pub fn discard(&mut self, side: usize) {
        let n = std::mem::take(&mut self.inbox[side]).len();
        let what = if n == 0 { "nothing" } else { "everything" };
        self.log
            .push(format!("{} in flight: {what} dropped", SIDE[side]));
    }

    /// Delivers the first `n` bytes in flight to `side`.
    pub fn deliver_first(&mut self, side: usize, n: usize) -> Reply {
        let data: Vec<u8> = self.inbox[side].drain(..n).collect();
        self.feed(side, &data, &format!("first {n}"))
    }

    /// Delivers all but the last `n` bytes in flight to `side`.
    pub fn deliver_all_but(&mut self, side: usize, n: usize) -> Reply {
        let keep = self.inbox[side].len() - n;
        let data: Vec<u8> = self.inbox[side].drain(..keep).collect();
        self.feed(side, &data, &format!("all but {n}"))
    }

    /// Pumps the handshake to its end: the client starts, each side gets
    /// what the other sent and calls do_handshake, until both are done or
    /// one fails with something other than SSLWantReadError.
    pub fn handshake(&mut self) -> bool {
        let mut done = [false, false];
        let mut side = C;
        for _ in 0..12 {
            if !done[side] {
                if !self.inbox[side].is_empty() {
                    self.deliver(side);
                }
                let r = self.op(side, cmd("handshake"));
                match r.exc_class() {
                    None => done[side] = true,
                    Some("SSLWantReadError") => {}
                    Some(_) => return false,
                }
            }
            if done[C] && done[S] {
                return true;
            }
            side = 1 - side;
        }
        panic!("handshake did not finish:\n{}", self.log.join("\n"));
    }

    /// Delivers what is in flight to `side` and reads until
    /// SSLWantReadError or another exception or b''; logs a summary.
    pub fn read_all(&mut self, side: usize, n: i64) -> (Vec<u8>, Reply) {
        if !self.inbox[side].is_empty() {
            self.deliver(side);
        }
        let mut data = Vec::new();
        let mut reads = 0;
        let last = loop {
            let r = self.raw(side, cmd("read").with("n", n));
            match r.result.bytes() {
                Some(b) if r.ok() && !b.is_empty() => {
                    reads += 1;
                    data.extend_from_slice(&b);
                }
                _ => break r,
            }
        };
        self.log.push(format!(
            "{} read-all n={n}: {reads} reads, {} bytes fnv={:016x}, then {} [{}]",
            SIDE[side],
            data.len(),
            fnv(&data),
            last.show(),
            if last.out.is_empty() {
                "no output"
            } else {
                "output"
            }
        ));
        (data, last)
    }
}

// ---------------------------------------------------------------- comparing

/// Compares a transcript with the reference one; a readable report of the
/// first differences, or None when equal.
pub fn diff(
    ref_label: &str,
    reference: &[String],
    label: &str,
    other: &[String],
) -> Option<String> {
    if reference == other {
        return None;
    }
    let mut s = String::new();
    let n = reference.len().max(other.len());
    let mut shown = 0;
    for i in 0..n {
        let a = reference.get(i).map(String::as_str).unwrap_or("<missing>");
        let b = other.get(i).map(String::as_str).unwrap_or("<missing>");
        if a != b {
            let (a, b) = excerpt(a, b);
            writeln!(
                s,
                "  step {i}:\n    {ref_label:>16}: {a}\n    {label:>16}: {b}"
            )
            .unwrap();
            shown += 1;
            if shown == 40 {
                writeln!(s, "  ...").unwrap();
                break;
            }
        }
    }
    writeln!(s, "  full {ref_label} transcript:").unwrap();
    for l in reference {
        writeln!(s, "    {l}").unwrap();
    }
    Some(s)
}

/// Two long differing lines cut down to where they differ.
pub fn excerpt(a: &str, b: &str) -> (String, String) {
    const KEEP: usize = 400;
    if a.len() <= KEEP && b.len() <= KEEP {
        return (a.to_owned(), b.to_owned());
    }
    let first = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map(|((i, _), _)| i)
        .unwrap_or(a.len().min(b.len()));
    let cut = |t: &str| {
        let mut start = first.saturating_sub(120).min(t.len());
        while !t.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (first + 280).min(t.len());
        while !t.is_char_boundary(end) {
            end += 1;
        }
        let head = match t.split_once(": ") {
            Some((h, _)) if start > h.len() => format!("{h}: ..."),
            _ => String::new(),
        };
        format!(
            "{head}{}{}",
            &t[start..end],
            if end < t.len() { "..." } else { "" }
        )
    };
    (cut(a), cut(b))
}

/// Collects mismatches of one test and fails at the end with all of them.
#[derive(Default)]
pub struct Failures(pub Vec<String>);

impl Failures {
    pub fn add(&mut self, what: String) {
        eprintln!("MISMATCH {}", what.lines().next().unwrap_or(""));
        self.0.push(what);
    }

    pub fn check_eq(&mut self, what: &str, py: &Json, pyssl: &Json) {
        if py != pyssl {
            self.add(format!("{what}:\n  Python: {py}\n  pyssl:  {pyssl}"));
        }
    }

    pub fn finish(self, test: &str) {
        assert!(
            self.0.is_empty(),
            "{test}: {} mismatch(es) between pyssl and CPython:\n\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

/// The pairings compared with CPython/CPython: (client, server).
pub const PAIRS: [(Impl, Impl); 5] = [
    (Impl::Rust, Impl::Py),
    (Impl::Py, Impl::Rust),
    (Impl::Rust, Impl::Rust),
    (Impl::Capi, Impl::Py),
    (Impl::Py, Impl::Capi),
];

/// Runs `scenario` in every mode and configuration: CPython against itself
/// twice (the reference, which must be deterministic), then every pairing of
/// [`PAIRS`]; each transcript that differs from the reference is a failure.
pub fn run_scenarios<N: std::fmt::Display>(
    name: &str,
    certs: &CertPaths,
    cfgs: &[(N, Cfg)],
    scenario: fn(&mut Conn),
) {
    let mut failures = Failures::default();
    for mode in Mode::ALL {
        let Some(lab) = Lab::new(mode) else {
            continue;
        };
        for (cfg_name, cfg) in cfgs {
            let transcript = |c: Impl, s: Impl| {
                let mut conn = Conn::new(&lab, certs, c, s, cfg);
                scenario(&mut conn);
                conn.log
            };
            let reference = transcript(Impl::Py, Impl::Py);
            if std::env::var_os("SSLOBJECT_DIFF_SHOW").is_some() {
                eprintln!(
                    "\n== {name} [{cfg_name}], {}:\n  {}",
                    mode.name(),
                    reference.join("\n  ")
                );
            }
            // The scenario must be deterministic for the comparison to mean
            // anything: CPython against itself twice.
            let again = transcript(Impl::Py, Impl::Py);
            if let Some(d) = diff("Py/Py", &reference, "Py/Py again", &again) {
                panic!(
                    "{name} [{cfg_name}] is not deterministic under {}:\n{d}",
                    lab.oracle_version()
                );
            }
            for (c, s) in PAIRS {
                let log = transcript(c, s);
                let label = format!("{}/{}", c.letter(), s.letter());
                if let Some(d) = diff("Py/Py", &reference, &label, &log) {
                    failures.add(format!(
                        "scenario {name} [{cfg_name}], {} ({}), client {} / server {}:\n{d}",
                        mode.name(),
                        lab.oracle_version(),
                        c.letter(),
                        s.letter()
                    ));
                }
            }
        }
    }
    failures.finish(name);
}
