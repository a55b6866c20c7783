//! Certificate decoding (`_decode_certificate`) of arbitrary DER or PEM,
//! then `repr()` of the result: no crash, hang or leak for any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openssl_sys as ffi;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let len = body.len().min(i32::MAX as usize);
    // SAFETY: OpenSSL reads `len` bytes of `body`; every object made here is
    // freed here.
    unsafe {
        let x509 = if kind & 1 == 0 {
            let mut p = body.as_ptr();
            ffi::d2i_X509(std::ptr::null_mut(), &mut p, len as _)
        } else {
            let bio = ffi::BIO_new_mem_buf(body.as_ptr().cast(), len as _);
            let x = ffi::PEM_read_bio_X509(bio, std::ptr::null_mut(), None, std::ptr::null_mut());
            ffi::BIO_free_all(bio);
            x
        };
        ffi::ERR_clear_error();
        if x509.is_null() {
            return;
        }
        if let Ok(v) = pyssl::x509::decode::decode_certificate(x509, pyssl::compat::Compat::default()) {
            let _ = v.repr();
        }
        if let Ok(v) = pyssl::x509::decode::certificate_to_der(x509, pyssl::compat::Compat::default()) {
            let _ = v.repr();
        }
        ffi::X509_free(x509);
    }
});
