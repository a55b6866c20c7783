package pyssl

/*
#include <stdlib.h>
#include "pyssl.h"
*/
import "C"

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Socket is an SSLSocket over a net.Conn's file descriptor, or an
// SSLObject over two MemoryBIOs.
//
// One goroutine may Read while another Writes (as with CPython's
// SSLSocket); DoHandshake, Shutdown and SetSession wait for both. The
// other methods may run at any time. Close never waits: the C socket is
// freed when the last call in progress returns.
//
// The C calls on one socket never overlap: pyssl runs non-blocking, each
// call holds ioMu only while it is in C, and a call that must wait for
// the network waits in Go's poller with ioMu released. (Overlapping
// pyssl_read and pyssl_write on one socket, which pyssl.h allows,
// corrupts the stream under load: see the README's Go section.)
type Socket struct {
	h   handle
	ptr *C.pyssl_socket
	// conn owns the fd pyssl uses: held so that the net package's own
	// finalizer cannot close the fd while the Socket lives.
	conn     net.Conn
	raw      syscall.RawConn
	in, out  *MemoryBIO
	readMu   sync.Mutex
	writeMu  sync.Mutex
	ioMu     sync.Mutex
	serverSd bool
	// timeout is settimeout()'s value (< 0 None, 0 non-blocking).
	timeoutMu sync.Mutex
	timeout   time.Duration
	// waiters counts calls inside the poller wait (the tests watch it).
	waiters int32
}

// Wrap is SSLContext.wrap_socket(conn, server_side, server_hostname,
// do_handshake_on_connect=False): call DoHandshake next. serverHostname
// "" is None; it must be ASCII (IDNA-encode it first, as ssl.py does).
//
// conn must be a *net.TCPConn or *net.UnixConn (anything with a file
// descriptor). Like Python's socket after wrap_socket, it belongs to the
// Socket for I/O: do not Read or Write it directly. The fd is switched to
// blocking mode (Python's default socket timeout, None); SetTimeout
// changes that. Close does not close conn (pyssl never closes the fd);
// closing it is the caller's, after Close. To unblock a Read stuck in C,
// shut the connection down (CloseRead), not Close: close(2) does not
// wake a blocked read(2).
func (c *Context) Wrap(conn net.Conn, serverSide bool, serverHostname string) (*Socket, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil, goError(StatusValue, "TypeError", "the connection has no file descriptor")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return nil, err
	}
	s, err := c.newSocket(serverSide, serverHostname, func(p *C.pyssl_context, host *C.char) *C.pyssl_socket {
		return C.pyssl_socket_new(p, C.int(fd), C.int(cbool(serverSide)), host)
	})
	if err != nil {
		return nil, err
	}
	s.conn, s.raw = conn, raw
	// pyssl non-blocking (the fd is O_NONBLOCK already, as Go keeps it);
	// the Socket itself starts blocking, Python's default.
	if err := s.status(func(p *C.pyssl_socket) C.int { return C.pyssl_socket_set_timeout(p, 0) }); err != nil {
		s.Close()
		return nil, err
	}
	s.timeout = -1
	return s, nil
}

// WrapBIO is SSLContext.wrap_bio(incoming, outgoing, server_side,
// server_hostname): an SSLObject that never blocks.
func (c *Context) WrapBIO(incoming, outgoing *MemoryBIO, serverSide bool, serverHostname string) (*Socket, error) {
	if !incoming.h.acquire() {
		return nil, closedError("MemoryBIO")
	}
	defer incoming.h.release()
	if !outgoing.h.acquire() {
		return nil, closedError("MemoryBIO")
	}
	defer outgoing.h.release()
	s, err := c.newSocket(serverSide, serverHostname, func(p *C.pyssl_context, host *C.char) *C.pyssl_socket {
		return C.pyssl_socket_new_bio(p, incoming.ptr, outgoing.ptr, C.int(cbool(serverSide)), host)
	})
	if err != nil {
		return nil, err
	}
	s.in, s.out = incoming, outgoing
	return s, nil
}

func (c *Context) newSocket(serverSide bool, serverHostname string,
	create func(p *C.pyssl_context, host *C.char) *C.pyssl_socket) (*Socket, error) {
	host := cstring(serverHostname, true)
	defer cfree(host)
	var sp *C.pyssl_socket
	err := c.use(func(p *C.pyssl_context) error {
		return withErr(func() bool { sp = create(p, host); return sp == nil })
	})
	if err != nil {
		return nil, err
	}
	s := &Socket{ptr: sp, serverSd: serverSide}
	s.h = newHandle(func() { C.pyssl_socket_free(sp) })
	runtime.SetFinalizer(s, func(s *Socket) { s.h.close() })
	return s, nil
}

// Close frees the TLS state without sending close_notify (call Shutdown
// first for a clean close), as CPython's SSLSocket dealloc does. It does
// not close the net.Conn.
func (s *Socket) Close() error {
	s.h.close()
	if s.conn != nil {
		// Wakes a Read or Write waiting in the poller: it then fails
		// with the closed-socket error. (The conn's deadlines are the
		// Socket's to manage while it is wrapped.)
		s.conn.SetDeadline(time.Unix(1, 0))
	}
	return nil
}

// Conn is the wrapped connection (nil over memory BIOs).
func (s *Socket) Conn() net.Conn { return s.conn }

func (s *Socket) use(f func(p *C.pyssl_socket) error) error {
	if !s.h.acquire() {
		return closedError("Socket")
	}
	defer s.h.release()
	return f(s.ptr)
}

func (s *Socket) status(call func(p *C.pyssl_socket) C.int) error {
	return s.use(func(p *C.pyssl_socket) error {
		return withErr(func() bool { return call(p) < 0 })
	})
}

// SetTimeout is settimeout(): d < 0 blocking (None), 0 non-blocking
// (SSLWantReadError/SSLWantWriteError), > 0 one deadline across all
// retries of each call (TimeoutError). Over memory BIOs it has no effect.
func (s *Socket) SetTimeout(d time.Duration) error {
	if d < 0 {
		d = -1
	}
	s.timeoutMu.Lock()
	s.timeout = d
	s.timeoutMu.Unlock()
	return nil
}

// Timeout is gettimeout() (negative for None).
func (s *Socket) Timeout() (time.Duration, error) {
	s.timeoutMu.Lock()
	defer s.timeoutMu.Unlock()
	return s.timeout, nil
}

// io runs one TLS operation the way CPython's blocking and timeout modes
// do, waiting in Go's poller (not in C) between attempts. what names the
// operation in CPython's timeout message ("" for the direction waited on).
//
// Each attempt runs inside RawConn.Read/Write's callback, as the net
// package runs its own syscalls: the poller's readiness is reset before
// the attempt, so data that arrives after it is never missed.
func (s *Socket) io(what string, call func(p *C.pyssl_socket) error) error {
	attempt := func() error {
		s.ioMu.Lock()
		defer s.ioMu.Unlock()
		return s.use(call)
	}
	s.timeoutMu.Lock()
	timeout := s.timeout
	s.timeoutMu.Unlock()
	if s.raw == nil || timeout == 0 {
		return attempt() // memory BIOs, or non-blocking: no waiting
	}
	var deadline time.Time // zero: no deadline
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	// The direction to wait for. A Write starts on the write side: the
	// read side's lock is held by a Read waiting there.
	write := what == "write"
	for i := 0; i < 1<<20; i++ {
		var res error
		f := func(fd uintptr) bool {
			res = attempt()
			return !errors.Is(res, SSLWantReadError) && !errors.Is(res, SSLWantWriteError) ||
				errors.Is(res, SSLWantWriteError) != write
		}
		var werr error
		if write {
			werr = s.conn.SetWriteDeadline(deadline)
		} else {
			werr = s.conn.SetReadDeadline(deadline)
		}
		if werr == nil {
			atomic.AddInt32(&s.waiters, 1)
			if write {
				werr = s.raw.Write(f)
			} else {
				werr = s.raw.Read(f)
			}
			atomic.AddInt32(&s.waiters, -1)
		}
		if werr != nil {
			if !s.h.acquire() {
				return closedError("Socket") // Close woke the wait
			}
			s.h.release()
			if !errors.Is(werr, os.ErrDeadlineExceeded) {
				// The conn was closed under the socket.
				return goError(StatusSSL, "SSLError", "Underlying socket has been closed.")
			}
			if what == "" {
				what = "read"
				if write {
					what = "write"
				}
			}
			// CPython: TimeoutError("The read operation timed out").
			return goError(StatusTimeout, "TimeoutError", "The "+what+" operation timed out")
		}
		if !IsWant(res) {
			return res
		}
		write = errors.Is(res, SSLWantWriteError) // the other direction
	}
	return goError(StatusInternal, "SystemError", "no progress")
}

// DoHandshake is do_handshake().
func (s *Socket) DoHandshake() error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.io("handshake", func(p *C.pyssl_socket) error {
		return withErr(func() bool { return C.pyssl_do_handshake(p) < 0 })
	})
}

// Read is read(len(p)) as an io.Reader: at most one TLS record's bytes.
// Python's b” (the peer's close_notify; in 3.11 mode also an EOF without
// it) is (0, io.EOF); an EOF in violation of the protocol is an *Error
// of class SSLEOFError (which errors.Is io.ErrUnexpectedEOF).
func (s *Socket) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	var n C.ssize_t
	err := s.io("read", func(p *C.pyssl_socket) error {
		return withErr(func() bool {
			n = C.pyssl_read(p, bufPtr(b), C.size_t(len(b)))
			return n < 0
		})
	})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	return int(n), nil
}

// Write is write(data): all of b, or an error (never a partial count).
// After SSLWantWriteError/SSLWantReadError call again with the same data.
func (s *Socket) Write(b []byte) (int, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var n C.ssize_t
	err := s.io("write", func(p *C.pyssl_socket) error {
		return withErr(func() bool {
			n = C.pyssl_write(p, bufPtr(b), C.size_t(len(b)))
			return n < 0
		})
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Shutdown is unwrap()'s TLS part: sends close_notify and waits for the
// peer's. The connection stays open.
func (s *Socket) Shutdown() error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.io("", func(p *C.pyssl_socket) error {
		return withErr(func() bool { return C.pyssl_shutdown(p) < 0 })
	})
}

func (s *Socket) value(call func(p *C.pyssl_socket, out **C.pyssl_value) C.int) (Value, error) {
	var v Value
	err := s.use(func(p *C.pyssl_socket) error {
		var err error
		v, err = callValue(func(out **C.pyssl_value) C.int { return call(p, out) })
		return err
	})
	return v, err
}

// GetPeerCert is getpeercert(binary_form): a Dict (empty when the
// certificate was not verified), Bytes (the DER) when binary, or None.
func (s *Socket) GetPeerCert(binary bool) (Value, error) {
	return s.value(func(p *C.pyssl_socket, out **C.pyssl_value) C.int {
		return C.pyssl_getpeercert(p, cbool(binary), out)
	})
}

// SharedCiphers is shared_ciphers(): a List of (name, protocol, bits), or None.
func (s *Socket) SharedCiphers() (Value, error) {
	return s.value(func(p *C.pyssl_socket, out **C.pyssl_value) C.int {
		return C.pyssl_socket_shared_ciphers(p, out)
	})
}

// optString runs an accessor whose NULL means None: ok false for None.
func (s *Socket) optString(call func(p *C.pyssl_socket) *C.char) (string, bool, error) {
	var r *C.char
	var st C.int
	err := s.use(func(p *C.pyssl_socket) error {
		return withErr(func() bool {
			C.pyssl_error_clear()
			r = call(p)
			st = C.pyssl_error_status()
			return r == nil && st < 0
		})
	})
	if err != nil || r == nil {
		return "", false, err
	}
	return C.GoString(r), true, nil
}

// Version is version(): "TLSv1.3" etc.; ok false for None (before the
// handshake).
func (s *Socket) Version() (version string, ok bool) {
	v, ok, _ := s.optString(func(p *C.pyssl_socket) *C.char { return C.pyssl_socket_version(p) })
	return v, ok
}

// Compression is compression(); ok false for None.
func (s *Socket) Compression() (string, bool, error) {
	return s.optString(func(p *C.pyssl_socket) *C.char { return C.pyssl_socket_compression(p) })
}

// ServerHostname is server_hostname; ok false for None.
func (s *Socket) ServerHostname() (string, bool) {
	v, ok, _ := s.optString(func(p *C.pyssl_socket) *C.char { return C.pyssl_socket_server_hostname(p) })
	return v, ok
}

// Cipher is cipher(): the name, protocol and secret bits; ok false for None.
func (s *Socket) Cipher() (name, protocol string, bits int, ok bool, err error) {
	var n, pr *C.char
	var b C.int
	var r C.int
	err = s.status(func(p *C.pyssl_socket) C.int { r = C.pyssl_socket_cipher(p, &n, &pr, &b); return r })
	if err != nil || r == 0 {
		return "", "", 0, false, err
	}
	return C.GoString(n), C.GoString(pr), int(b), true, nil
}

// CipherValue is cipher() as Python returns it: a Tuple or None.
func (s *Socket) CipherValue() (Value, error) {
	name, proto, bits, ok, err := s.Cipher()
	if err != nil || !ok {
		return None{}, err
	}
	return Tuple{Str(name), Str(proto), NewInt(int64(bits))}, nil
}

// bufGetter runs an accessor that copies into a buffer and returns the
// length (0 for None).
func (s *Socket) bufGetter(size int, call func(p *C.pyssl_socket, buf *C.uchar, n C.size_t) C.ssize_t) ([]byte, error) {
	buf := make([]byte, size)
	var n C.ssize_t
	err := s.use(func(p *C.pyssl_socket) error {
		return withErr(func() bool {
			n = call(p, (*C.uchar)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
			return n < 0
		})
	})
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// SelectedALPNProtocol is selected_alpn_protocol(); ok false for None.
func (s *Socket) SelectedALPNProtocol() (string, bool, error) {
	// 255 bytes: the longest protocol name ALPN can carry.
	b, err := s.bufGetter(255, func(p *C.pyssl_socket, buf *C.uchar, n C.size_t) C.ssize_t {
		return C.pyssl_socket_selected_alpn_protocol(p, buf, n)
	})
	if err != nil || len(b) == 0 {
		return "", false, err
	}
	return string(b), true, nil
}

// ChannelBinding is get_channel_binding(cbType); nil for None.
func (s *Socket) ChannelBinding(cbType string) ([]byte, error) {
	t := C.CString(cbType)
	defer cfree(t)
	// 128 bytes always suffice (pyssl.h).
	b, err := s.bufGetter(128, func(p *C.pyssl_socket, buf *C.uchar, n C.size_t) C.ssize_t {
		return C.pyssl_socket_get_channel_binding(p, t, buf, n)
	})
	if len(b) == 0 {
		return nil, err
	}
	return b, err
}

// Pending is pending().
func (s *Socket) Pending() (int, error) {
	var n C.ssize_t
	err := s.status(func(p *C.pyssl_socket) C.int {
		n = C.pyssl_socket_pending(p)
		if n < 0 {
			return C.int(n)
		}
		return 0
	})
	return int(n), err
}

// ServerSide is server_side.
func (s *Socket) ServerSide() bool { return s.serverSd }

// VerifyClientPostHandshake is verify_client_post_handshake().
func (s *Socket) VerifyClientPostHandshake() error {
	return s.status(func(p *C.pyssl_socket) C.int { return C.pyssl_socket_verify_client_post_handshake(p) })
}

// SetContext is SSLSocket.context = ctx.
func (s *Socket) SetContext(ctx *Context) error {
	return ctx.use(func(cp *C.pyssl_context) error {
		return s.status(func(p *C.pyssl_socket) C.int { return C.pyssl_socket_set_context(p, cp) })
	})
}

// SessionReused is session_reused.
func (s *Socket) SessionReused() (bool, error) {
	var r C.int
	err := s.status(func(p *C.pyssl_socket) C.int { r = C.pyssl_socket_session_reused(p); return r })
	return r == 1, err
}

// Session is the socket's session; nil for None.
func (s *Socket) Session() (*Session, error) {
	var out *C.pyssl_session
	err := s.status(func(p *C.pyssl_socket) C.int { return C.pyssl_socket_get_session(p, &out) })
	if err != nil || out == nil {
		return nil, err
	}
	sess := &Session{ptr: out}
	sess.h = newHandle(func() { C.pyssl_session_free(out) })
	runtime.SetFinalizer(sess, func(x *Session) { x.h.close() })
	return sess, nil
}

// SetSession is session = sess, before a client's handshake.
func (s *Socket) SetSession(sess *Session) error {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if !sess.h.acquire() {
		return closedError("Session")
	}
	defer sess.h.release()
	return s.status(func(p *C.pyssl_socket) C.int { return C.pyssl_socket_set_session(p, sess.ptr) })
}

// Certificate is an _ssl.Certificate copied into Go.
type Certificate struct {
	DER  []byte // public_bytes(ENCODING_DER)
	PEM  string // public_bytes(ENCODING_PEM)
	Info Value  // get_info()
}

// VerifiedChain is get_verified_chain(): nil for None; an entry is nil
// where Python's list has None.
func (s *Socket) VerifiedChain() ([]*Certificate, error) { return s.chain(true) }

// UnverifiedChain is get_unverified_chain().
func (s *Socket) UnverifiedChain() ([]*Certificate, error) { return s.chain(false) }

func (s *Socket) chain(verified bool) ([]*Certificate, error) {
	var out []*Certificate
	err := s.use(func(p *C.pyssl_socket) error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var list *C.pyssl_cert_list
		if C.pyssl_socket_get_chain(p, cbool(verified), &list) < 0 {
			return lastError()
		}
		if list == nil {
			return nil
		}
		defer C.pyssl_cert_list_free(list)
		n := C.pyssl_cert_list_len(list)
		if n < 0 {
			return lastError()
		}
		out = make([]*Certificate, 0, int(n))
		for i := 0; i < int(n); i++ {
			C.pyssl_error_clear()
			cert := C.pyssl_cert_list_get(list, C.size_t(i))
			if cert == nil {
				if C.pyssl_error_status() < 0 {
					return lastError()
				}
				out = append(out, nil) // None
				continue
			}
			c, err := copyCert(cert)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// copyCert copies one borrowed certificate (the OS thread is locked).
func copyCert(cert *C.pyssl_certificate) (*Certificate, error) {
	var info *C.pyssl_value
	if C.pyssl_certificate_get_info(cert, &info) < 0 {
		return nil, lastError()
	}
	v, err := convertRoot(info)
	if err != nil {
		return nil, err
	}
	n := C.pyssl_certificate_der(cert, nil, 0)
	if n < 0 {
		return nil, lastError()
	}
	der := make([]byte, int(n))
	if n > 0 && C.pyssl_certificate_der(cert, (*C.uint8_t)(unsafe.Pointer(&der[0])), C.size_t(n)) != n {
		return nil, lastError()
	}
	pem := C.pyssl_certificate_pem(cert)
	if pem == nil {
		return nil, lastError()
	}
	defer C.pyssl_string_free(pem)
	return &Certificate{DER: der, PEM: C.GoString(pem), Info: v}, nil
}

// Session is an ssl.SSLSession.
type Session struct {
	h   handle
	ptr *C.pyssl_session
}

// Close frees the session.
func (x *Session) Close() error {
	x.h.close()
	return nil
}

// ID is SSLSession.id.
func (x *Session) ID() ([]byte, error) {
	if !x.h.acquire() {
		return nil, closedError("Session")
	}
	defer x.h.release()
	buf := make([]byte, 32) // at most 32 (pyssl.h)
	var n C.ssize_t
	err := withErr(func() bool {
		n = C.pyssl_session_id(x.ptr, (*C.uchar)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
		return n < 0
	})
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// SessionInfo holds SSLSession's time, timeout, ticket_lifetime_hint and
// has_ticket.
type SessionInfo struct {
	Time, Timeout      int64
	TicketLifetimeHint uint64
	HasTicket          bool
}

// Info reads the session's attributes.
func (x *Session) Info() (SessionInfo, error) {
	var si SessionInfo
	if !x.h.acquire() {
		return si, closedError("Session")
	}
	defer x.h.release()
	var t, to C.int64_t
	var hint C.uint64_t
	var has C.int
	err := withErr(func() bool { return C.pyssl_session_info(x.ptr, &t, &to, &hint, &has) < 0 })
	si = SessionInfo{int64(t), int64(to), uint64(hint), has != 0}
	return si, err
}

// MemoryBIO is an ssl.MemoryBIO. Safe for concurrent use.
type MemoryBIO struct {
	h   handle
	ptr *C.pyssl_memory_bio
}

// NewMemoryBIO is ssl.MemoryBIO().
func NewMemoryBIO() (*MemoryBIO, error) {
	var p *C.pyssl_memory_bio
	if err := withErr(func() bool { p = C.pyssl_memory_bio_new(); return p == nil }); err != nil {
		return nil, err
	}
	b := &MemoryBIO{ptr: p}
	b.h = newHandle(func() { C.pyssl_memory_bio_free(p) })
	runtime.SetFinalizer(b, func(b *MemoryBIO) { b.h.close() })
	return b, nil
}

// Close releases the BIO (a socket using it keeps its own reference).
func (b *MemoryBIO) Close() error {
	b.h.close()
	return nil
}

func (b *MemoryBIO) use(f func(p *C.pyssl_memory_bio) error) error {
	if !b.h.acquire() {
		return closedError("MemoryBIO")
	}
	defer b.h.release()
	return f(b.ptr)
}

// Write is MemoryBIO.write(data).
func (b *MemoryBIO) Write(data []byte) (int, error) {
	var n C.ssize_t
	err := b.use(func(p *C.pyssl_memory_bio) error {
		return withErr(func() bool {
			n = C.pyssl_memory_bio_write(p, bufPtr(data), C.size_t(len(data)))
			return n < 0
		})
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Read is MemoryBIO.read(n): up to n bytes (all pending ones for n < 0),
// empty when nothing is pending.
func (b *MemoryBIO) Read(n int) ([]byte, error) {
	if n < 0 {
		p, err := b.Pending()
		if err != nil {
			return nil, err
		}
		n = p
	}
	buf := make([]byte, n)
	var got C.ssize_t
	err := b.use(func(p *C.pyssl_memory_bio) error {
		return withErr(func() bool {
			got = C.pyssl_memory_bio_read(p, bufPtr(buf), C.size_t(n))
			return got < 0
		})
	})
	if err != nil {
		return nil, err
	}
	return buf[:got], nil
}

// Pending is MemoryBIO.pending.
func (b *MemoryBIO) Pending() (int, error) {
	var n C.ssize_t
	err := b.use(func(p *C.pyssl_memory_bio) error {
		return withErr(func() bool { n = C.pyssl_memory_bio_pending(p); return n < 0 })
	})
	return int(n), err
}

// EOF is MemoryBIO.eof.
func (b *MemoryBIO) EOF() (bool, error) {
	var r C.int
	err := b.use(func(p *C.pyssl_memory_bio) error {
		return withErr(func() bool { r = C.pyssl_memory_bio_eof(p); return r < 0 })
	})
	return r == 1, err
}

// WriteEOF is MemoryBIO.write_eof().
func (b *MemoryBIO) WriteEOF() error {
	return b.use(func(p *C.pyssl_memory_bio) error {
		return withErr(func() bool { return C.pyssl_memory_bio_write_eof(p) < 0 })
	})
}

// IsWant reports an SSLWantReadError or SSLWantWriteError (a non-blocking
// call to repeat).
func IsWant(err error) bool {
	return errors.Is(err, SSLWantReadError) || errors.Is(err, SSLWantWriteError)
}
