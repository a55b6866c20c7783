package pyssl

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -lpyssl
#include <stdlib.h>
#include "pyssl.h"
*/
import "C"

import (
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// liveHandles counts the C handles not yet freed, and nextHandleID
// numbers them; freedIDs (when the tests set it) records each free, so a
// test can tell that its own handles were freed.
var (
	liveHandles  int64
	nextHandleID uint64
	freedIDs     *sync.Map
)

// handle guards one C handle: calls hold a reference, Close marks it
// closed, and the last of the two frees it, so a Close racing a call
// (say, a Read blocked in C) never frees memory C is using.
type handle struct {
	id     uint64
	mu     sync.Mutex
	refs   int
	closed bool
	free   func()
}

func newHandle(free func()) handle {
	atomic.AddInt64(&liveHandles, 1)
	return handle{id: atomic.AddUint64(&nextHandleID, 1), free: free}
}

func (h *handle) acquire() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.refs++
	return true
}

func (h *handle) release() {
	h.mu.Lock()
	h.refs--
	f := h.takeFree()
	h.mu.Unlock()
	f()
}

func (h *handle) close() {
	h.mu.Lock()
	h.closed = true
	f := h.takeFree()
	h.mu.Unlock()
	f()
}

// takeFree returns the free function once nothing uses the handle (with
// h.mu held), or a no-op.
func (h *handle) takeFree() func() {
	if !h.closed || h.refs > 0 || h.free == nil {
		return func() {}
	}
	f, id := h.free, h.id
	h.free = nil
	return func() {
		f()
		atomic.AddInt64(&liveHandles, -1)
		if freedIDs != nil {
			freedIDs.Store(id, true)
		}
	}
}

// withErr runs a C call and, if failed says it failed, reads the thread's
// last pyssl error. The goroutine stays on its OS thread from the call to
// the read: the last error is thread-local, and Go may otherwise move the
// goroutine between the two.
func withErr(call func() (failed bool)) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if call() {
		return lastError()
	}
	return nil
}

func gostr(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// lastError builds an *Error from the calling thread's last pyssl error.
// The caller has locked the OS thread.
func lastError() error {
	typ := C.pyssl_error_type()
	if typ == nil {
		return goError(Status(C.pyssl_error_status()), "SystemError",
			"pyssl reported a failure but recorded no error")
	}
	e := &Error{
		Class:         C.GoString(typ),
		Message:       gostr(C.pyssl_error_message()),
		Status:        Status(C.pyssl_error_status()),
		Errno:         int(C.pyssl_error_errno()),
		HasErrno:      C.pyssl_error_has_errno() != 0,
		Strerror:      gostr(C.pyssl_error_strerror()),
		Library:       gostr(C.pyssl_error_library()),
		Reason:        gostr(C.pyssl_error_reason()),
		LibCode:       int(C.pyssl_error_lib_code()),
		ReasonCode:    int(C.pyssl_error_reason_code()),
		VerifyCode:    int64(C.pyssl_error_verify_code()),
		VerifyMessage: gostr(C.pyssl_error_verify_message()),
	}
	// Last: walking the args tuple may replace the thread's last error
	// (the header says so).
	if args := C.pyssl_error_args(); args != nil {
		v, err := convertRoot(args)
		if err == nil {
			e.Args = v
		}
	}
	if e.Args == nil {
		e.Args = Tuple{}
	}
	return e
}

// checkRepr, set by the tests, makes every value that comes out of pyssl
// be compared with pyssl_value_repr; reprMismatches records differences.
var (
	checkRepr      bool
	reprMu         sync.Mutex
	reprChecked    int
	reprMismatches []string
)

// convertRoot copies a value tree into Go and frees it. The caller has
// locked the OS thread.
func convertRoot(v *C.pyssl_value) (Value, error) {
	defer C.pyssl_value_free(v)
	out, err := convert(v, 0)
	if err != nil {
		return nil, err
	}
	if checkRepr {
		r := C.pyssl_value_repr(v)
		if r == nil {
			return nil, lastError()
		}
		want := C.GoString(r)
		C.pyssl_string_free(r)
		reprMu.Lock()
		reprChecked++
		if got := out.Repr(); got != want {
			reprMismatches = append(reprMismatches, "go:   "+got+"\npyssl: "+want)
		}
		reprMu.Unlock()
	}
	return out, nil
}

// maxDepth bounds the recursion (pyssl's trees are a few levels deep).
const maxDepth = 64

func convert(v *C.pyssl_value, depth int) (Value, error) {
	if depth > maxDepth {
		return nil, goError(StatusValue, "RecursionError", "value nested too deeply")
	}
	kind := C.pyssl_value_kind(v)
	switch kind {
	case C.PYSSL_VALUE_NONE:
		return None{}, nil
	case C.PYSSL_VALUE_BOOL:
		b := C.pyssl_value_bool(v)
		if b < 0 {
			return nil, lastError()
		}
		return Bool(b != 0), nil
	case C.PYSSL_VALUE_INT:
		var i C.int64_t
		if C.pyssl_value_int(v, &i) == 0 {
			return NewInt(int64(i)), nil
		}
		// Larger than 64 bits (a serial number, say): the decimal text.
		t := C.pyssl_value_int_text(v)
		if t == nil {
			return nil, lastError()
		}
		defer C.pyssl_string_free(t)
		n, ok := new(big.Int).SetString(C.GoString(t), 10)
		if !ok {
			return nil, goError(StatusValue, "ValueError", "bad int text from pyssl")
		}
		return Int{n}, nil
	case C.PYSSL_VALUE_STR:
		var n C.size_t
		p := C.pyssl_value_str(v, &n)
		if p == nil {
			return nil, lastError()
		}
		return Str(C.GoStringN(p, C.int(n))), nil
	case C.PYSSL_VALUE_BYTES:
		var n C.size_t
		p := C.pyssl_value_bytes(v, &n)
		if p == nil {
			return nil, lastError()
		}
		return Bytes(C.GoBytes(unsafe.Pointer(p), C.int(n))), nil
	case C.PYSSL_VALUE_TUPLE, C.PYSSL_VALUE_LIST:
		n := C.pyssl_value_len(v)
		if n < 0 {
			return nil, lastError()
		}
		items := make([]Value, int(n))
		for i := range items {
			var c *C.pyssl_value
			if kind == C.PYSSL_VALUE_TUPLE {
				c = C.pyssl_value_tuple_item(v, C.size_t(i))
			} else {
				c = C.pyssl_value_list_item(v, C.size_t(i))
			}
			if c == nil {
				return nil, lastError()
			}
			it, err := convert(c, depth+1)
			if err != nil {
				return nil, err
			}
			items[i] = it
		}
		if kind == C.PYSSL_VALUE_TUPLE {
			return Tuple(items), nil
		}
		return List(items), nil
	case C.PYSSL_VALUE_DICT:
		n := C.pyssl_value_len(v)
		if n < 0 {
			return nil, lastError()
		}
		d := Dict{Items: make([]Item, int(n))}
		for i := range d.Items {
			k := C.pyssl_value_dict_key(v, C.size_t(i))
			val := C.pyssl_value_dict_value(v, C.size_t(i))
			if k == nil || val == nil {
				return nil, lastError()
			}
			kv, err := convert(k, depth+1)
			if err != nil {
				return nil, err
			}
			vv, err := convert(val, depth+1)
			if err != nil {
				return nil, err
			}
			d.Items[i] = Item{kv, vv}
		}
		return d, nil
	}
	return nil, lastError()
}

// callValue runs a C call that returns a new value tree in *out (NULL for
// None) and converts it, all on one OS thread.
func callValue(call func(out **C.pyssl_value) C.int) (Value, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out *C.pyssl_value
	if call(&out) < 0 {
		return nil, lastError()
	}
	if out == nil {
		return None{}, nil
	}
	return convertRoot(out)
}

// cstring is a C copy of s, or NULL for "" when optional (Python's None).
func cstring(s string, optional bool) *C.char {
	if optional && s == "" {
		return nil
	}
	return C.CString(s)
}

func cfree(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// bufPtr points at p's first byte. C never keeps it: cgo's rules allow
// passing Go memory for the length of a call only.
func bufPtr(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return unsafe.Pointer(&zeroByte)
	}
	return unsafe.Pointer(&p[0])
}

// zeroByte stands in for an empty buffer: pyssl refuses NULL even with a
// zero length.
var zeroByte byte

// Version is pyssl's version, e.g. "0.1.0".
func Version() string { return C.GoString(C.pyssl_version()) }

// OpenSSLVersion is ssl.OPENSSL_VERSION.
func OpenSSLVersion() string { return C.GoString(C.pyssl_openssl_version()) }

// OpenSSLVersionNumber is ssl.OPENSSL_VERSION_NUMBER.
func OpenSSLVersionNumber() uint64 { return uint64(C.pyssl_openssl_version_number()) }

// TestDecodeCert is _ssl._test_decode_cert(path): the first PEM
// certificate in the file as the dict getpeercert() returns.
func TestDecodeCert(path string) (Value, error) {
	p := C.CString(path)
	defer cfree(p)
	return callValue(func(out **C.pyssl_value) C.int { return C.pyssl_test_decode_cert(p, out) })
}
