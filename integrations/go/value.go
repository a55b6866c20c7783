package pyssl

import (
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Value is a Python value as pyssl returns it: None, Bool, Int, Str,
// Bytes, Tuple, List or Dict. Repr is Python's repr().
type Value interface {
	Repr() string
	writeRepr(b *strings.Builder)
}

// None is Python's None.
type None struct{}

// Bool is a Python bool.
type Bool bool

// Int is a Python int of any size.
type Int struct{ v *big.Int }

// Str is a Python str (UTF-8).
type Str string

// Bytes is a Python bytes.
type Bytes []byte

// Tuple is a Python tuple.
type Tuple []Value

// List is a Python list.
type List []Value

// Item is one entry of a Dict.
type Item struct {
	Key   Value
	Value Value
}

// Dict is a Python dict; Items keeps insertion order, as Python does.
type Dict struct{ Items []Item }

// NewInt makes an Int.
func NewInt(i int64) Int { return Int{big.NewInt(i)} }

// Big is the value as a new *big.Int.
func (i Int) Big() *big.Int {
	if i.v == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(i.v)
}

// Int64 is the value, and whether it fits.
func (i Int) Int64() (int64, bool) {
	if i.v == nil {
		return 0, true
	}
	return i.v.Int64(), i.v.IsInt64()
}

// Get is d[key] for a str key.
func (d Dict) Get(key string) (Value, bool) {
	for _, it := range d.Items {
		if k, ok := it.Key.(Str); ok && string(k) == key {
			return it.Value, true
		}
	}
	return nil, false
}

// Keys are the keys in order.
func (d Dict) Keys() []Value {
	out := make([]Value, len(d.Items))
	for i, it := range d.Items {
		out[i] = it.Key
	}
	return out
}

func repr(v Value) string {
	var b strings.Builder
	v.writeRepr(&b)
	return b.String()
}

func (v None) Repr() string   { return "None" }
func (v Bool) Repr() string   { return repr(v) }
func (v Int) Repr() string    { return repr(v) }
func (v Str) Repr() string    { return repr(v) }
func (v Bytes) Repr() string  { return repr(v) }
func (v Tuple) Repr() string  { return repr(v) }
func (v List) Repr() string   { return repr(v) }
func (v Dict) Repr() string   { return repr(v) }
func (v None) String() string { return "None" }

func (v None) writeRepr(b *strings.Builder) { b.WriteString("None") }

func (v Bool) writeRepr(b *strings.Builder) {
	if v {
		b.WriteString("True")
	} else {
		b.WriteString("False")
	}
}

func (v Int) writeRepr(b *strings.Builder) {
	if v.v == nil {
		b.WriteString("0")
		return
	}
	b.WriteString(v.v.String())
}

// Python's unicode_repr: the quote is ' unless the text has ' and no ".
func (v Str) writeRepr(b *strings.Builder) {
	s := string(v)
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	b.WriteRune(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Not UTF-8: pyssl never returns this; show the byte as
			// Python shows an unprintable Latin-1 character.
			fmt.Fprintf(b, "\\x%02x", s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(b, "\\x%02x", r)
		case r < 0x7f:
			b.WriteRune(r)
		case IsPrintable(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(b, "\\x%02x", r)
		case r <= 0xffff:
			fmt.Fprintf(b, "\\u%04x", r)
		default:
			fmt.Fprintf(b, "\\U%08x", r)
		}
	}
	b.WriteRune(quote)
}

// Python's bytes_repr: same quote rule, everything outside printable
// ASCII as \xhh.
func (v Bytes) writeRepr(b *strings.Builder) {
	quote := byte('\'')
	if strings.IndexByte(string(v), '\'') >= 0 && strings.IndexByte(string(v), '"') < 0 {
		quote = '"'
	}
	b.WriteByte('b')
	b.WriteByte(quote)
	for _, c := range v {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < ' ' || c >= 0x7f:
			fmt.Fprintf(b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
}

func writeSeq(b *strings.Builder, open, close string, items []Value) {
	b.WriteString(open)
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		it.writeRepr(b)
	}
	b.WriteString(close)
}

func (v Tuple) writeRepr(b *strings.Builder) {
	if len(v) == 1 {
		b.WriteByte('(')
		v[0].writeRepr(b)
		b.WriteString(",)")
		return
	}
	writeSeq(b, "(", ")", v)
}

func (v List) writeRepr(b *strings.Builder) { writeSeq(b, "[", "]", v) }

func (v Dict) writeRepr(b *strings.Builder) {
	b.WriteByte('{')
	for i, it := range v.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		it.Key.writeRepr(b)
		b.WriteString(": ")
		it.Value.writeRepr(b)
	}
	b.WriteByte('}')
}

// IsPrintable is Python 3.11's str.isprintable() for one character. Go's
// unicode.IsPrint has the same rule, but on the Unicode version of the Go
// release (13.0 in Go 1.19, Python 3.11 has 14.0), so the table comes from
// Python itself (gen_printable.py).
func IsPrintable(r rune) bool {
	return !unicode.Is(nonPrintable, r)
}
