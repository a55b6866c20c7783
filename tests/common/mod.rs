//! Shared helpers for integration tests: throwaway certificates made with
//! the openssl CLI, and connected socket pairs.
#![allow(dead_code)]

use std::ffi::CString;
use std::os::fd::{IntoRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub struct Certs {
    pub dir: PathBuf,
}

impl Certs {
    pub fn path(&self, name: &str) -> CString {
        CString::new(self.dir.join(name).to_str().unwrap()).unwrap()
    }
}

/// Runs the openssl CLI in `dir`; panics when it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl CLI");
    assert!(
        out.status.success(),
        "openssl {:?}: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for localhost/127.0.0.1 signed by it, a client
/// certificate, and a self-signed certificate; made once per test binary.
pub fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("pyssl-test-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
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
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=pyssl test CA",
        ]);
        openssl(&dir, &a);
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
        )
        .unwrap();
        for (name, cn) in [("server", "localhost"), ("client", "pyssl client")] {
            let mut a = vec!["req"];
            a.extend(ec);
            let key = format!("{name}.key");
            let csr = format!("{name}.csr");
            let subj = format!("/CN={cn}");
            a.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
            openssl(&dir, &a);
            let pem = format!("{name}.pem");
            let mut s = vec![
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "30",
            ];
            if name == "server" {
                s.extend(["-extfile", "server.ext"]);
            }
            openssl(&dir, &s);
        }
        let mut a = vec!["req", "-x509"];
        a.extend(ec);
        a.extend([
            "-keyout",
            "self.key",
            "-out",
            "self.pem",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(&dir, &a);
        Certs { dir }
    })
}

/// A connected pair of stream sockets, as raw fds owned by the caller.
pub fn socketpair() -> (RawFd, RawFd) {
    let (a, b) = UnixStream::pair().unwrap();
    (a.into_raw_fd(), b.into_raw_fd())
}

pub fn close(fd: RawFd) {
    // SAFETY: test-owned fd.
    unsafe { libc::close(fd) };
}
