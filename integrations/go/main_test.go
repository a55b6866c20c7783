package pyssl

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// What every test shares, set up once by TestMain.
var (
	repoRoot   string // the pyssl checkout
	certDir    string // c-tests/gen_certs.sh's certificates, plus unicode.pem
	python     string // Debian's python3.11 (PYSSL_PYTHON overrides)
	peerScript string
	echoServer string // examples/echo_server.c, built against libpyssl
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "pyssl-go-test.")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := setup(tmp); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		return 1
	}
	// Every value that crosses from C is also printed by pyssl_value_repr
	// and compared with Repr (see convertRoot).
	checkRepr = true
	freedIDs = &sync.Map{}
	code := m.Run()
	if code == 0 {
		reprMu.Lock()
		defer reprMu.Unlock()
		if len(reprMismatches) > 0 {
			fmt.Fprintf(os.Stderr, "Repr differs from pyssl_value_repr for %d of %d values:\n", len(reprMismatches), reprChecked)
			for _, m := range reprMismatches {
				fmt.Fprintln(os.Stderr, m)
			}
			return 1
		}
		if reprChecked == 0 && !isFiltered() {
			fmt.Fprintln(os.Stderr, "no value was checked against pyssl_value_repr")
			return 1
		}
		fmt.Printf("Repr matched pyssl_value_repr on all %d values from C\n", reprChecked)
	}
	return code
}

// isFiltered reports a -run selection, where the tests run may see no value.
func isFiltered() bool {
	f := flag.Lookup("test.run")
	return f != nil && f.Value.String() != ""
}

func setup(tmp string) error {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	peerScript = filepath.Join(repoRoot, "integrations", "go", "testdata", "peer.py")
	python = os.Getenv("PYSSL_PYTHON")
	if python == "" {
		python = "/usr/bin/python3.11"
	}
	if _, err := os.Stat(python); err != nil {
		return fmt.Errorf("python: %v (set PYSSL_PYTHON)", err)
	}
	// The repository's own certificates, made fresh as the C tests do.
	certDir = filepath.Join(tmp, "certs")
	if out, err := exec.Command("sh", filepath.Join(repoRoot, "c-tests", "gen_certs.sh"), "openssl", certDir).CombinedOutput(); err != nil {
		return fmt.Errorf("gen_certs.sh: %v\n%s", err, out)
	}
	if err := makeUnicodeCert(certDir); err != nil {
		return err
	}
	// The pyssl echo server of examples/, linked like this package.
	libDir := os.Getenv("PYSSL_LIB_DIR")
	if libDir == "" {
		return fmt.Errorf("PYSSL_LIB_DIR is not set: run integrations/go/test.sh")
	}
	echoServer = filepath.Join(tmp, "echo_server")
	cc := exec.Command("cc", "-std=c99", "-O1", "-o", echoServer,
		filepath.Join(repoRoot, "examples", "echo_server.c"),
		"-I"+filepath.Join(repoRoot, "include"), "-L"+libDir, "-Wl,-rpath,"+libDir, "-lpyssl")
	if out, err := cc.CombinedOutput(); err != nil {
		return fmt.Errorf("building examples/echo_server.c: %v\n%s", err, out)
	}
	return nil
}

// makeUnicodeCert writes unicode.pem: a self-signed certificate whose
// subject has the characters where repr() needs care (quotes, a
// non-printable Latin-1 space, a format character, a private-use one,
// one Unicode 14 added, an emoji and a plane-16 private-use one).
func makeUnicodeCert(dir string) error {
	subj := "/O=it's \"quoted\"/OU=caf\u00e9\u00a0nbsp\u200bzw/CN=\ue000\u0870\U0001f600\U0010fffd"
	key := filepath.Join(dir, "unicode.key")
	cmd := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-keyout", key, "-out", filepath.Join(dir, "unicode.pem"), "-days", "30",
		"-utf8", "-subj", subj)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("unicode.pem: %v\n%s", err, out)
	}
	return nil
}

func certPath(name string) string { return filepath.Join(certDir, name) }
