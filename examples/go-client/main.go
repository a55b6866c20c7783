// The README demo from Go: connect, verify the server as Python's
// ssl.create_default_context() would, print the negotiated version, the
// cipher and getpeercert() exactly as Python prints them, echo a message
// and close the TLS session cleanly.
//
//	go-client HOST PORT CAFILE [SERVER_NAME] MESSAGE
//
// Built and run by integrations/go/test.sh; pair it with
// examples/echo_server.
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"pyssl"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		// Python's traceback ends this way: "Class: str(exc)".
		fmt.Fprintln(os.Stderr, err)
		var e *pyssl.Error
		if errors.As(err, &e) && errors.Is(err, pyssl.SSLCertVerificationError) {
			fmt.Fprintf(os.Stderr, "verify_code=%d verify_message=%q\n", e.VerifyCode, e.VerifyMessage)
		}
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 4 && len(args) != 5 {
		return errors.New("usage: go-client HOST PORT CAFILE [SERVER_NAME] MESSAGE")
	}
	host, port, cafile, message := args[0], args[1], args[2], args[len(args)-1]
	serverName := host
	if len(args) == 5 {
		serverName = args[3]
	}

	// ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT): CERT_REQUIRED and
	// check_hostname, as in Python.
	ctx, err := pyssl.NewContext(pyssl.ProtocolTLSClient)
	if err != nil {
		return err
	}
	defer ctx.Close()
	if err := ctx.LoadVerifyLocations(cafile, ""); err != nil {
		return err
	}

	conn, err := net.Dial("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	defer conn.Close()
	// s = ctx.wrap_socket(sock, server_hostname=serverName); s.settimeout(10)
	s, err := ctx.Wrap(conn, false, serverName)
	if err != nil {
		return err
	}
	defer s.Close()
	s.SetTimeout(10 * time.Second)
	if err := s.DoHandshake(); err != nil {
		return err
	}
	fmt.Printf("connected to %s port %s as %s\n", host, port, serverName)
	version, _ := s.Version()
	fmt.Printf("version: %s\n", version)
	cipher, err := s.CipherValue()
	if err != nil {
		return err
	}
	fmt.Printf("cipher: %s\n", cipher.Repr())
	cert, err := s.GetPeerCert(false)
	if err != nil {
		return err
	}
	fmt.Printf("peercert: %s\n", cert.Repr())

	if _, err := s.Write([]byte(message)); err != nil {
		return err
	}
	echo := make([]byte, len(message))
	if _, err := io.ReadFull(s, echo); err != nil {
		return err
	}
	fmt.Printf("received: %s\n", echo)
	// s.unwrap(): close_notify both ways.
	if err := s.Shutdown(); err != nil {
		return err
	}
	fmt.Println("shutdown: clean")
	return nil
}
