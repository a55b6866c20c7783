package pyssl

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// bioPump runs an SSLObject's calls over a net.Conn the way an asyncio-like
// Go host would: flush the outgoing BIO, and on SSLWantReadError feed the
// incoming BIO from the connection (write_eof at its end).
type bioPump struct {
	s       *Socket
	in, out *MemoryBIO
	conn    net.Conn
}

func (p *bioPump) flush() error {
	data, err := p.out.Read(-1)
	if err != nil || len(data) == 0 {
		return err
	}
	_, err = p.conn.Write(data)
	return err
}

func (p *bioPump) do(op func() error) error {
	for i := 0; i < maxReads; i++ {
		err := op()
		if ferr := p.flush(); ferr != nil {
			return ferr
		}
		if !errors.Is(err, SSLWantReadError) {
			return err
		}
		buf := make([]byte, 16384)
		n, rerr := p.conn.Read(buf)
		if n > 0 {
			if _, err := p.in.Write(buf[:n]); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			if err := p.in.WriteEOF(); err != nil {
				return err
			}
		} else if rerr != nil {
			return rerr
		}
	}
	return fmt.Errorf("bioPump: no progress after %d rounds", maxReads)
}

func (p *bioPump) DoHandshake() error { return p.do(p.s.DoHandshake) }
func (p *bioPump) Shutdown() error    { return p.do(p.s.Shutdown) }
func (p *bioPump) Read(b []byte) (n int, err error) {
	err = p.do(func() error { n, err = p.s.Read(b); return err })
	return n, err
}
func (p *bioPump) Write(b []byte) (n int, err error) {
	err = p.do(func() error { n, err = p.s.Write(b); return err })
	return n, err
}

// pysslBIOClient is pysslClient over memory BIOs (one connection).
func pysslBIOClient(t *testing.T, port int, cfg peerConfig, compat Compat) obs {
	t.Helper()
	ctx, err := pysslContext(cfg, false, compat)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ioTimeout))
	in, err := NewMemoryBIO()
	if err != nil {
		t.Fatal(err)
	}
	out, err := NewMemoryBIO()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ctx.WrapBIO(in, out, false, cfg.ServerHostname)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	defer out.Close()
	defer s.Close()
	var o obs
	pysslClientConn(s, &bioPump{s: s, in: s.in, out: s.out, conn: conn}, cfg, &o)
	return o
}

func TestBIOClientScenariosAgainstPythonServer(t *testing.T) {
	for _, sc := range clientScenarios {
		if sc.client.Resume {
			continue // one connection per BIO pair here
		}
		sc := sc
		t.Run(sc.name, func(t *testing.T) {
			srv := startPyServer(t, sc.server)
			py := runPyClient(t, srv.port, sc.client)
			sawPy := srv.wait(t)
			srv = startPyServer(t, sc.server)
			ps := pysslBIOClient(t, srv.port, sc.client, Compat311)
			sawPs := srv.wait(t)
			compareObs(t, "client over memory BIOs", py, ps)
			for i := range sawPy {
				compareObs(t, "python server", sawPy[i], sawPs[i])
			}
		})
	}
}

// Two SSLObjects in one process, the server's output fed to the client
// and back: no sockets at all.
func TestBIOPairInProcess(t *testing.T) {
	cctx, err := NewContext(ProtocolTLSClient)
	if err != nil {
		t.Fatal(err)
	}
	defer cctx.Close()
	if err := cctx.LoadVerifyLocations(certPath("ca.pem"), ""); err != nil {
		t.Fatal(err)
	}
	sctx, err := NewContext(ProtocolTLSServer)
	if err != nil {
		t.Fatal(err)
	}
	defer sctx.Close()
	if err := sctx.LoadCertChain(certPath("server.pem"), certPath("server.key")); err != nil {
		t.Fatal(err)
	}
	bio := func() *MemoryBIO {
		b, err := NewMemoryBIO()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c2s, s2c := bio(), bio()
	cl, err := cctx.WrapBIO(s2c, c2s, false, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sv, err := sctx.WrapBIO(c2s, s2c, true, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sv.Close()

	// Before any byte: SSLWantReadError, and getpeercert() is a ValueError,
	// as Python's facts say (TestErrorsMatchPython checks the texts).
	if err := cl.DoHandshake(); !errors.Is(err, SSLWantReadError) || !IsWant(err) {
		t.Fatalf("first handshake step: %v", err)
	}
	if _, err := cl.GetPeerCert(false); !errors.Is(err, ValueError) {
		t.Fatalf("getpeercert() before the handshake: %v", err)
	}
	// Alternate until both are done; every round moves bytes one way.
	var cerr, serr error = cl.DoHandshake(), sv.DoHandshake()
	for i := 0; i < 20 && (cerr != nil || serr != nil); i++ {
		if cerr != nil {
			cerr = cl.DoHandshake()
		}
		if serr != nil {
			serr = sv.DoHandshake()
		}
		if (cerr != nil && !IsWant(cerr)) || (serr != nil && !IsWant(serr)) {
			t.Fatalf("handshake: client %v, server %v", cerr, serr)
		}
	}
	if cerr != nil || serr != nil {
		t.Fatalf("handshake did not finish: %v / %v", cerr, serr)
	}
	cert, err := cl.GetPeerCert(false)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := TestDecodeCert(certPath("server.pem"))
	if err != nil {
		t.Fatal(err)
	}
	// A verified peer's dict is _test_decode_cert's of the same file.
	want(t, cert.Repr(), decoded.Repr())
	if _, err := cl.Write([]byte("over memory")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, err := sv.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	want(t, string(buf[:n]), "over memory")
	// unwrap(): the client's close_notify, then the server's reply.
	if err := cl.Shutdown(); !IsWant(err) {
		t.Fatalf("client shutdown before the reply: %v", err)
	}
	if _, err := sv.Read(buf); err != io.EOF {
		t.Fatalf("server read after close_notify: %v (want io.EOF, Python's b'')", err)
	}
	if err := sv.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if err := cl.Shutdown(); err != nil {
		t.Fatal(err)
	}
	pending, err := c2s.Pending()
	if err != nil || pending != 0 {
		t.Errorf("c2s pending %d, %v", pending, err)
	}
	if err := c2s.WriteEOF(); err != nil {
		t.Fatal(err)
	}
	eof, err := c2s.EOF()
	if err != nil || !eof {
		t.Errorf("eof after write_eof: %v %v", eof, err)
	}
	_, err = c2s.Write([]byte("x"))
	if !errors.Is(err, SSLError) || !strings.Contains(err.Error(), "cannot write() after write_eof()") {
		t.Errorf("write after write_eof: %v", err)
	}
}
