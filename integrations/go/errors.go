package pyssl

import (
	"io"
	"syscall"
)

// Status is a pyssl_status: 0 on success, negative on failure.
type Status int

// The pyssl_status values (include/pyssl.h).
const (
	StatusOK               = Status(0)
	StatusSSL              = Status(-1)
	StatusWantRead         = Status(-2)
	StatusWantWrite        = Status(-3)
	StatusWantX509Lookup   = Status(-4)
	StatusSyscall          = Status(-5)
	StatusZeroReturn       = Status(-6)
	StatusWantConnect      = Status(-7)
	StatusEOF              = Status(-8)
	StatusNoSocket         = Status(-9)
	StatusInvalidErrorCode = Status(-10)
	StatusTimeout          = Status(-11)
	StatusOS               = Status(-12)
	StatusValue            = Status(-13)
	StatusBadArgument      = Status(-14)
	StatusBadHandle        = Status(-15)
	StatusMemory           = Status(-16)
	StatusInternal         = Status(-17)
	StatusHostInterrupt    = Status(-18)
)

// ExceptionClass is a Python exception class, used as the target of
// errors.Is: errors.Is(err, pyssl.SSLError) is Python's
// isinstance(exc, ssl.SSLError).
type ExceptionClass struct {
	Name  string
	Bases []*ExceptionClass
}

func (c *ExceptionClass) Error() string { return c.Name }

// IsSubclass is Python's issubclass(c, other).
func (c *ExceptionClass) IsSubclass(other *ExceptionClass) bool {
	if c == other {
		return true
	}
	for _, b := range c.Bases {
		if b.IsSubclass(other) {
			return true
		}
	}
	return false
}

// MRO is the class's method resolution order, as Python's C3
// linearisation gives it (cls.__mro__ names).
func (c *ExceptionClass) MRO() []string {
	var lin func(k *ExceptionClass) []*ExceptionClass
	lin = func(k *ExceptionClass) []*ExceptionClass {
		seqs := [][]*ExceptionClass{}
		for _, b := range k.Bases {
			seqs = append(seqs, lin(b))
		}
		seqs = append(seqs, append([]*ExceptionClass(nil), k.Bases...))
		out := []*ExceptionClass{k}
		for guard := 0; guard < 1000; guard++ {
			var cand *ExceptionClass
			for _, s := range seqs {
				if len(s) == 0 {
					continue
				}
				head, inTail := s[0], false
				for _, t := range seqs {
					for _, x := range tail(t) {
						if x == head {
							inTail = true
						}
					}
				}
				if !inTail {
					cand = head
					break
				}
			}
			if cand == nil {
				break
			}
			out = append(out, cand)
			for i, s := range seqs {
				if len(s) > 0 && s[0] == cand {
					seqs[i] = s[1:]
				}
			}
		}
		return out
	}
	var names []string
	for _, k := range lin(c) {
		names = append(names, k.Name)
	}
	return names
}

func tail(s []*ExceptionClass) []*ExceptionClass {
	if len(s) == 0 {
		return nil
	}
	return s[1:]
}

func class(name string, bases ...*ExceptionClass) *ExceptionClass {
	c := &ExceptionClass{Name: name, Bases: bases}
	classes[name] = c
	return c
}

var classes = map[string]*ExceptionClass{}

// CPython's exception classes that pyssl reports (pyssl_error_type()),
// with CPython's bases.
var (
	BaseException          = class("BaseException")
	Exception              = class("Exception", BaseException)
	OSError                = class("OSError", Exception)
	ValueError             = class("ValueError", Exception)
	TypeError              = class("TypeError", Exception)
	ArithmeticError        = class("ArithmeticError", Exception)
	OverflowError          = class("OverflowError", ArithmeticError)
	LookupError            = class("LookupError", Exception)
	IndexError             = class("IndexError", LookupError)
	MemoryError            = class("MemoryError", Exception)
	SystemError            = class("SystemError", Exception)
	UnicodeError           = class("UnicodeError", ValueError)
	UnicodeDecodeError     = class("UnicodeDecodeError", UnicodeError)
	UnicodeEncodeError     = class("UnicodeEncodeError", UnicodeError)
	TimeoutError           = class("TimeoutError", OSError)
	BlockingIOError        = class("BlockingIOError", OSError)
	ChildProcessError      = class("ChildProcessError", OSError)
	ConnectionError        = class("ConnectionError", OSError)
	BrokenPipeError        = class("BrokenPipeError", ConnectionError)
	ConnectionAbortedError = class("ConnectionAbortedError", ConnectionError)
	ConnectionRefusedError = class("ConnectionRefusedError", ConnectionError)
	ConnectionResetError   = class("ConnectionResetError", ConnectionError)
	FileExistsError        = class("FileExistsError", OSError)
	FileNotFoundError      = class("FileNotFoundError", OSError)
	InterruptedError       = class("InterruptedError", OSError)
	IsADirectoryError      = class("IsADirectoryError", OSError)
	NotADirectoryError     = class("NotADirectoryError", OSError)
	PermissionError        = class("PermissionError", OSError)
	ProcessLookupError     = class("ProcessLookupError", OSError)

	SSLError                 = class("SSLError", OSError)
	SSLZeroReturnError       = class("SSLZeroReturnError", SSLError)
	SSLWantReadError         = class("SSLWantReadError", SSLError)
	SSLWantWriteError        = class("SSLWantWriteError", SSLError)
	SSLSyscallError          = class("SSLSyscallError", SSLError)
	SSLEOFError              = class("SSLEOFError", SSLError)
	SSLCertVerificationError = class("SSLCertVerificationError", SSLError, ValueError)
	// CertificateError is ssl.CertificateError, an alias.
	CertificateError = SSLCertVerificationError

	// HostError is pyssl's own: the host's interrupt check stopped a call
	// (PYSSL_ERROR_HOST_INTERRUPT); the host raises its own pending error.
	HostError = class("HostError", Exception)
)

// Classes returns every class this package knows, by name.
func Classes() map[string]*ExceptionClass {
	out := make(map[string]*ExceptionClass, len(classes))
	for k, v := range classes {
		out[k] = v
	}
	return out
}

// Error is the exception CPython would raise, as pyssl reported it.
type Error struct {
	Class   string // type(exc).__name__, e.g. "SSLCertVerificationError"
	Message string // str(exc)
	Status  Status // what the C call returned
	// exc.errno: the SSL_ERROR_* number for SSLErrors, the OS errno for
	// OSErrors; HasErrno false means None.
	Errno      int
	HasErrno   bool
	Strerror   string // exc.strerror ("" for None)
	Library    string // exc.library, e.g. "SSL" ("" for None)
	Reason     string // exc.reason, e.g. "CERTIFICATE_VERIFY_FAILED" ("" for None)
	LibCode    int
	ReasonCode int
	// exc.verify_code / exc.verify_message of an
	// SSLCertVerificationError; VerifyCode is -1 for other errors.
	VerifyCode    int64
	VerifyMessage string
	// Args is exc.args (a Tuple), what rebuilds the exception.
	Args Value
}

// Error is how Python's traceback ends: "Class: str(exc)".
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Class
	}
	return e.Class + ": " + e.Message
}

// Type is the error's exception class (a new subclass of Exception for a
// name this package does not know).
func (e *Error) Type() *ExceptionClass {
	if c, ok := classes[e.Class]; ok {
		return c
	}
	return &ExceptionClass{Name: e.Class, Bases: []*ExceptionClass{Exception}}
}

// Is makes errors.Is follow Python's class hierarchy, and lets Go code
// treat the EOF error as io.ErrUnexpectedEOF.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *ExceptionClass:
		return e.Type().IsSubclass(t)
	}
	if target == io.ErrUnexpectedEOF {
		return e.Class == "SSLEOFError"
	}
	return false
}

// Unwrap gives an OSError's errno as a syscall.Errno, so that
// errors.Is(err, fs.ErrNotExist) or syscall.ECONNRESET work. SSLErrors'
// errno is an SSL_ERROR_* number, not an OS errno, and is not unwrapped.
func (e *Error) Unwrap() error {
	if e.HasErrno && e.Errno != 0 && !e.Type().IsSubclass(SSLError) && e.Type().IsSubclass(OSError) {
		return syscall.Errno(e.Errno)
	}
	return nil
}

// Timeout reports a TimeoutError (net.Error's method).
func (e *Error) Timeout() bool { return e.Class == "TimeoutError" }

// goError is an error made by this package, not by pyssl: a closed
// handle or a check ssl.py makes before calling _ssl.
func goError(status Status, class, msg string) *Error {
	e := &Error{Class: class, Message: msg, Status: status, VerifyCode: -1, Args: Tuple{Str(msg)}}
	if classes[class] != nil && classes[class].IsSubclass(SSLError) {
		// SSLError.__str__ of an exception made with one argument is
		// str(args), as when ssl.py raises SSLError('...').
		e.Message = Tuple{Str(msg)}.Repr()
	}
	return e
}
