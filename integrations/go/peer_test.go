package pyssl

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ioTimeout bounds every socket operation of a scenario (Python's peer
// uses the same), so a broken peer fails a test instead of hanging it.
const ioTimeout = 20 * time.Second

// maxReads bounds every read loop.
const maxReads = 1000

// peerConfig is one side of a scenario; testdata/peer.py reads the same
// JSON, so that Python, pyssl and crypto/tls play identical parts.
type peerConfig struct {
	CertDir        string   `json:"certdir"`
	ServerHostname string   `json:"server_hostname,omitempty"` // "" is None
	CAFile         string   `json:"cafile,omitempty"`
	CertFile       string   `json:"certfile,omitempty"`
	KeyFile        string   `json:"keyfile,omitempty"`
	VerifyMode     *int     `json:"verify_mode,omitempty"`
	CheckHostname  *bool    `json:"check_hostname,omitempty"`
	ALPN           []string `json:"alpn,omitempty"`
	Ciphers        string   `json:"ciphers,omitempty"`
	MaxTLS12       bool     `json:"max_tls12,omitempty"`
	Send           string   `json:"send,omitempty"`        // client: write, read the echo; server: write
	Echo           bool     `json:"echo,omitempty"`        // server: echo until b''
	ReadToEOF      bool     `json:"read_to_eof,omitempty"` // client: read until b'' or an error
	Shutdown       bool     `json:"shutdown,omitempty"`    // unwrap at the end
	Close          string   `json:"close,omitempty"`       // server after Send: "notify" or "ragged"
	Resume         bool     `json:"resume,omitempty"`      // client: a second connection resuming the session
	Count          int      `json:"count,omitempty"`       // server: connections to serve
}

func (c peerConfig) json() string {
	c.CertDir = certDir
	b, err := json.Marshal(c)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func intp(i int) *int    { return &i }
func boolp(b bool) *bool { return &b }

// errObs is an exception as a Python program sees it.
type errObs struct {
	Class         string  `json:"class"`
	Message       string  `json:"message"`
	Errno         *int    `json:"errno"`
	Library       *string `json:"library"`
	Reason        *string `json:"reason"`
	VerifyCode    *int64  `json:"verify_code"`
	VerifyMessage *string `json:"verify_message"`
}

func (e *errObs) String() string {
	if e == nil {
		return "-"
	}
	s := e.Class + ": " + e.Message
	opt := func(name string, p *string) {
		if p != nil {
			s += fmt.Sprintf(" %s=%s", name, *p)
		}
	}
	if e.Errno != nil {
		s += fmt.Sprintf(" errno=%d", *e.Errno)
	}
	opt("library", e.Library)
	opt("reason", e.Reason)
	if e.VerifyCode != nil {
		s += fmt.Sprintf(" verify_code=%d", *e.VerifyCode)
	}
	opt("verify_message", e.VerifyMessage)
	return s
}

// obs is what one side of a scenario saw.
type obs struct {
	Version     string   `json:"version"`
	Cipher      string   `json:"cipher"`
	PeerCert    string   `json:"peercert"`
	DerSHA256   string   `json:"der_sha256"`
	ALPN        string   `json:"alpn"`
	Echo        string   `json:"echo"`
	Reads       []string `json:"reads"`
	Error       *errObs  `json:"error"`
	Step        string   `json:"step"`
	Shutdown    string   `json:"shutdown"`
	Reused      *bool    `json:"reused"`
	SecondError *errObs  `json:"second_error"`

	// Taken before unwrap(), as peer.py does (pyssl only).
	session *Session
	reused  bool
}

type field struct{ name, value string }

func (o obs) fields() []field {
	r := "-"
	if o.Reused != nil {
		r = strconv.FormatBool(*o.Reused)
	}
	reads := "-"
	if o.Reads != nil {
		reads = strings.Join(o.Reads, " ")
	}
	return []field{
		{"version", o.Version}, {"cipher", o.Cipher}, {"getpeercert()", o.PeerCert},
		{"sha256(getpeercert(True))", o.DerSHA256}, {"selected_alpn_protocol()", o.ALPN},
		{"echo", o.Echo}, {"reads", reads}, {"error", o.Error.String()}, {"error step", o.Step},
		{"unwrap()", o.Shutdown}, {"session_reused", r}, {"2nd connection error", o.SecondError.String()},
	}
}

// normMessage drops the source location CPython and pyssl append, as
// peer.py's norm() does.
func normMessage(m string) string {
	if i := strings.LastIndex(m, " ("); i >= 0 && strings.HasSuffix(m, ")") {
		loc := m[i+2 : len(m)-1]
		if c := strings.LastIndex(loc, ":"); c > 0 && !strings.Contains(loc, " ") && !strings.ContainsAny(loc, "()") {
			if _, err := strconv.Atoi(loc[c+1:]); err == nil {
				m = m[:i]
			}
		}
	}
	if c := strings.Index(m, ": "); c > 0 {
		head := m[:c]
		if k := strings.LastIndex(head, ":"); k > 0 && !strings.ContainsAny(head, " ") {
			if _, err := strconv.Atoi(head[k+1:]); err == nil {
				m = m[c+2:]
			}
		}
	}
	return m
}

func optStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// observeError turns a pyssl error into what Python shows.
func observeError(err error) *errObs {
	var e *Error
	if !errors.As(err, &e) {
		return &errObs{Class: fmt.Sprintf("Go %T", err), Message: err.Error()}
	}
	o := &errObs{Class: e.Class, Message: normMessage(e.Message), Library: optStr(e.Library),
		Reason: optStr(e.Reason)}
	if e.HasErrno {
		o.Errno = intp(e.Errno)
	}
	if e.Class == "SSLCertVerificationError" {
		vc := e.VerifyCode
		o.VerifyCode = &vc
		o.VerifyMessage = optStr(e.VerifyMessage)
	}
	return o
}

// compareObs fails the test on every field where pyssl differs from Python.
func compareObs(t *testing.T, what string, py, ps obs) {
	t.Helper()
	pf, sf := py.fields(), ps.fields()
	for i := range pf {
		if pf[i].value != sf[i].value {
			t.Errorf("%s: %s differs\n  python: %s\n  pyssl:  %s", what, pf[i].name, pf[i].value, sf[i].value)
		}
	}
}

// tlsObs is what the same scenario gives through Go's crypto/tls, in Go's
// own terms (there is no getpeercert() dict nor exception class).
type tlsObs struct {
	fields map[string]string
}

func (g *tlsObs) set(k, v string) {
	if g.fields == nil {
		g.fields = map[string]string{}
	}
	g.fields[k] = v
}

// sideBySide logs python / pyssl / crypto/tls for one scenario.
func sideBySide(t *testing.T, title string, py, ps obs, gt *tlsObs) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %q: python3.11 ssl | pyssl (Go) | Go crypto/tls\n", title)
	pf, sf := py.fields(), ps.fields()
	for i := range pf {
		g := "(n/a)"
		if gt != nil {
			if v, ok := gt.fields[pf[i].name]; ok {
				g = v
			}
		}
		if pf[i].value == "" && sf[i].value == "" && g == "(n/a)" {
			continue
		}
		mark := "=="
		if pf[i].value != sf[i].value {
			mark = "!="
		}
		fmt.Fprintf(&b, "  %-26s python: %s\n  %-26s pyssl%s %s\n  %-26s crypto/tls: %s\n",
			pf[i].name, pf[i].value, "", map[string]string{"==": ":  ", "!=": " !="}[mark], sf[i].value, "", g)
	}
	t.Log(b.String())
}

// --- Python peers ---------------------------------------------------------

// pyServer is a running `peer.py server`.
type pyServer struct {
	cmd    *exec.Cmd
	port   int
	lines  *bufio.Scanner
	stderr *bytes.Buffer
}

func startPyServer(t *testing.T, cfg peerConfig) *pyServer {
	t.Helper()
	if cfg.Count == 0 {
		cfg.Count = 1
	}
	cmd := exec.Command(python, peerScript, "server", cfg.json())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &pyServer{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.lines = bufio.NewScanner(out)
	s.lines.Buffer(make([]byte, 1<<20), 1<<20)
	if !s.lines.Scan() {
		cmd.Wait()
		t.Fatalf("python server did not start: %s", s.stderr)
	}
	if _, err := fmt.Sscanf(s.lines.Text(), "port %d", &s.port); err != nil {
		t.Fatalf("python server: %q: %v", s.lines.Text(), err)
	}
	return s
}

// wait collects the server's per-connection observations (it exits after
// its connections).
func (s *pyServer) wait(t *testing.T) []obs {
	t.Helper()
	var res []obs
	for s.lines.Scan() {
		var o obs
		if err := json.Unmarshal(s.lines.Bytes(), &o); err != nil {
			t.Fatalf("python server output %q: %v", s.lines.Text(), err)
		}
		res = append(res, o)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("python server: %v\n%s", err, s.stderr)
	}
	return res
}

func runPyClient(t *testing.T, port int, cfg peerConfig) obs {
	t.Helper()
	cmd := exec.Command(python, peerScript, "client", strconv.Itoa(port), cfg.json())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, stderr.String())
	}
	var o obs
	if err := json.Unmarshal(out, &o); err != nil {
		t.Fatalf("python client output %q: %v", out, err)
	}
	return o
}

// pyFacts is `peer.py facts`, run once.
var pyFactsCache map[string]json.RawMessage

func pyFacts(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	if pyFactsCache != nil {
		return pyFactsCache
	}
	cmd := exec.Command(python, peerScript, "facts", certDir)
	var names []string
	for n := range Classes() {
		names = append(names, n)
	}
	cmd.Stdin = strings.NewReader(strings.Join(names, " "))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python facts: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(out, &pyFactsCache); err != nil {
		t.Fatal(err)
	}
	return pyFactsCache
}

// --- the pyssl side ---------------------------------------------------------

// pysslContext is peer.py's make_ctx on pyssl.
func pysslContext(cfg peerConfig, server bool, compat Compat) (*Context, error) {
	proto := ProtocolTLSClient
	if server {
		proto = ProtocolTLSServer
	}
	ctx, err := NewContextCompat(proto, compat)
	if err != nil {
		return nil, err
	}
	steps := []func() error{
		func() error {
			if cfg.CheckHostname != nil {
				return ctx.SetCheckHostname(*cfg.CheckHostname)
			}
			return nil
		},
		func() error {
			if cfg.VerifyMode != nil {
				return ctx.SetVerifyMode(VerifyMode(*cfg.VerifyMode))
			}
			return nil
		},
		func() error {
			if cfg.CAFile != "" {
				return ctx.LoadVerifyLocations(certPath(cfg.CAFile), "")
			}
			return nil
		},
		func() error {
			if cfg.CertFile != "" {
				kf := ""
				if cfg.KeyFile != "" {
					kf = certPath(cfg.KeyFile)
				}
				return ctx.LoadCertChain(certPath(cfg.CertFile), kf)
			}
			return nil
		},
		func() error {
			if cfg.ALPN != nil {
				return ctx.SetALPNProtocols(cfg.ALPN)
			}
			return nil
		},
		func() error {
			if cfg.Ciphers != "" {
				return ctx.SetCiphers(cfg.Ciphers)
			}
			return nil
		},
		func() error {
			if cfg.MaxTLS12 {
				return ctx.SetMaximumVersion(TLSVersion1_2)
			}
			return nil
		},
	}
	for _, f := range steps {
		if err := f(); err != nil {
			ctx.Close()
			return nil, err
		}
	}
	return ctx, nil
}

// failed records err as the scenario's outcome at step.
func (o *obs) failed(step string, err error) bool {
	if err == nil {
		return false
	}
	o.Error = observeError(err)
	o.Step = step
	return true
}

// recordPyssl is peer.py's record() on pyssl; false (with o.Error set)
// if an accessor failed. No t.Fatal: servers run it on their goroutine.
func recordPyssl(s *Socket, o *obs) bool {
	v, ok := s.Version()
	if !ok {
		return o.failed("record", errors.New("version() is None after the handshake"))
	}
	o.Version = v
	c, err := s.CipherValue()
	if o.failed("record", err) {
		return false
	}
	o.Cipher = c.Repr()
	cert, err := s.GetPeerCert(false)
	if o.failed("record", err) {
		return false
	}
	o.PeerCert = cert.Repr()
	der, err := s.GetPeerCert(true)
	if o.failed("record", err) {
		return false
	}
	if b, ok := der.(Bytes); ok {
		sum := sha256.Sum256(b)
		o.DerSHA256 = hex.EncodeToString(sum[:])
	}
	alpn, ok, err := s.SelectedALPNProtocol()
	if o.failed("record", err) {
		return false
	}
	o.ALPN = "None"
	if ok {
		o.ALPN = Str(alpn).Repr()
	}
	return true
}

func readRepr(n int, err error, buf []byte) string {
	if err == io.EOF {
		return "b''"
	}
	return Bytes(buf[:n]).Repr()
}

// pysslClientConn is peer.py's client_conn on pyssl.
// tlsOps are the I/O calls of a scenario: a Socket's own, or a pump over
// memory BIOs.
type tlsOps interface {
	DoHandshake() error
	Read([]byte) (int, error)
	Write([]byte) (int, error)
	Shutdown() error
}

func pysslClientConn(s *Socket, ops tlsOps, cfg peerConfig, o *obs) {
	if o.failed("handshake", ops.DoHandshake()) || !recordPyssl(s, o) {
		return
	}
	if cfg.Send != "" {
		data := []byte(cfg.Send)
		if _, err := ops.Write(data); o.failed("write", err) {
			return
		}
		var got []byte
		for i := 0; i < maxReads && len(got) < len(data); i++ {
			buf := make([]byte, len(data)-len(got))
			n, err := ops.Read(buf)
			if err == io.EOF {
				break
			}
			if o.failed("read", err) {
				return
			}
			got = append(got, buf[:n]...)
		}
		o.Echo = Bytes(got).Repr()
	}
	if cfg.ReadToEOF {
		o.Reads = []string{}
		for i := 0; i < 10; i++ {
			buf := make([]byte, 1024)
			n, err := ops.Read(buf)
			if err != nil && err != io.EOF {
				o.failed("read", err)
				return
			}
			o.Reads = append(o.Reads, readRepr(n, err, buf))
			if err == io.EOF {
				break
			}
		}
	}
	if sess, err := s.Session(); o.failed("session", err) {
		return
	} else {
		o.session = sess
	}
	if r, err := s.SessionReused(); o.failed("session_reused", err) {
		return
	} else {
		o.reused = r
	}
	if cfg.Shutdown {
		if o.failed("shutdown", ops.Shutdown()) {
			return
		}
		o.Shutdown = "ok"
	}
}

// pysslClient is peer.py's client() on pyssl, over sockets.
func pysslClient(t *testing.T, port int, cfg peerConfig, compat Compat) obs {
	t.Helper()
	ctx, err := pysslContext(cfg, false, compat)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	var o obs
	var sess *Session
	attempts := 1
	if cfg.Resume {
		attempts = 2
	}
	for a := 0; a < attempts; a++ {
		connObs := &o
		if a > 0 {
			connObs = &obs{}
		}
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		s, err := ctx.Wrap(conn, false, cfg.ServerHostname)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetTimeout(ioTimeout); err != nil {
			t.Fatal(err)
		}
		if sess != nil {
			if err := s.SetSession(sess); err != nil {
				t.Fatal(err)
			}
		}
		pysslClientConn(s, s, cfg, connObs)
		if a == 0 {
			sess = connObs.session
		} else {
			r := connObs.reused
			o.Reused = &r
			o.SecondError = connObs.Error
			if connObs.session != nil {
				connObs.session.Close()
			}
		}
		s.Close()
		conn.Close()
	}
	if sess != nil {
		sess.Close()
	}
	return o
}

// pysslServerConn is peer.py's server_conn on pyssl.
func pysslServerConn(s *Socket, cfg peerConfig, o *obs) {
	if o.failed("handshake", s.DoHandshake()) || !recordPyssl(s, o) {
		return
	}
	if cfg.Echo {
		o.Reads = []string{}
		for i := 0; i < maxReads; i++ {
			buf := make([]byte, 16384)
			n, err := s.Read(buf)
			if err != nil && err != io.EOF {
				o.failed("read", err)
				return
			}
			o.Reads = append(o.Reads, readRepr(n, err, buf))
			if err == io.EOF {
				break
			}
			if _, err := s.Write(buf[:n]); o.failed("write", err) {
				return
			}
		}
	}
	if cfg.Send != "" {
		if _, err := s.Write([]byte(cfg.Send)); o.failed("write", err) {
			return
		}
	}
	if cfg.Close == "notify" || cfg.Shutdown {
		if o.failed("shutdown", s.Shutdown()) {
			return
		}
		o.Shutdown = "ok"
	}
}

// startPysslServer serves cfg.Count connections on a goroutine; the
// channel yields their observations once all are done.
func startPysslServer(t *testing.T, cfg peerConfig, compat Compat) (int, <-chan []obs) {
	t.Helper()
	ctx, err := pysslContext(cfg, true, compat)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	count := cfg.Count
	if count == 0 {
		count = 1
	}
	done := make(chan []obs, 1)
	go func() {
		defer ctx.Close()
		defer ln.Close()
		var res []obs
		for i := 0; i < count; i++ {
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(ioTimeout))
			conn, err := ln.Accept()
			if err != nil {
				res = append(res, obs{Error: observeError(err), Step: "accept"})
				break
			}
			var o obs
			s, err := ctx.Wrap(conn, true, "")
			if err == nil {
				err = s.SetTimeout(ioTimeout)
			}
			if err != nil {
				o.failed("wrap", err)
			} else {
				pysslServerConn(s, cfg, &o)
				s.Close()
			}
			conn.Close() // without close_notify unless Shutdown ran: "ragged"
			res = append(res, o)
		}
		done <- res
	}()
	return ln.Addr().(*net.TCPAddr).Port, done
}

// --- the crypto/tls side ----------------------------------------------------

var tlsVersionNames = map[uint16]string{
	tls.VersionTLS10: "TLS 1.0", tls.VersionTLS11: "TLS 1.1",
	tls.VersionTLS12: "TLS 1.2", tls.VersionTLS13: "TLS 1.3",
}

func goErr(err error) string {
	return fmt.Sprintf("%T: %v", err, err)
}

// cryptoTLSClient plays the client part with Go's crypto/tls, for the log.
func cryptoTLSClient(t *testing.T, port int, cfg peerConfig) *tlsObs {
	t.Helper()
	g := &tlsObs{}
	conf := &tls.Config{ServerName: cfg.ServerHostname, NextProtos: cfg.ALPN}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(certPath(cfg.CAFile))
		if err != nil {
			t.Fatal(err)
		}
		conf.RootCAs = x509.NewCertPool()
		conf.RootCAs.AppendCertsFromPEM(pem)
	} else {
		conf.RootCAs = x509.NewCertPool() // an empty store, as a fresh SSLContext has
	}
	if cfg.VerifyMode != nil && *cfg.VerifyMode == 0 {
		conf.InsecureSkipVerify = true
	}
	if cfg.CertFile != "" {
		c, err := tls.LoadX509KeyPair(certPath(cfg.CertFile), certPath(cfg.KeyFile))
		if err != nil {
			t.Fatal(err)
		}
		conf.Certificates = []tls.Certificate{c}
	}
	if cfg.MaxTLS12 {
		conf.MaxVersion = tls.VersionTLS12
	}
	if cfg.Ciphers != "" {
		g.set("cipher", "(set_ciphers has no crypto/tls equivalent: OpenSSL cipher strings)")
	}
	if cfg.Resume {
		conf.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	}
	attempts := 1
	if cfg.Resume {
		attempts = 2
	}
	for a := 0; a < attempts; a++ {
		raw, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		raw.SetDeadline(time.Now().Add(ioTimeout))
		c := tls.Client(raw, conf)
		cryptoTLSConn(c, cfg, g, a)
		c.Close()
	}
	return g
}

func cryptoTLSConn(c *tls.Conn, cfg peerConfig, g *tlsObs, attempt int) {
	fail := func(step string, err error) bool {
		if err == nil {
			return false
		}
		name := "error"
		if attempt > 0 {
			name = "2nd connection error"
		} else {
			g.set("error step", step)
		}
		g.set(name, goErr(err))
		return true
	}
	if fail("handshake", c.Handshake()) {
		return
	}
	st := c.ConnectionState()
	if attempt > 0 {
		g.set("session_reused", strconv.FormatBool(st.DidResume))
		return
	}
	g.set("version", tlsVersionNames[st.Version])
	if _, ok := g.fields["cipher"]; !ok {
		g.set("cipher", tls.CipherSuiteName(st.CipherSuite))
	}
	if len(st.PeerCertificates) > 0 {
		pc := st.PeerCertificates[0]
		g.set("getpeercert()", fmt.Sprintf("x509.Certificate{Subject: %q, Issuer: %q, DNSNames: %q, NotAfter: %s}",
			pc.Subject.String(), pc.Issuer.String(), pc.DNSNames, pc.NotAfter.UTC().Format(time.RFC3339)))
		sum := sha256.Sum256(pc.Raw)
		g.set("sha256(getpeercert(True))", hex.EncodeToString(sum[:]))
	}
	g.set("selected_alpn_protocol()", strconv.Quote(st.NegotiatedProtocol))
	if cfg.Send != "" {
		data := []byte(cfg.Send)
		if _, err := c.Write(data); fail("write", err) {
			return
		}
		got := make([]byte, len(data))
		n, err := io.ReadFull(c, got)
		g.set("echo", strconv.Quote(string(got[:n])))
		if fail("read", err) {
			return
		}
	}
	if cfg.ReadToEOF {
		var reads []string
		for i := 0; i < 10; i++ {
			buf := make([]byte, 1024)
			n, err := c.Read(buf)
			if n > 0 {
				reads = append(reads, strconv.Quote(string(buf[:n])))
			}
			if err == io.EOF {
				reads = append(reads, "io.EOF")
				break
			}
			if fail("read", err) {
				break
			}
		}
		g.set("reads", strings.Join(reads, " "))
	}
	if cfg.Shutdown {
		// crypto/tls has no unwrap(): CloseWrite sends close_notify, and
		// the peer's close_notify shows as io.EOF.
		if fail("shutdown", c.CloseWrite()) {
			return
		}
		_, err := c.Read(make([]byte, 1))
		if err == io.EOF {
			g.set("unwrap()", "CloseWrite, then io.EOF")
		} else {
			fail("shutdown", err)
		}
	}
}
