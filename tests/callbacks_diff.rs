//! SNI callbacks, PSK callbacks and `get_verified_chain()` /
//! `get_unverified_chain()` against CPython, differentially.
//!
//! Each scenario configures a client and a server context (certificates,
//! versions, ciphers, callbacks), wraps an object on each over memory BIOs
//! and pumps the handshake, writing down what every call returned: the
//! callback setters, the arguments each callback got, every
//! `do_handshake()` (exception class, `str()` without its location, errno,
//! library, reason, verify code), `version()`/`cipher()` and
//! `getpeercert()` of both ends, and in the default mode both chains of
//! both ends before and after the handshake (every certificate's DER, PEM
//! and `get_info()` repr). The scenario runs CPython against CPython (the
//! reference; clients live in one oracle process, servers in another),
//! pyssl's C API as the client, as the server, and at both ends: every
//! transcript must equal the reference.
//!
//! The callbacks behave alike in both worlds: an SNI callback records the
//! name and returns 0 / None, switches the context
//! (`pyssl_socket_set_context` / `sslobj.context = other`), returns an
//! alert number, or returns -1 where the Python one raises; a PSK callback
//! records the hint or identity and gives its key, or returns -1 where the
//! Python one raises.
//!
//! Modes: pyssl's default against pyenv's CPython 3.13.0 (everything), and
//! `PYSSL_COMPAT_3_11` against Debian's /usr/bin/python3.11 (SNI only: PSK
//! callbacks and the chain getters are new in 3.13). A missing interpreter
//! skips its mode with a NOTICE. The CPython side is
//! `tests/oracle/callbacks_oracle.py`.
#![allow(clippy::result_large_err)]

mod sslobject_common;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};

use pyssl::capi::*;
use sslobject_common::{
    capi_exc, cmd, diff, hex, strip_location, unhex, Exc, Failures, Json, Mode,
};

const CLIENT: i64 = 16;
const SERVER: i64 = 17;
const CERT_NONE: i64 = 0;
const CERT_OPTIONAL: i64 = 1;
const CERT_REQUIRED: i64 = 2;
const TLS1_2: i64 = 0x303;
const TLS1_3: i64 = 0x304;
const C: usize = 0;
const S: usize = 1;
const SIDE: [&str; 2] = ["C", "S"];
const KEY: &[u8] = b"0123456789abcdef";
const OTHER_KEY: &[u8] = b"fedcba9876543210";

// ---------------------------------------------------------------- certificates

struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl CLI");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A root CA, an intermediate CA signed by it, and three leaves signed by
/// the intermediate: `server` (localhost, 127.0.0.1, ::1), `switched` (the
/// same names, another subject) and `client`. `NAME-chain.pem` holds a
/// leaf followed by the intermediate, `NAME.key` its key.
fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pyssl-callbacks-diff-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write(
            "ca.ext",
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n",
        );
        write(
            "server.ext",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n\
             subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        );
        write(
            "client.ext",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        );
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let mut a = vec!["req", "-x509"];
        a.extend(ec);
        a.extend([
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-days",
            "30",
            "-subj",
            "/O=pyssl callbacks/CN=callbacks root CA",
        ]);
        openssl(&dir, &a);
        for (name, subj, issuer, ext, serial) in [
            (
                "inter",
                "/O=pyssl callbacks/CN=callbacks intermediate CA",
                "root",
                "ca.ext",
                "4097",
            ),
            (
                "server",
                "/O=pyssl callbacks/CN=localhost",
                "inter",
                "server.ext",
                "4098",
            ),
            (
                "switched",
                "/O=pyssl callbacks/OU=switched/CN=localhost",
                "inter",
                "server.ext",
                "4099",
            ),
            (
                "client",
                "/O=pyssl callbacks/CN=callbacks client",
                "inter",
                "client.ext",
                "4100",
            ),
        ] {
            let (key, csr, pem) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            let mut a = vec!["req"];
            a.extend(ec);
            a.extend(["-keyout", &key, "-out", &csr, "-subj", subj]);
            openssl(&dir, &a);
            let (ca, ca_key) = (format!("{issuer}.pem"), format!("{issuer}.key"));
            openssl(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &ca,
                    "-CAkey",
                    &ca_key,
                    "-set_serial",
                    serial,
                    "-days",
                    "30",
                    "-extfile",
                    ext,
                    "-out",
                    &pem,
                ],
            );
        }
        for name in ["server", "switched", "client"] {
            let mut chain = std::fs::read(dir.join(format!("{name}.pem"))).unwrap();
            chain.extend(std::fs::read(dir.join("inter.pem")).unwrap());
            std::fs::write(dir.join(format!("{name}-chain.pem")), chain).unwrap();
        }
        Certs { dir }
    })
}

// ---------------------------------------------------------------- the oracle

const ORACLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/oracle/callbacks_oracle.py"
);

/// `tests/oracle/callbacks_oracle.py` in a child process.
struct Oracle {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    version: String,
}

/// An exception as the oracle reports it, location stripped.
fn py_exc(v: &Json) -> Exc {
    let a = v.arr().expect("exception array");
    let s = |i: usize| a.get(i).and_then(Json::str).map(str::to_owned);
    Exc {
        class: s(0).expect("exception class"),
        msg: strip_location(&s(1).unwrap_or_default()),
        errno: a.get(2).and_then(Json::int),
        library: s(3),
        reason: s(4),
        verify: a.get(5).and_then(Json::int).map(|code| (code, s(6))),
    }
}

impl Oracle {
    fn spawn(python: &Path) -> Oracle {
        let mut child = Command::new(python)
            .arg("-I")
            .arg(ORACLE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut o = Oracle {
            child,
            stdin,
            stdout,
            version: String::new(),
        };
        let hello = o.ok(&cmd("hello"));
        o.version = format!(
            "{} / {}",
            hello.get("version").and_then(Json::str).unwrap_or("?"),
            hello.get("openssl").and_then(Json::str).unwrap_or("?")
        );
        o
    }

    /// The bytes drained from the object's outgoing BIO, and the result or
    /// the exception.
    fn call(&mut self, c: &Json) -> (Vec<u8>, Result<Json, Exc>) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{}", c.dump()).expect("write to the oracle");
        stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("read from the oracle");
        assert!(!line.is_empty(), "the Python oracle died on {c}");
        let v = Json::parse(&line).unwrap_or_else(|e| panic!("bad oracle reply {line:?}: {e}"));
        let out = unhex(v.get("out").and_then(Json::str).unwrap_or(""));
        let r = match v.get("exc") {
            None | Some(Json::Null) => Ok(v.get("result").cloned().unwrap_or(Json::Null)),
            Some(e) => Err(py_exc(e)),
        };
        (out, r)
    }

    /// A command that must succeed.
    fn ok(&mut self, c: &Json) -> Json {
        self.call(c)
            .1
            .unwrap_or_else(|e| panic!("oracle {c}: raises {e}"))
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- scenarios

/// What a PSK callback answers.
#[derive(Clone, Debug)]
enum Answer {
    /// The key (Python returns it, pyssl copies it and returns its length).
    Key(Vec<u8>),
    /// Python raises, pyssl returns -1.
    Refuse,
    /// The callback is removed (None / NULL).
    Remove,
}

/// What an SNI callback does after recording the name.
#[derive(Clone, Debug)]
enum Sni {
    /// Returns None / 0.
    Record,
    /// Switches the connection to a context made from this spec.
    Switch(Box<CtxSpec>),
    /// Returns this alert number.
    Alert(i32),
    /// Python raises, pyssl returns -1.
    Refuse,
    /// `sni_callback = None`.
    Remove,
}

/// A callback setter, applied to a context in order; its outcome is part
/// of the transcript.
#[derive(Clone, Debug)]
enum Hook {
    Sni(Sni),
    PskClient {
        identity: Option<String>,
        answer: Answer,
    },
    PskServer {
        hint: Option<String>,
        answer: Answer,
    },
}

fn describe(h: &Hook) -> String {
    let answer = |a: &Answer| match a {
        Answer::Key(k) => format!("key {:?}", String::from_utf8_lossy(k)),
        Answer::Refuse => "refuses".to_owned(),
        Answer::Remove => "None".to_owned(),
    };
    let opt = |s: &Option<String>| Json::from(s.clone()).dump();
    match h {
        Hook::Sni(Sni::Remove) => "sni_callback = None".to_owned(),
        Hook::Sni(s) => format!(
            "sni_callback = <{}>",
            match s {
                Sni::Record => "returns None".to_owned(),
                Sni::Switch(_) => "switches the context".to_owned(),
                Sni::Alert(n) => format!("returns {n}"),
                Sni::Refuse => "fails".to_owned(),
                Sni::Remove => unreachable!(),
            }
        ),
        Hook::PskClient {
            answer: Answer::Remove,
            ..
        } => "set_psk_client_callback(None)".to_owned(),
        Hook::PskClient {
            identity,
            answer: a,
        } => format!(
            "set_psk_client_callback(<identity {}, {}>)",
            opt(identity),
            answer(a)
        ),
        Hook::PskServer { hint, answer: a } => {
            let cb = match a {
                Answer::Remove => "None".to_owned(),
                a => format!("<{}>", answer(a)),
            };
            format!("set_psk_server_callback({cb}, identity_hint={})", opt(hint))
        }
    }
}

/// A context: `SSLContext(protocol)` and its settings (which must succeed),
/// then its hooks (whose outcomes are compared).
#[derive(Clone, Debug)]
struct CtxSpec {
    protocol: i64,
    /// `NAME-chain.pem` + `NAME.key` for `load_cert_chain`.
    cert: Option<&'static str>,
    cafile: Option<&'static str>,
    check_hostname: Option<bool>,
    verify_mode: Option<i64>,
    min_version: Option<i64>,
    max_version: Option<i64>,
    ciphers: Option<&'static str>,
    hooks: Vec<Hook>,
}

impl CtxSpec {
    /// A client trusting only the root CA.
    fn client() -> CtxSpec {
        CtxSpec {
            protocol: CLIENT,
            cert: None,
            cafile: Some("root.pem"),
            check_hostname: None,
            verify_mode: None,
            min_version: None,
            max_version: None,
            ciphers: None,
            hooks: Vec::new(),
        }
    }

    /// A server presenting `server` + the intermediate.
    fn server() -> CtxSpec {
        CtxSpec {
            protocol: SERVER,
            cert: Some("server"),
            cafile: None,
            ..CtxSpec::client()
        }
    }

    fn hook(mut self, h: Hook) -> CtxSpec {
        self.hooks.push(h);
        self
    }

    fn max(mut self, v: i64) -> CtxSpec {
        self.max_version = Some(v);
        self
    }
}

struct Scenario {
    name: String,
    client: CtxSpec,
    server: CtxSpec,
    hostname: Option<&'static str>,
    /// Must appear in CPython's own transcript: the scenario tests what it
    /// says it tests.
    expect: Vec<String>,
}

// ---------------------------------------------------------------- pyssl callbacks

fn event(kind: &str, arg: *const c_char) -> String {
    let v = if arg.is_null() {
        Json::Null
    } else {
        // SAFETY: pyssl passes NULL or a NUL-terminated string.
        Json::Str(
            unsafe { CStr::from_ptr(arg) }
                .to_string_lossy()
                .into_owned(),
        )
    };
    format!("{kind}({v})")
}

type Events = Arc<Mutex<Vec<String>>>;

enum SniMode {
    Record,
    Switch(*mut pyssl_context),
    Alert(c_int),
    Refuse,
}

struct SniState {
    mode: SniMode,
    events: Events,
}

extern "C" fn sni_cb(sock: *mut pyssl_socket, name: *const c_char, ud: *mut c_void) -> c_int {
    // SAFETY: ud is the SniState registered with the callback, kept alive
    // by the side that owns the context.
    let st = unsafe { &*(ud as *const SniState) };
    st.events.lock().unwrap().push(event("sni", name));
    match st.mode {
        SniMode::Record => 0,
        SniMode::Switch(target) => {
            if pyssl_socket_set_context(sock, target) != 0 {
                let e = capi_exc();
                st.events
                    .lock()
                    .unwrap()
                    .push(format!("pyssl_socket_set_context raised {e}"));
                return -1;
            }
            0
        }
        SniMode::Alert(n) => n,
        SniMode::Refuse => -1,
    }
}

struct PskState {
    /// The identity with its NUL ("" for None, as pyssl documents).
    identity: CString,
    answer: Answer,
    events: Events,
}

extern "C" fn psk_client_cb(
    hint: *const c_char,
    identity: *mut c_char,
    max_identity_len: usize,
    psk: *mut u8,
    max_psk_len: usize,
    ud: *mut c_void,
) -> isize {
    // SAFETY: ud is the PskState registered with the callback.
    let st = unsafe { &*(ud as *const PskState) };
    st.events.lock().unwrap().push(event("psk_client", hint));
    let Answer::Key(key) = &st.answer else {
        return -1;
    };
    let id = st.identity.as_bytes_with_nul();
    if id.len() > max_identity_len || key.len() > max_psk_len {
        return -1;
    }
    // SAFETY: buffers of the sizes pyssl passes, checked above.
    unsafe {
        std::ptr::copy_nonoverlapping(id.as_ptr(), identity.cast::<u8>(), id.len());
        std::ptr::copy_nonoverlapping(key.as_ptr(), psk, key.len());
    }
    key.len() as isize
}

extern "C" fn psk_server_cb(
    identity: *const c_char,
    psk: *mut u8,
    max_psk_len: usize,
    ud: *mut c_void,
) -> isize {
    // SAFETY: ud is the PskState registered with the callback.
    let st = unsafe { &*(ud as *const PskState) };
    st.events
        .lock()
        .unwrap()
        .push(event("psk_server", identity));
    let Answer::Key(key) = &st.answer else {
        return -1;
    };
    if key.len() > max_psk_len {
        return -1;
    }
    // SAFETY: a buffer of max_psk_len bytes.
    unsafe { std::ptr::copy_nonoverlapping(key.as_ptr(), psk, key.len()) };
    key.len() as isize
}

// ---------------------------------------------------------------- the two ends

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Imp {
    Py,
    Pyssl,
}

/// Everything of one end that must outlive its connection.
enum Backend {
    Py {
        oracle: Rc<RefCell<Oracle>>,
        obj: String,
    },
    Pyssl {
        sock: *mut pyssl_socket,
        incoming: *mut pyssl_memory_bio,
        outgoing: *mut pyssl_memory_bio,
        ctxs: Vec<*mut pyssl_context>,
        /// Callback states, dropped after the contexts and the socket.
        _states: Vec<Box<dyn Any>>,
    },
}

/// One certificate of a chain.
struct CertOut {
    der: Vec<u8>,
    pem: String,
    info: String,
}

type Chain = Result<Option<Vec<Option<CertOut>>>, Exc>;

struct End {
    b: Backend,
    /// TLS bytes this end produced and the driver has not taken yet.
    out: Vec<u8>,
    events: Events,
    wrapped: bool,
}

impl Drop for End {
    fn drop(&mut self) {
        if let Backend::Pyssl {
            sock,
            incoming,
            outgoing,
            ctxs,
            ..
        } = &self.b
        {
            pyssl_socket_free(*sock);
            pyssl_memory_bio_free(*incoming);
            pyssl_memory_bio_free(*outgoing);
            for c in ctxs {
                pyssl_context_free(*c);
            }
        }
    }
}

/// Keeps a callback state alive with its end; its address is the userdata.
fn keep<T: Any>(states: &mut Vec<Box<dyn Any>>, state: T) -> *mut c_void {
    let b = Box::new(state);
    let p = &*b as *const T as *mut c_void;
    states.push(b);
    p
}

fn c_ok(rc: c_int, what: &str) {
    assert_eq!(rc, 0, "pyssl setup {what}: {}", capi_exc());
}

fn cstring(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn shown<T>(r: &Result<T, Exc>) -> String {
    match r {
        Ok(_) => "ok".to_owned(),
        Err(e) => format!("raises {e}"),
    }
}

struct Lab {
    mode: Mode,
    compat: c_int,
    /// Client-side and server-side CPython processes.
    py: [Rc<RefCell<Oracle>>; 2],
    /// Whether the interpreter has the 3.13 chain getters.
    chains: bool,
    counter: Cell<u32>,
}

impl Lab {
    fn new(mode: Mode) -> Option<Lab> {
        let exe = mode.oracle()?;
        let py = [
            Rc::new(RefCell::new(Oracle::spawn(&exe))),
            Rc::new(RefCell::new(Oracle::spawn(&exe))),
        ];
        eprintln!(
            "{}: oracle {} ({})",
            mode.name(),
            exe.display(),
            py[0].borrow().version
        );
        Some(Lab {
            mode,
            compat: mode.code(),
            py,
            chains: mode == Mode::Default,
            counter: Cell::new(0),
        })
    }

    fn fresh(&self, prefix: &str) -> String {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        format!("{prefix}{n}")
    }

    /// A CPython context in the oracle of `side`; hook outcomes are logged.
    fn py_ctx(&self, side: usize, spec: &CtxSpec, log: &mut Vec<String>) -> String {
        let name = self.fresh("ctx");
        let mut o = self.py[side].borrow_mut();
        let c = certs();
        let with = |c: Json| c.with("ctx", name.clone());
        o.ok(&with(cmd("ctx_new").with("protocol", spec.protocol)));
        if let Some(b) = spec.check_hostname {
            o.ok(&with(
                cmd("ctx_set")
                    .with("attr", "check_hostname")
                    .with("value", b),
            ));
        }
        let sets = [
            ("verify_mode", spec.verify_mode),
            ("minimum_version", spec.min_version),
            ("maximum_version", spec.max_version),
        ];
        for (attr, v) in sets {
            if let Some(v) = v {
                o.ok(&with(cmd("ctx_set").with("attr", attr).with("value", v)));
            }
        }
        if let Some(s) = spec.ciphers {
            o.ok(&with(
                cmd("ctx_call")
                    .with("method", "set_ciphers")
                    .with("args", vec![s]),
            ));
        }
        if let Some(n) = spec.cert {
            let args = vec![
                c.path(&format!("{n}-chain.pem")),
                c.path(&format!("{n}.key")),
            ];
            o.ok(&with(
                cmd("ctx_call")
                    .with("method", "load_cert_chain")
                    .with("args", args),
            ));
        }
        if let Some(f) = spec.cafile {
            o.ok(&with(
                cmd("ctx_call")
                    .with("method", "load_verify_locations")
                    .with("args", vec![c.path(f)]),
            ));
        }
        drop(o);
        for h in &spec.hooks {
            let mode = |a: &Answer| match a {
                Answer::Key(_) => "key",
                Answer::Refuse => "raise",
                Answer::Remove => "remove",
            };
            let key = |a: &Answer| match a {
                Answer::Key(k) => hex(k),
                _ => String::new(),
            };
            let c = match h {
                Hook::Sni(s) => {
                    let c = cmd("sni");
                    match s {
                        Sni::Record => c.with("mode", "record"),
                        Sni::Switch(t) => {
                            let target = self.py_ctx(side, t, log);
                            c.with("mode", "switch").with("target", target)
                        }
                        Sni::Alert(n) => c.with("mode", "alert").with("alert", *n),
                        Sni::Refuse => c.with("mode", "raise"),
                        Sni::Remove => c.with("mode", "remove"),
                    }
                }
                Hook::PskClient { identity, answer } => cmd("psk_client")
                    .with("mode", mode(answer))
                    .with("identity", identity.clone())
                    .with("key", key(answer)),
                Hook::PskServer { hint, answer } => cmd("psk_server")
                    .with("mode", mode(answer))
                    .with("hint", hint.clone())
                    .with("key", key(answer)),
            };
            let (_, r) = self.py[side].borrow_mut().call(&with(c));
            log.push(format!("{} {}: {}", SIDE[side], describe(h), shown(&r)));
        }
        name
    }

    /// A pyssl context; hook outcomes are logged.
    #[allow(clippy::too_many_arguments)]
    fn c_ctx(
        &self,
        side: usize,
        spec: &CtxSpec,
        events: &Events,
        ctxs: &mut Vec<*mut pyssl_context>,
        states: &mut Vec<Box<dyn Any>>,
        log: &mut Vec<String>,
    ) -> *mut pyssl_context {
        let ctx = pyssl_context_new_compat(spec.protocol as c_int, self.compat);
        assert!(!ctx.is_null(), "pyssl_context_new_compat: {}", capi_exc());
        ctxs.push(ctx);
        let c = certs();
        if let Some(b) = spec.check_hostname {
            c_ok(
                pyssl_context_set_check_hostname(ctx, b as c_int),
                "check_hostname",
            );
        }
        if let Some(m) = spec.verify_mode {
            c_ok(
                pyssl_context_set_verify_mode(ctx, m as c_int),
                "verify_mode",
            );
        }
        if let Some(v) = spec.min_version {
            c_ok(
                pyssl_context_set_minimum_version(ctx, v as c_int),
                "minimum_version",
            );
        }
        if let Some(v) = spec.max_version {
            c_ok(
                pyssl_context_set_maximum_version(ctx, v as c_int),
                "maximum_version",
            );
        }
        if let Some(s) = spec.ciphers {
            c_ok(
                pyssl_context_set_ciphers(ctx, cstring(s).as_ptr()),
                "set_ciphers",
            );
        }
        if let Some(n) = spec.cert {
            let pem = cstring(&c.path(&format!("{n}-chain.pem")));
            let key = cstring(&c.path(&format!("{n}.key")));
            c_ok(
                pyssl_context_load_cert_chain(ctx, pem.as_ptr(), key.as_ptr(), std::ptr::null()),
                "load_cert_chain",
            );
        }
        if let Some(f) = spec.cafile {
            c_ok(
                pyssl_context_load_verify_locations(
                    ctx,
                    cstring(&c.path(f)).as_ptr(),
                    std::ptr::null(),
                ),
                "load_verify_locations",
            );
        }
        for h in &spec.hooks {
            let rc = match h {
                Hook::Sni(Sni::Remove) => {
                    pyssl_context_set_sni_callback(ctx, None, std::ptr::null_mut())
                }
                Hook::Sni(s) => {
                    let mode = match s {
                        Sni::Record => SniMode::Record,
                        Sni::Switch(t) => {
                            let target = self.c_ctx(side, t, events, ctxs, states, log);
                            SniMode::Switch(target)
                        }
                        Sni::Alert(n) => SniMode::Alert(*n),
                        Sni::Refuse => SniMode::Refuse,
                        Sni::Remove => unreachable!(),
                    };
                    let p = keep(
                        states,
                        SniState {
                            mode,
                            events: Arc::clone(events),
                        },
                    );
                    pyssl_context_set_sni_callback(ctx, Some(sni_cb), p)
                }
                Hook::PskClient {
                    answer: Answer::Remove,
                    ..
                } => pyssl_context_set_psk_client_callback(ctx, None, std::ptr::null_mut()),
                Hook::PskClient { identity, answer } => {
                    let p = keep(
                        states,
                        PskState {
                            identity: cstring(identity.as_deref().unwrap_or("")),
                            answer: answer.clone(),
                            events: Arc::clone(events),
                        },
                    );
                    pyssl_context_set_psk_client_callback(ctx, Some(psk_client_cb), p)
                }
                Hook::PskServer { hint, answer } => {
                    let hint = hint.as_deref().map(cstring);
                    let hint_p = hint.as_ref().map_or(std::ptr::null(), |h| h.as_ptr());
                    if let Answer::Remove = answer {
                        pyssl_context_set_psk_server_callback(
                            ctx,
                            None,
                            hint_p,
                            std::ptr::null_mut(),
                        )
                    } else {
                        let p = keep(
                            states,
                            PskState {
                                identity: cstring(""),
                                answer: answer.clone(),
                                events: Arc::clone(events),
                            },
                        );
                        pyssl_context_set_psk_server_callback(ctx, Some(psk_server_cb), hint_p, p)
                    }
                }
            };
            let r = if rc == 0 { Ok(()) } else { Err(capi_exc()) };
            log.push(format!("{} {}: {}", SIDE[side], describe(h), shown(&r)));
        }
        ctx
    }

    /// One end of a connection: its context and its object.
    fn end(
        &self,
        side: usize,
        imp: Imp,
        spec: &CtxSpec,
        hostname: Option<&str>,
        log: &mut Vec<String>,
    ) -> End {
        let events: Events = Arc::default();
        let server_side = side == S;
        let host = if server_side { None } else { hostname };
        match imp {
            Imp::Py => {
                let ctx = self.py_ctx(side, spec, log);
                let obj = self.fresh("obj");
                let (_, r) = self.py[side].borrow_mut().call(
                    &cmd("wrap")
                        .with("ctx", ctx)
                        .with("obj", obj.clone())
                        .with("server_side", server_side)
                        .with("server_hostname", host),
                );
                log.push(format!("{} wrap: {}", SIDE[side], shown(&r)));
                End {
                    b: Backend::Py {
                        oracle: Rc::clone(&self.py[side]),
                        obj,
                    },
                    out: Vec::new(),
                    events,
                    wrapped: r.is_ok(),
                }
            }
            Imp::Pyssl => {
                let mut ctxs = Vec::new();
                let mut states = Vec::new();
                let ctx = self.c_ctx(side, spec, &events, &mut ctxs, &mut states, log);
                let incoming = pyssl_memory_bio_new();
                let outgoing = pyssl_memory_bio_new();
                assert!(!incoming.is_null() && !outgoing.is_null());
                let host = host.map(cstring);
                let sock = pyssl_socket_new_bio(
                    ctx,
                    incoming,
                    outgoing,
                    server_side as c_int,
                    host.as_ref().map_or(std::ptr::null(), |h| h.as_ptr()),
                );
                let r = if sock.is_null() {
                    Err(capi_exc())
                } else {
                    Ok(())
                };
                log.push(format!("{} wrap: {}", SIDE[side], shown(&r)));
                End {
                    b: Backend::Pyssl {
                        sock,
                        incoming,
                        outgoing,
                        ctxs,
                        _states: states,
                    },
                    out: Vec::new(),
                    events,
                    wrapped: r.is_ok(),
                }
            }
        }
    }
}

impl End {
    /// A command on the CPython object; its TLS output is kept.
    fn py(&mut self, c: Json) -> Result<Json, Exc> {
        let Backend::Py { oracle, obj } = &self.b else {
            unreachable!()
        };
        let (out, r) = oracle.borrow_mut().call(&c.with("obj", obj.clone()));
        self.out.extend(out);
        r
    }

    fn drain(&mut self) {
        if let Backend::Pyssl { outgoing, .. } = self.b {
            let mut buf = vec![0u8; 65536];
            loop {
                let n = pyssl_memory_bio_read(outgoing, buf.as_mut_ptr().cast(), buf.len());
                assert!(n >= 0, "MemoryBIO.read: {}", capi_exc());
                if n == 0 {
                    break;
                }
                self.out.extend_from_slice(&buf[..n as usize]);
            }
        }
    }

    fn feed(&mut self, data: &[u8]) {
        match self.b {
            Backend::Py { .. } => {
                let r = self.py(cmd("feed").with("data", hex(data)));
                assert_eq!(r, Ok(Json::Int(data.len() as i64)), "feed");
            }
            Backend::Pyssl { incoming, .. } => {
                let n = pyssl_memory_bio_write(incoming, data.as_ptr().cast(), data.len());
                assert_eq!(n, data.len() as isize, "MemoryBIO.write: {}", capi_exc());
            }
        }
    }

    fn handshake(&mut self) -> Result<(), Exc> {
        let r = match self.b {
            Backend::Py { .. } => self.py(cmd("handshake")).map(|_| ()),
            Backend::Pyssl { sock, .. } => match pyssl_do_handshake(sock) {
                0 => Ok(()),
                _ => Err(capi_exc()),
            },
        };
        self.drain();
        r
    }

    fn peercert(&mut self) -> Result<String, Exc> {
        let r = match self.b {
            Backend::Py { .. } => self
                .py(cmd("peercert"))
                .map(|v| v.str().expect("repr").to_owned()),
            Backend::Pyssl { sock, .. } => {
                let mut v = std::ptr::null_mut();
                if pyssl_getpeercert(sock, 0, &mut v) < 0 {
                    Err(capi_exc())
                } else {
                    Ok(value_repr(v))
                }
            }
        };
        self.drain();
        r
    }

    /// `[version(), cipher()]`.
    fn info(&mut self) -> Result<Json, Exc> {
        let r = match self.b {
            Backend::Py { .. } => self.py(cmd("info")),
            Backend::Pyssl { sock, .. } => (|| {
                pyssl_error_clear();
                let v = pyssl_socket_version(sock);
                if v.is_null() && pyssl_error_status() < 0 {
                    return Err(capi_exc());
                }
                let version = opt_str(v);
                let (mut name, mut proto, mut bits) = (std::ptr::null(), std::ptr::null(), 0);
                let cipher = match pyssl_socket_cipher(sock, &mut name, &mut proto, &mut bits) {
                    1 => Json::Arr(vec![opt_str(name), opt_str(proto), bits.into()]),
                    0 => Json::Null,
                    _ => return Err(capi_exc()),
                };
                Ok(Json::Arr(vec![version, cipher]))
            })(),
        };
        self.drain();
        r
    }

    fn chain(&mut self, verified: bool) -> Chain {
        let r = match self.b {
            Backend::Py { .. } => self.py(cmd("chain").with("verified", verified)).map(|v| {
                v.arr().map(|certs| {
                    certs
                        .iter()
                        .map(|c| {
                            (c != &Json::Null).then(|| CertOut {
                                der: unhex(c.get("der").and_then(Json::str).unwrap()),
                                pem: c.get("pem").and_then(Json::str).unwrap().to_owned(),
                                info: c.get("info").and_then(Json::str).unwrap().to_owned(),
                            })
                        })
                        .collect()
                })
            }),
            Backend::Pyssl { sock, .. } => c_chain(sock, verified),
        };
        self.drain();
        r
    }

    fn events(&mut self) -> Vec<String> {
        match &self.b {
            Backend::Py { oracle, .. } => {
                let v = oracle.borrow_mut().ok(&cmd("events"));
                v.get("events")
                    .and_then(Json::arr)
                    .unwrap()
                    .iter()
                    .map(|e| {
                        let e = e.arr().unwrap();
                        format!("{}({})", e[0].str().unwrap(), e[1])
                    })
                    .collect()
            }
            Backend::Pyssl { .. } => std::mem::take(&mut *self.events.lock().unwrap()),
        }
    }
}

fn opt_str(p: *const c_char) -> Json {
    if p.is_null() {
        Json::Null
    } else {
        // SAFETY: a NUL-terminated string from pyssl.
        Json::Str(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    }
}

/// `repr()` of a value root ("None" for NULL); the root is freed.
fn value_repr(v: *mut pyssl_value) -> String {
    if v.is_null() {
        return "None".to_owned();
    }
    let p = pyssl_value_repr(v);
    assert!(!p.is_null(), "pyssl_value_repr: {}", capi_exc());
    // SAFETY: a NUL-terminated string from pyssl, freed right after.
    let s = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    pyssl_string_free(p);
    pyssl_value_free(v);
    s
}

fn c_chain(sock: *mut pyssl_socket, verified: bool) -> Chain {
    let mut list = std::ptr::null_mut();
    if pyssl_socket_get_chain(sock, verified as c_int, &mut list) < 0 {
        return Err(capi_exc());
    }
    if list.is_null() {
        return Ok(None);
    }
    let n = pyssl_cert_list_len(list);
    assert!(n >= 0, "pyssl_cert_list_len: {}", capi_exc());
    let mut certs = Vec::new();
    for i in 0..n as usize {
        pyssl_error_clear();
        let c = pyssl_cert_list_get(list, i);
        if c.is_null() {
            // NULL without an error is a None item (CPython's list holds None).
            assert_eq!(
                pyssl_error_status(),
                0,
                "pyssl_cert_list_get({i}): {}",
                capi_exc()
            );
            certs.push(None);
            continue;
        }
        let len = pyssl_certificate_der(c, std::ptr::null_mut(), 0);
        assert!(len > 0, "pyssl_certificate_der: {}", capi_exc());
        let mut der = vec![0u8; len as usize];
        assert_eq!(pyssl_certificate_der(c, der.as_mut_ptr(), der.len()), len);
        let p = pyssl_certificate_pem(c);
        assert!(!p.is_null(), "pyssl_certificate_pem: {}", capi_exc());
        // SAFETY: a NUL-terminated string from pyssl, freed right after.
        let pem = unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
        pyssl_string_free(p);
        let mut v = std::ptr::null_mut();
        assert_eq!(
            pyssl_certificate_get_info(c, &mut v),
            0,
            "pyssl_certificate_get_info: {}",
            capi_exc()
        );
        certs.push(Some(CertOut {
            der,
            pem,
            info: value_repr(v),
        }));
    }
    pyssl_cert_list_free(list);
    Ok(Some(certs))
}

// ---------------------------------------------------------------- running

fn log_chains(ends: &mut [End; 2], log: &mut Vec<String>, when: &str) {
    for side in [C, S] {
        for verified in [true, false] {
            let what = format!(
                "{} {} {when}",
                SIDE[side],
                if verified {
                    "get_verified_chain()"
                } else {
                    "get_unverified_chain()"
                }
            );
            match ends[side].chain(verified) {
                Err(e) => log.push(format!("{what}: raises {e}")),
                Ok(None) => log.push(format!("{what}: None")),
                Ok(Some(certs)) => {
                    log.push(format!("{what}: {} items", certs.len()));
                    for (i, c) in certs.iter().enumerate() {
                        match c {
                            None => log.push(format!("{what}[{i}]: None")),
                            Some(c) => {
                                log.push(format!("{what}[{i}] DER: {}", hex(&c.der)));
                                log.push(format!("{what}[{i}] PEM: {:?}", c.pem));
                                log.push(format!("{what}[{i}] get_info(): {}", c.info));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Pumps the handshake: the client starts; an end runs `do_handshake()`
/// again whenever bytes arrived for it, until both are done or failed and
/// nothing moves.
fn pump(ends: &mut [End; 2], log: &mut Vec<String>) {
    let mut finished = [false, false];
    let mut inbox: [Vec<u8>; 2] = Default::default();
    let mut first = true;
    for _ in 0..20 {
        let mut moved = false;
        for side in [C, S] {
            if finished[side] || (inbox[side].is_empty() && !(side == C && first)) {
                continue;
            }
            first = false;
            let data = std::mem::take(&mut inbox[side]);
            if !data.is_empty() {
                ends[side].feed(&data);
            }
            let r = ends[side].handshake();
            let out = std::mem::take(&mut ends[side].out);
            log.push(format!(
                "{} do_handshake(): {} [{}]",
                SIDE[side],
                shown(&r),
                if out.is_empty() {
                    "no output"
                } else {
                    "output"
                }
            ));
            inbox[1 - side].extend(out);
            moved = true;
            match r {
                Err(e) if e.class == "SSLWantReadError" => {}
                _ => finished[side] = true,
            }
        }
        if !moved {
            return;
        }
    }
    panic!("the handshake did not settle:\n{}", log.join("\n"));
}

fn label(imps: [Imp; 2]) -> String {
    let n = |i: Imp| match i {
        Imp::Py => "Py",
        Imp::Pyssl => "pyssl",
    };
    format!("{} client + {} server", n(imps[C]), n(imps[S]))
}

/// One scenario with the given implementations at each end: its transcript.
fn run(lab: &Lab, sc: &Scenario, imps: [Imp; 2]) -> Vec<String> {
    let mut log = Vec::new();
    {
        let client = lab.end(C, imps[C], &sc.client, sc.hostname, &mut log);
        let server = lab.end(S, imps[S], &sc.server, sc.hostname, &mut log);
        let mut ends = [client, server];
        if ends.iter().all(|e| e.wrapped) {
            if lab.chains {
                log_chains(&mut ends, &mut log, "before the handshake");
            }
            pump(&mut ends, &mut log);
            for side in [C, S] {
                log.push(format!(
                    "{} callbacks: [{}]",
                    SIDE[side],
                    ends[side].events().join(", ")
                ));
            }
            for side in [C, S] {
                let info = ends[side].info();
                log.push(format!(
                    "{} [version(), cipher()]: {}",
                    SIDE[side],
                    match &info {
                        Ok(v) => v.dump(),
                        Err(e) => format!("raises {e}"),
                    }
                ));
                let cert = ends[side].peercert();
                log.push(format!(
                    "{} getpeercert(): {}",
                    SIDE[side],
                    match &cert {
                        Ok(v) => v.clone(),
                        Err(e) => format!("raises {e}"),
                    }
                ));
            }
            if lab.chains {
                log_chains(&mut ends, &mut log, "after the handshake");
            }
        }
    }
    for o in &lab.py {
        o.borrow_mut().ok(&cmd("forget"));
    }
    log
}

/// Every scenario in every pairing, against CPython's own transcript.
///
/// `CALLBACKS_DIFF_ONLY=text` runs only the scenarios whose name contains
/// `text`; `CALLBACKS_DIFF_VERBOSE=1` prints every transcript.
fn compare(lab: &Lab, scenarios: &[Scenario], failures: &mut Failures) {
    let only = std::env::var("CALLBACKS_DIFF_ONLY").unwrap_or_default();
    let verbose = std::env::var_os("CALLBACKS_DIFF_VERBOSE").is_some();
    for sc in scenarios
        .iter()
        .filter(|sc| sc.name.contains(only.as_str()))
    {
        let reference = run(lab, sc, [Imp::Py, Imp::Py]);
        if verbose {
            eprintln!(
                "== {} / Py client + Py server:\n{}",
                sc.name,
                reference.join("\n")
            );
        }
        let joined = reference.join("\n");
        for e in &sc.expect {
            assert!(
                joined.contains(e.as_str()),
                "{} / {}: CPython's transcript lacks {e:?}; the scenario is wrong:\n{joined}",
                lab.mode.name(),
                sc.name
            );
        }
        for imps in [
            [Imp::Pyssl, Imp::Py],
            [Imp::Py, Imp::Pyssl],
            [Imp::Pyssl, Imp::Pyssl],
        ] {
            let t = run(lab, sc, imps);
            if verbose {
                eprintln!("== {} / {}:\n{}", sc.name, label(imps), t.join("\n"));
            }
            if let Some(d) = diff("Py client + Py server", &reference, &label(imps), &t) {
                failures.add(format!(
                    "{} / {} / {}:\n{d}",
                    lab.mode.name(),
                    sc.name,
                    label(imps)
                ));
            }
        }
    }
}

fn scenario(
    name: &str,
    client: CtxSpec,
    server: CtxSpec,
    hostname: Option<&'static str>,
    expect: &[&str],
) -> Scenario {
    Scenario {
        name: name.to_owned(),
        client,
        server,
        hostname,
        expect: expect.iter().map(|s| (*s).to_owned()).collect(),
    }
}

// ---------------------------------------------------------------- SNI

fn sni_scenarios() -> Vec<Scenario> {
    let server = |s: Sni| CtxSpec::server().hook(Hook::Sni(s));
    let client = CtxSpec::client;
    let switched = CtxSpec {
        cert: Some("switched"),
        ..CtxSpec::server()
    };
    let no_check = CtxSpec {
        check_hostname: Some(false),
        ..CtxSpec::client()
    };
    vec![
        scenario(
            "SNI: the callback gets the name",
            client(),
            server(Sni::Record),
            Some("localhost"),
            &[r#"S callbacks: [sni("localhost")]"#, "C do_handshake(): ok"],
        ),
        scenario(
            "SNI: the name keeps its case",
            client(),
            server(Sni::Record),
            Some("LocalHost"),
            &[r#"sni("LocalHost")"#],
        ),
        scenario(
            "SNI: IPv4 server_hostname sends no SNI",
            client(),
            server(Sni::Record),
            Some("127.0.0.1"),
            &["S callbacks: [sni(null)]", "C do_handshake(): ok"],
        ),
        scenario(
            "SNI: IPv6 server_hostname sends no SNI",
            client(),
            server(Sni::Record),
            Some("::1"),
            &["S callbacks: [sni(null)]", "C do_handshake(): ok"],
        ),
        scenario(
            "SNI: no server_hostname",
            no_check.clone(),
            server(Sni::Record),
            None,
            &["S callbacks: [sni(null)]", "C do_handshake(): ok"],
        ),
        scenario(
            "SNI: the callback switches the context",
            client(),
            server(Sni::Switch(Box::new(switched.clone()))),
            Some("localhost"),
            &["'switched'", "C do_handshake(): ok"],
        ),
        scenario(
            "SNI: switching without SNI",
            no_check,
            server(Sni::Switch(Box::new(switched))),
            None,
            &["'switched'", "S callbacks: [sni(null)]"],
        ),
        scenario(
            "SNI: the callback returns 112 (unrecognized_name)",
            client(),
            server(Sni::Alert(112)),
            Some("localhost"),
            &["UNRECOGNIZED_NAME"],
        ),
        scenario(
            "SNI: the callback returns 112, TLS 1.2",
            client(),
            server(Sni::Alert(112)).max(TLS1_2),
            Some("localhost"),
            &["UNRECOGNIZED_NAME"],
        ),
        scenario(
            "SNI: the callback returns 49 (access_denied)",
            client(),
            server(Sni::Alert(49)),
            Some("localhost"),
            &["ACCESS_DENIED"],
        ),
        scenario(
            "SNI: the callback returns 80 (internal_error) without SNI",
            client(),
            server(Sni::Alert(80)),
            Some("127.0.0.1"),
            &["INTERNAL_ERROR", "sni(null)"],
        ),
        scenario(
            "SNI: the callback fails (raises / returns -1)",
            client(),
            server(Sni::Refuse),
            Some("localhost"),
            &["HANDSHAKE_FAILURE"],
        ),
        scenario(
            "SNI: the callback fails, TLS 1.2",
            client(),
            server(Sni::Refuse).max(TLS1_2),
            Some("localhost"),
            &["HANDSHAKE_FAILURE"],
        ),
        scenario(
            "SNI: a removed callback is not called",
            client(),
            server(Sni::Alert(112)).hook(Hook::Sni(Sni::Remove)),
            Some("localhost"),
            &["S callbacks: []", "C do_handshake(): ok"],
        ),
        scenario(
            "SNI: a client context refuses the callback",
            client().hook(Hook::Sni(Sni::Record)),
            CtxSpec::server(),
            Some("localhost"),
            &["sni_callback cannot be set on TLS_CLIENT context"],
        ),
        scenario(
            "SNI: switched context, TLS 1.2",
            client().max(TLS1_2),
            server(Sni::Switch(Box::new(CtxSpec {
                cert: Some("switched"),
                ..CtxSpec::server()
            }))),
            Some("localhost"),
            &["'switched'", "TLSv1.2"],
        ),
    ]
}

#[test]
fn sni_callback_matches_cpython() {
    let mut failures = Failures::default();
    for mode in Mode::ALL {
        let Some(lab) = Lab::new(mode) else { continue };
        compare(&lab, &sni_scenarios(), &mut failures);
    }
    failures.finish("sni_callback_matches_cpython");
}

// ---------------------------------------------------------------- PSK

fn psk_client(tls13: bool) -> CtxSpec {
    let mut c = CtxSpec::client();
    c.cafile = None;
    c.check_hostname = Some(false);
    c.verify_mode = Some(CERT_NONE);
    c.ciphers = Some("PSK");
    if tls13 {
        c.min_version = Some(TLS1_3);
    } else {
        c.max_version = Some(TLS1_2);
    }
    c
}

fn psk_server(tls13: bool) -> CtxSpec {
    CtxSpec {
        protocol: SERVER,
        cert: None,
        ..psk_client(tls13)
    }
}

fn pc(identity: Option<&str>, answer: Answer) -> Hook {
    Hook::PskClient {
        identity: identity.map(str::to_owned),
        answer,
    }
}

fn ps(hint: Option<&str>, answer: Answer) -> Hook {
    Hook::PskServer {
        hint: hint.map(str::to_owned),
        answer,
    }
}

fn key() -> Answer {
    Answer::Key(KEY.to_vec())
}

fn psk_scenarios() -> Vec<Scenario> {
    let mut v = Vec::new();
    for tls13 in [false, true] {
        let t = if tls13 { "TLS 1.3" } else { "TLS 1.2" };
        let c = |h: Hook| psk_client(tls13).hook(h);
        let s = |h: Hook| psk_server(tls13).hook(h);
        let ok_version = if tls13 { "TLSv1.3" } else { "TLSv1.2" };
        let hint_seen = if tls13 {
            "psk_client(null)"
        } else {
            r#"psk_client("the hint")"#
        };
        v.push(scenario(
            &format!("PSK {t}: hint and identity, matching keys"),
            c(pc(Some("client-1"), key())),
            s(ps(Some("the hint"), key())),
            None,
            &[
                hint_seen,
                r#"psk_server("client-1")"#,
                ok_version,
                "S do_handshake(): ok",
            ],
        ));
        v.push(scenario(
            &format!("PSK {t}: mismatching keys"),
            c(pc(Some("client-1"), Answer::Key(OTHER_KEY.to_vec()))),
            s(ps(Some("the hint"), key())),
            None,
            &["S do_handshake(): raises"],
        ));
        v.push(scenario(
            &format!("PSK {t}: the client callback refuses"),
            c(pc(Some("client-1"), Answer::Refuse)),
            s(ps(Some("the hint"), key())),
            None,
            &["C do_handshake(): raises"],
        ));
        v.push(scenario(
            &format!("PSK {t}: the server callback refuses"),
            c(pc(Some("client-1"), key())),
            s(ps(Some("the hint"), Answer::Refuse)),
            None,
            &[r#"psk_server("client-1")"#, "S do_handshake(): raises"],
        ));
        v.push(scenario(
            &format!("PSK {t}: UTF-8 hint and identity"),
            c(pc(Some("客户身份"), key())),
            s(ps(Some("身份暗示"), key())),
            None,
            &[r#"psk_server("客户身份")"#, "S do_handshake(): ok"],
        ));
    }
    let c = |h: Hook| psk_client(false).hook(h);
    let s = |h: Hook| psk_server(false).hook(h);
    let long = |n: usize| "h".repeat(n);
    // OpenSSL's PSK_MAX_IDENTITY_LEN is 256; its identity buffer passed to
    // the client callback has room for 255 bytes and the NUL.
    let hint256 = long(256);
    let id255 = "i".repeat(255);
    v.extend([
        scenario(
            "PSK TLS 1.2: no identity hint",
            c(pc(Some("client-1"), key())),
            s(ps(None, key())),
            None,
            &["psk_client(null)", "S do_handshake(): ok"],
        ),
        scenario(
            "PSK TLS 1.2: an empty identity hint",
            c(pc(Some("client-1"), key())),
            s(ps(Some(""), key())),
            None,
            &["S do_handshake(): ok"],
        ),
        scenario(
            "PSK TLS 1.2: no client identity (None)",
            c(pc(None, key())),
            s(ps(Some("the hint"), key())),
            None,
            &["psk_server("],
        ),
        scenario(
            "PSK TLS 1.2: the server's key is empty",
            c(pc(Some("client-1"), key())),
            s(ps(Some("the hint"), Answer::Key(Vec::new()))),
            None,
            &["S do_handshake(): raises"],
        ),
        scenario(
            "PSK TLS 1.2: a 256-byte hint and a 255-byte identity",
            c(pc(Some(&id255), key())),
            s(ps(Some(&hint256), key())),
            None,
            &[
                &format!("psk_client(\"{hint256}\")"),
                &format!("psk_server(\"{id255}\")"),
                "S do_handshake(): ok",
            ],
        ),
        scenario(
            "PSK TLS 1.2: a 257-byte hint fails and keeps the callback and hint set before",
            c(pc(Some("client-1"), key())),
            s(ps(Some("first"), key())).hook(ps(Some(&long(257)), Answer::Refuse)),
            None,
            &[
                "ValueError",
                r#"psk_client("first")"#,
                "S do_handshake(): ok",
            ],
        ),
        scenario(
            "PSK TLS 1.2: the server callback removed",
            c(pc(Some("client-1"), key())),
            s(ps(Some("the hint"), key())).hook(ps(None, Answer::Remove)),
            None,
            &["S callbacks: []"],
        ),
        scenario(
            "PSK TLS 1.2: the client callback removed",
            c(pc(Some("client-1"), key())).hook(pc(None, Answer::Remove)),
            s(ps(Some("the hint"), key())),
            None,
            &["C callbacks: []"],
        ),
        scenario(
            "PSK TLS 1.2: callbacks on the wrong side are refused",
            c(ps(Some("the hint"), key()))
                .hook(ps(Some(&long(257)), key()))
                .hook(pc(Some("client-1"), key())),
            s(pc(Some("client-1"), key())).hook(ps(Some("the hint"), key())),
            None,
            &[
                "Cannot add PSK server callback",
                "Cannot add PSK client callback",
                "S do_handshake(): ok",
            ],
        ),
        scenario(
            "PSK TLS 1.3: no identity hint",
            psk_client(true).hook(pc(Some("client-1"), key())),
            psk_server(true).hook(ps(None, key())),
            None,
            &["psk_client(null)", "S do_handshake(): ok"],
        ),
        scenario(
            "PSK TLS 1.2: the server has a certificate too",
            c(pc(Some("client-1"), key())),
            CtxSpec {
                cert: Some("server"),
                ..s(ps(Some("the hint"), key()))
            },
            None,
            &["S do_handshake(): ok"],
        ),
    ]);
    v
}

#[test]
fn psk_callbacks_match_cpython() {
    let mut failures = Failures::default();
    if let Some(lab) = Lab::new(Mode::Default) {
        compare(&lab, &psk_scenarios(), &mut failures);
    }
    failures.finish("psk_callbacks_match_cpython");
}

// ---------------------------------------------------------------- chains

fn chain_scenarios() -> Vec<Scenario> {
    let with_client_cert = |mode: i64| CtxSpec {
        cafile: Some("root.pem"),
        verify_mode: Some(mode),
        ..CtxSpec::server()
    };
    let client_cert = CtxSpec {
        cert: Some("client"),
        ..CtxSpec::client()
    };
    let three = "get_verified_chain() after the handshake: 3 items";
    vec![
        scenario(
            "chains: server leaf + intermediate, no client certificate",
            CtxSpec::client(),
            CtxSpec::server(),
            Some("localhost"),
            &[
                &format!("C {three}"),
                "C get_unverified_chain() after the handshake: 2 items",
                "C get_verified_chain() before the handshake: None",
            ],
        ),
        scenario(
            "chains: with a client certificate",
            client_cert.clone(),
            with_client_cert(CERT_REQUIRED),
            Some("localhost"),
            &[&format!("C {three}"), &format!("S {three}")],
        ),
        scenario(
            "chains: with a client certificate, TLS 1.2",
            client_cert.clone().max(TLS1_2),
            with_client_cert(CERT_REQUIRED),
            Some("localhost"),
            &[&format!("S {three}"), "TLSv1.2"],
        ),
        scenario(
            "chains: CERT_OPTIONAL server, no client certificate",
            CtxSpec::client(),
            with_client_cert(CERT_OPTIONAL),
            Some("localhost"),
            &["S do_handshake(): ok"],
        ),
        scenario(
            "chains: unverifying client (CERT_NONE)",
            CtxSpec {
                check_hostname: Some(false),
                verify_mode: Some(CERT_NONE),
                cafile: None,
                ..CtxSpec::client()
            },
            CtxSpec::server(),
            Some("localhost"),
            &["C do_handshake(): ok"],
        ),
        scenario(
            "chains: the client trusts only the intermediate (verification fails)",
            CtxSpec {
                cafile: Some("inter.pem"),
                ..CtxSpec::client()
            },
            CtxSpec::server(),
            Some("localhost"),
            &["SSLCertVerificationError"],
        ),
        scenario(
            "chains: the server rejects the client's chain",
            CtxSpec {
                cert: Some("client"),
                ..CtxSpec::client()
            },
            CtxSpec {
                cafile: Some("inter.pem"),
                verify_mode: Some(CERT_REQUIRED),
                ..CtxSpec::server()
            },
            Some("localhost"),
            &["S do_handshake(): raises SSLCertVerificationError"],
        ),
    ]
}

#[test]
fn certificate_chains_match_cpython() {
    let mut failures = Failures::default();
    if let Some(lab) = Lab::new(Mode::Default) {
        compare(&lab, &chain_scenarios(), &mut failures);
    }
    failures.finish("certificate_chains_match_cpython");
}
