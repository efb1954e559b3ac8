package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// evil is what a hostile server (or a man in the middle) puts in every
// text it sends: OSC 52 (write the clipboard), a window title, a screen
// clear, and CSI as a C1 character, in UTF-8 and as a raw byte.
const evil = "\x1b]52;c;Y3VybCB4fHNo\x07\x1b]0;pwned\x07\x1b[2J\xc2\x9b2J\x9b"

// lineServer listens on 127.0.0.1 (with TLS if cfg is not nil) and runs
// serve on each connection.
func lineServer(t *testing.T, cfg *tls.Config, serve func(c net.Conn, r *bufio.Reader)) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().(*net.TCPAddr).Port
}

// commands reads command lines and answers each with reply(tag, verb)
// (IMAP: "tag VERB ..."; SMTP, with smtp set: "VERB ..." and no tag); an
// empty reply ends the connection.
func commands(c net.Conn, r *bufio.Reader, smtp bool, reply func(tag, verb string) string) {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		tag, verb := "", ""
		if len(f) > 0 {
			tag, verb = f[0], strings.ToUpper(f[0])
		}
		if len(f) > 1 && !smtp {
			verb = strings.ToUpper(f[1])
		}
		out := reply(tag, verb)
		if out == "" {
			return
		}
		io.WriteString(c, out)
	}
}

// evilCert is a self-signed certificate whose names carry evil.
func evilCert(t *testing.T) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(7),
		Subject:               pkix.Name{CommonName: "mail\x1b]0;pwned\x07\u009b2J"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"x\x1b]0;pwned\x07.example", "y\x1b[2J.example"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// checkClean fails if out holds a control character other than newline
// and tab, a C1 character, or a byte that is not UTF-8.
func checkClean(t *testing.T, what, out string) {
	t.Helper()
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		bad := (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r == utf8.RuneError && size == 1)
		if bad {
			t.Errorf("%s: byte %q at %d reached the terminal:\n%q", what, out[i:i+size], i, out)
			return
		}
		i += size
	}
}

func TestNoServerTextReachesTheTerminalRaw(t *testing.T) {
	// IMAP that refuses STARTTLS, with a greeting and a refusal carrying evil.
	starttlsIMAP := lineServer(t, nil, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "* OK "+evil+" ready\r\n")
		commands(c, r, false, func(tag, verb string) string {
			if verb == "LOGOUT" {
				return ""
			}
			return tag + " BAD " + evil + "\r\n"
		})
	})
	// IMAP whose LOGIN NO carries evil.
	loginIMAP := lineServer(t, nil, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "* OK [CAPABILITY IMAP4rev1] "+evil+"\r\n")
		commands(c, r, false, func(tag, verb string) string {
			switch verb {
			case "CAPABILITY":
				return "* CAPABILITY IMAP4rev1\r\n" + tag + " OK " + evil + "\r\n"
			case "LOGIN":
				return tag + " NO [AUTHENTICATIONFAILED] " + evil + "\r\n"
			case "LOGOUT":
				return ""
			}
			return tag + " BAD " + evil + "\r\n"
		})
	})
	// IMAP over TLS whose certificate's names carry evil.
	cert, certPEM := evilCert(t)
	certIMAP := lineServer(t, &tls.Config{Certificates: []tls.Certificate{cert}}, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "* OK hi\r\n")
		io.Copy(io.Discard, r)
	})
	// SMTP that refuses STARTTLS with 454.
	starttlsSMTP := lineServer(t, nil, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "220 "+evil+"\r\n")
		commands(c, r, true, func(_, verb string) string {
			switch verb {
			case "EHLO":
				return "250-hi " + evil + "\r\n250 STARTTLS\r\n"
			case "STARTTLS":
				return "454 4.7.0 " + evil + "\r\n"
			case "QUIT":
				return ""
			}
			return "502 " + evil + "\r\n"
		})
	})
	// SMTP that refuses every recipient with evil.
	rcptSMTP := lineServer(t, nil, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "220 hi\r\n")
		commands(c, r, true, func(_, verb string) string {
			switch verb {
			case "EHLO":
				return "250-hi\r\n250 AUTH PLAIN\r\n"
			case "AUTH":
				return "235 ok\r\n"
			case "MAIL", "RSET", "NOOP":
				return "250 ok\r\n"
			case "RCPT":
				return "550 5.1.1 " + evil + "\r\n"
			case "QUIT":
				return ""
			}
			return "502 " + evil + "\r\n"
		})
	})

	dir := t.TempDir()
	caFile := filepath.Join(dir, "evil-ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`default_account = "a"
[[account]]
name = "a"
address = "a@example.org"
fetch = { kind = "imap", host = "127.0.0.1", port = %d, security = "starttls", username = "a", password = "secret-pass" }
smtp = { host = "127.0.0.1", port = %d, security = "starttls", username = "a", password = "secret-pass" }
[[account]]
name = "b"
address = "b@example.org"
fetch = { kind = "imap", host = "127.0.0.1", port = %d, security = "none", allow_plaintext_auth = true, username = "b", password = "secret-pass" }
smtp = { host = "127.0.0.1", port = %d, security = "none", allow_plaintext_auth = true, username = "b", password = "secret-pass" }
[[account]]
name = "c"
address = "c@example.org"
fetch = { kind = "imap", host = "localhost", port = %d, security = "tls", username = "c", password = "secret-pass", ca_file = %q }
smtp = { host = "127.0.0.1", port = %d, security = "none", allow_plaintext_auth = true, username = "c", password = "secret-pass" }
`, starttlsIMAP, starttlsSMTP, loginIMAP, rcptSMTP, certIMAP, caFile, rcptSMTP)
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	msg := func(from string) string {
		return "From: " + from + "\r\nTo: victim@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
	}
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"config", "check"}},
		{"", []string{"sync"}},
		{"", []string{"sync", "--account", "b"}},
		{msg("a@example.org"), []string{"send", "--account", "a"}},
		{msg("b@example.org"), []string{"send", "--account", "b"}},
		{"", []string{"outbox", "flush"}},
		{"", []string{"outbox"}},
		{"", []string{"accounts"}},
		{"", []string{"search", "hello"}},
	} {
		var out, errb bytes.Buffer
		g := &globals{stdin: strings.NewReader(c.stdin), stdout: &out, stderr: &errb}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		status := run(ctx, g, append([]string{"--config", cfgPath, "--cache-dir", cache}, c.args...))
		cancel()
		what := "posta " + strings.Join(c.args, " ")
		t.Logf("%s: status %d\nstdout: %s\nstderr: %s", what, status, out.String(), errb.String())
		checkClean(t, what+" stdout", out.String())
		checkClean(t, what+" stderr", errb.String())
	}
}
