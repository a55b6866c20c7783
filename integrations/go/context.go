package pyssl

/*
#include <stdlib.h>
#include "pyssl.h"
*/
import "C"

import (
	"fmt"
	"runtime"
)

// Protocol is an ssl.PROTOCOL_* value.
type Protocol int

// The protocols.
const (
	ProtocolTLS       = Protocol(C.PYSSL_PROTOCOL_TLS)
	ProtocolTLSClient = Protocol(C.PYSSL_PROTOCOL_TLS_CLIENT)
	ProtocolTLSServer = Protocol(C.PYSSL_PROTOCOL_TLS_SERVER)
)

// VerifyMode is an ssl.CERT_* value.
type VerifyMode int

// The verify modes.
const (
	CertNone     = VerifyMode(C.PYSSL_CERT_NONE)
	CertOptional = VerifyMode(C.PYSSL_CERT_OPTIONAL)
	CertRequired = VerifyMode(C.PYSSL_CERT_REQUIRED)
)

// Compat selects the CPython version whose rules a context follows.
type Compat int

// The compat modes (README, "CPython versions").
const (
	Compat311 = Compat(C.PYSSL_COMPAT_3_11)
	Compat313 = Compat(C.PYSSL_COMPAT_3_13)
	Compat314 = Compat(C.PYSSL_COMPAT_3_14)
)

// TLSVersion is an ssl.TLSVersion value.
type TLSVersion int

// The TLS versions pyssl accepts (raw 0x0301..0x0304 work too).
const (
	TLSVersionMinimumSupported = TLSVersion(C.PYSSL_TLS_VERSION_MINIMUM_SUPPORTED)
	TLSVersionMaximumSupported = TLSVersion(C.PYSSL_TLS_VERSION_MAXIMUM_SUPPORTED)
	TLSVersion1_2              = TLSVersion(C.PYSSL_TLS_VERSION_TLSV1_2)
	TLSVersion1_3              = TLSVersion(C.PYSSL_TLS_VERSION_TLSV1_3)
)

// Context is an ssl.SSLContext. It may be used from many goroutines at
// once (pyssl's contexts are thread-safe).
type Context struct {
	h   handle
	ptr *C.pyssl_context
}

// NewContext is ssl.SSLContext(protocol) with CPython 3.14's defaults.
func NewContext(protocol Protocol) (*Context, error) {
	return NewContextCompat(protocol, 0)
}

// NewContextCompat is NewContext following CPython version compat's
// rules (0 for the default).
func NewContextCompat(protocol Protocol, compat Compat) (*Context, error) {
	var p *C.pyssl_context
	err := withErr(func() bool {
		if compat == 0 {
			p = C.pyssl_context_new(C.int(protocol))
		} else {
			p = C.pyssl_context_new_compat(C.int(protocol), C.int(compat))
		}
		return p == nil
	})
	if err != nil {
		return nil, err
	}
	c := &Context{ptr: p}
	c.h = newHandle(func() { C.pyssl_context_free(p) })
	// A safety net only: Close frees at once. Sockets keep the C context
	// alive on their own, so this never pulls it from under them.
	runtime.SetFinalizer(c, func(c *Context) { c.h.close() })
	return c, nil
}

// Close releases the context; sockets made from it keep working.
func (c *Context) Close() error {
	c.h.close()
	return nil
}

func closedError(what string) error {
	return goError(StatusBadHandle, "ValueError", "operation on a closed "+what)
}

// use runs f with the context's pointer, or fails if it was closed.
func (c *Context) use(f func(p *C.pyssl_context) error) error {
	if !c.h.acquire() {
		return closedError("Context")
	}
	defer c.h.release()
	return f(c.ptr)
}

// status runs a C call returning a status.
func (c *Context) status(call func(p *C.pyssl_context) C.int) error {
	return c.use(func(p *C.pyssl_context) error {
		return withErr(func() bool { return call(p) < 0 })
	})
}

// intGetter runs a C getter returning a non-negative int or a status.
func (c *Context) intGetter(call func(p *C.pyssl_context) C.int) (int, error) {
	var r C.int
	err := c.status(func(p *C.pyssl_context) C.int { r = call(p); return r })
	return int(r), err
}

// Protocol is SSLContext.protocol.
func (c *Context) Protocol() (Protocol, error) {
	r, err := c.intGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_protocol(p) })
	return Protocol(r), err
}

// Compat is the CPython version the context follows.
func (c *Context) Compat() (Compat, error) {
	r, err := c.intGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_compat(p) })
	return Compat(r), err
}

// LoadVerifyLocations is load_verify_locations(cafile, capath); "" is None.
func (c *Context) LoadVerifyLocations(cafile, capath string) error {
	f, d := cstring(cafile, true), cstring(capath, true)
	defer cfree(f)
	defer cfree(d)
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_load_verify_locations(p, f, d) })
}

// LoadVerifyData is load_verify_locations(cadata=...): PEM text when pem,
// else DER bytes.
func (c *Context) LoadVerifyData(data []byte, pem bool) error {
	isPEM := C.int(0)
	if pem {
		isPEM = 1
	}
	return c.status(func(p *C.pyssl_context) C.int {
		return C.pyssl_context_load_verify_data(p, (*C.uchar)(bufPtr(data)), C.size_t(len(data)), isPEM)
	})
}

// LoadDefaultCerts is load_default_certs() (OpenSSL's trust store).
func (c *Context) LoadDefaultCerts() error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_load_default_certs(p) })
}

// LoadCertChain is load_cert_chain(certfile, keyfile); keyfile "" reads
// the key from certfile.
func (c *Context) LoadCertChain(certfile, keyfile string) error {
	return c.loadCertChain(certfile, keyfile, nil)
}

// LoadCertChainPassword is load_cert_chain(certfile, keyfile, password).
func (c *Context) LoadCertChainPassword(certfile, keyfile, password string) error {
	return c.loadCertChain(certfile, keyfile, &password)
}

func (c *Context) loadCertChain(certfile, keyfile string, password *string) error {
	cf, kf := cstring(certfile, false), cstring(keyfile, true)
	defer cfree(cf)
	defer cfree(kf)
	var pw *C.char
	if password != nil {
		pw = C.CString(*password)
		defer cfree(pw)
	}
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_load_cert_chain(p, cf, kf, pw) })
}

// SetVerifyMode is verify_mode = mode.
func (c *Context) SetVerifyMode(mode VerifyMode) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_verify_mode(p, C.int(mode)) })
}

// VerifyMode is verify_mode.
func (c *Context) VerifyMode() (VerifyMode, error) {
	r, err := c.intGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_verify_mode(p) })
	return VerifyMode(r), err
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// SetCheckHostname is check_hostname = on.
func (c *Context) SetCheckHostname(on bool) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_check_hostname(p, cbool(on)) })
}

// CheckHostname is check_hostname.
func (c *Context) CheckHostname() (bool, error) {
	r, err := c.intGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_check_hostname(p) })
	return r == 1, err
}

// SetHostnameChecksCommonName is hostname_checks_common_name = on.
func (c *Context) SetHostnameChecksCommonName(on bool) error {
	return c.status(func(p *C.pyssl_context) C.int {
		return C.pyssl_context_set_hostname_checks_common_name(p, cbool(on))
	})
}

// HostnameChecksCommonName is hostname_checks_common_name.
func (c *Context) HostnameChecksCommonName() (bool, error) {
	r, err := c.intGetter(func(p *C.pyssl_context) C.int {
		return C.pyssl_context_get_hostname_checks_common_name(p)
	})
	return r == 1, err
}

// SetCiphers is set_ciphers(ciphers).
func (c *Context) SetCiphers(ciphers string) error {
	s := C.CString(ciphers)
	defer cfree(s)
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_ciphers(p, s) })
}

// GetCiphers is get_ciphers(): a List of cipher dicts.
func (c *Context) GetCiphers() (Value, error) {
	return c.value(func(p *C.pyssl_context, out **C.pyssl_value) C.int { return C.pyssl_context_get_ciphers(p, out) })
}

// SessionStats is session_stats().
func (c *Context) SessionStats() (Value, error) {
	return c.value(func(p *C.pyssl_context, out **C.pyssl_value) C.int { return C.pyssl_context_session_stats(p, out) })
}

// GetCACerts is get_ca_certs(binary_form).
func (c *Context) GetCACerts(binary bool) (Value, error) {
	return c.value(func(p *C.pyssl_context, out **C.pyssl_value) C.int {
		return C.pyssl_context_get_ca_certs(p, cbool(binary), out)
	})
}

func (c *Context) value(call func(p *C.pyssl_context, out **C.pyssl_value) C.int) (Value, error) {
	var v Value
	err := c.use(func(p *C.pyssl_context) error {
		var err error
		v, err = callValue(func(out **C.pyssl_value) C.int { return call(p, out) })
		return err
	})
	return v, err
}

// SetALPNProtocols is set_alpn_protocols(protocols), with ssl.py's checks
// (ASCII names of 1 to 255 bytes) before the wire format goes to _ssl.
func (c *Context) SetALPNProtocols(protocols []string) error {
	var wire []byte
	for _, proto := range protocols {
		if err := asciiEncode(proto); err != nil {
			return err
		}
		if len(proto) == 0 || len(proto) > 255 {
			return goError(StatusValue, "SSLError", "ALPN protocols must be 1 to 255 in length")
		}
		wire = append(wire, byte(len(proto)))
		wire = append(wire, proto...)
	}
	return c.status(func(p *C.pyssl_context) C.int {
		return C.pyssl_context_set_alpn_protocols(p, (*C.uchar)(bufPtr(wire)), C.size_t(len(wire)))
	})
}

// asciiEncode is str.encode('ascii')'s error for text that is not ASCII.
func asciiEncode(s string) error {
	runes := []rune(s)
	for i, r := range runes {
		if r < 0x80 {
			continue
		}
		j := i
		for j+1 < len(runes) && runes[j+1] >= 0x80 {
			j++
		}
		// CPython's UnicodeEncodeError.__str__ formats one bad character
		// by its size, never as repr() does.
		var msg string
		switch {
		case i != j:
			msg = fmt.Sprintf("'ascii' codec can't encode characters in position %d-%d: ordinal not in range(128)", i, j)
		case r <= 0xff:
			msg = fmt.Sprintf("'ascii' codec can't encode character '\\x%02x' in position %d: ordinal not in range(128)", r, i)
		case r <= 0xffff:
			msg = fmt.Sprintf("'ascii' codec can't encode character '\\u%04x' in position %d: ordinal not in range(128)", r, i)
		default:
			msg = fmt.Sprintf("'ascii' codec can't encode character '\\U%08x' in position %d: ordinal not in range(128)", r, i)
		}
		e := goError(StatusValue, "UnicodeEncodeError", msg)
		e.Reason = "ordinal not in range(128)" // UnicodeEncodeError.reason
		return e
	}
	return nil
}

// SetMinimumVersion is minimum_version = v.
func (c *Context) SetMinimumVersion(v TLSVersion) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_minimum_version(p, C.int(v)) })
}

// SetMaximumVersion is maximum_version = v.
func (c *Context) SetMaximumVersion(v TLSVersion) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_maximum_version(p, C.int(v)) })
}

// MinimumVersion is minimum_version.
func (c *Context) MinimumVersion() (TLSVersion, error) {
	r, err := c.signedGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_minimum_version(p) })
	return TLSVersion(r), err
}

// MaximumVersion is maximum_version.
func (c *Context) MaximumVersion() (TLSVersion, error) {
	r, err := c.signedGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_maximum_version(p) })
	return TLSVersion(r), err
}

// signedGetter is for the version getters, whose valid results include
// -1 and -2: only the handle statuses are errors.
func (c *Context) signedGetter(call func(p *C.pyssl_context) C.int) (int, error) {
	var r C.int
	err := c.use(func(p *C.pyssl_context) error {
		return withErr(func() bool {
			r = call(p)
			return r == C.PYSSL_ERROR_BAD_ARGUMENT || r == C.PYSSL_ERROR_BAD_HANDLE
		})
	})
	return int(r), err
}

// Options is options.
func (c *Context) Options() (uint64, error) {
	var v C.uint64_t
	err := c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_options(p, &v) })
	return uint64(v), err
}

// SetOptions is options = v.
func (c *Context) SetOptions(v uint64) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_options(p, C.uint64_t(v)) })
}

// VerifyFlags is verify_flags.
func (c *Context) VerifyFlags() (uint64, error) {
	var v C.uint64_t
	err := c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_verify_flags(p, &v) })
	return uint64(v), err
}

// SetVerifyFlags is verify_flags = v.
func (c *Context) SetVerifyFlags(v uint64) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_verify_flags(p, C.uint64_t(v)) })
}

// NumTickets is num_tickets.
func (c *Context) NumTickets() (int64, error) {
	var r C.ssize_t
	err := c.status(func(p *C.pyssl_context) C.int {
		r = C.pyssl_context_get_num_tickets(p)
		if r < 0 {
			return C.int(r)
		}
		return 0
	})
	return int64(r), err
}

// SetNumTickets is num_tickets = n.
func (c *Context) SetNumTickets(n int64) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_num_tickets(p, C.int64_t(n)) })
}

// PostHandshakeAuth is post_handshake_auth.
func (c *Context) PostHandshakeAuth() (bool, error) {
	r, err := c.intGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_post_handshake_auth(p) })
	return r == 1, err
}

// SetPostHandshakeAuth is post_handshake_auth = on.
func (c *Context) SetPostHandshakeAuth(on bool) error {
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_post_handshake_auth(p, cbool(on)) })
}

// SecurityLevel is security_level.
func (c *Context) SecurityLevel() (int, error) {
	return c.intGetter(func(p *C.pyssl_context) C.int { return C.pyssl_context_get_security_level(p) })
}

// CertStoreStats is cert_store_stats(): the x509, crl and x509_ca counts.
func (c *Context) CertStoreStats() (x509, crl, x509CA int64, err error) {
	var a, b, d C.int64_t
	err = c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_cert_store_stats(p, &a, &b, &d) })
	return int64(a), int64(b), int64(d), err
}

// SetKeylogFilename is keylog_filename = path ("" stops logging).
func (c *Context) SetKeylogFilename(path string) error {
	s := cstring(path, true)
	defer cfree(s)
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_keylog_filename(p, s) })
}

// SetECDHCurve is set_ecdh_curve(name).
func (c *Context) SetECDHCurve(name string) error {
	s := C.CString(name)
	defer cfree(s)
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_set_ecdh_curve(p, s) })
}

// LoadDHParams is load_dh_params(path).
func (c *Context) LoadDHParams(path string) error {
	s := C.CString(path)
	defer cfree(s)
	return c.status(func(p *C.pyssl_context) C.int { return C.pyssl_context_load_dh_params(p, s) })
}
