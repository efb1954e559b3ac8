//go:build interop

// Package interop runs posta's protocol packages against real servers:
// Dovecot (IMAP, POP3, LMTP) and Postfix (submission, SMTPS) started on
// 127.0.0.1 by scripts/mailstack.sh. The tests are skipped unless the
// MAILSTACK_* variables printed by `mailstack.sh env` are set:
//
//	bash scripts/mailstack.sh up && eval "$(bash scripts/mailstack.sh env)"
//	go test -tags interop -count=1 -v ./interop/
//	bash scripts/mailstack.sh down
//
// Only the stack's test CA (MAILSTACK_CA) is trusted; certificate
// verification is never skipped.
package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posta-mail/posta/internal/selfsigned"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
	"github.com/posta-mail/posta/protocols/smtp"
)

// The stack's users (see scripts/mailstack.sh).
const (
	alice      = "alice@example.test"
	alicePass  = "alicepw"
	bob        = "bob@example.test"
	bobPass    = "bobpw"
	inbox      = "INBOX"
	deliveryIn = 10 * time.Second // how long delivery through Postfix may take
)

// stack is the running mail stack as described by the environment.
type stack struct {
	imapTLS, imapStartTLS string
	pop3TLS, pop3STLS     string
	submission, smtps     string
	roots                 *x509.CertPool
}

// requireStack returns the stack or skips the test when it is not running.
func requireStack(t *testing.T) *stack {
	t.Helper()
	if os.Getenv("MAILSTACK_IMAP") == "" {
		t.Skip("MAILSTACK_IMAP not set: run scripts/mailstack.sh up and eval its env")
	}
	caFile := os.Getenv("MAILSTACK_CA")
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("read MAILSTACK_CA: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("MAILSTACK_CA %s holds no certificate", caFile)
	}
	s := &stack{
		imapTLS:      mustEnv(t, "MAILSTACK_IMAP"),
		imapStartTLS: mustEnv(t, "MAILSTACK_IMAP_STARTTLS"),
		pop3TLS:      mustEnv(t, "MAILSTACK_POP3"),
		pop3STLS:     mustEnv(t, "MAILSTACK_POP3_STLS"),
		submission:   mustEnv(t, "MAILSTACK_SMTP"),
		smtps:        mustEnv(t, "MAILSTACK_SMTPS"),
		roots:        roots,
	}
	return s
}

func mustEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s not set (MAILSTACK_IMAP is): eval \"$(bash scripts/mailstack.sh env)\"", name)
	}
	return v
}

// endpoint builds an Endpoint for addr that trusts only roots.
func endpoint(t *testing.T, addr string, sec protocols.Security, user, pass string, roots *x509.CertPool) protocols.Endpoint {
	t.Helper()
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("bad address %q: %v", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatalf("bad port in %q: %v", addr, err)
	}
	return protocols.Endpoint{
		Host:      host,
		Port:      port,
		Security:  sec,
		TLSConfig: &tls.Config{RootCAs: roots},
		Username:  user,
		Password:  func(context.Context) (string, error) { return pass, nil },
		Timeout:   10 * time.Second,
	}
}

// imapFetcher returns an IMAP fetcher closed at the end of the test.
func (s *stack) imapFetcher(t *testing.T, sec protocols.Security, user, pass string) *imap.Fetcher {
	t.Helper()
	addr := s.imapTLS
	if sec == protocols.SecurityStartTLS {
		addr = s.imapStartTLS
	}
	f := imap.New(imap.Options{Endpoint: endpoint(t, addr, sec, user, pass, s.roots)})
	t.Cleanup(func() { f.Close() })
	return f
}

// sender returns an SMTP sender for alice on submission (STARTTLS) or
// SMTPS (implicit TLS).
func (s *stack) sender(t *testing.T, sec protocols.Security, pass string) *smtp.Sender {
	t.Helper()
	addr := s.submission
	if sec == protocols.SecurityTLS {
		addr = s.smtps
	}
	return smtp.New(smtp.Options{Endpoint: endpoint(t, addr, sec, alice, pass, s.roots)})
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var messageSeq atomic.Int64

// testMessage is a message the tests send and then look for.
type testMessage struct {
	Subject string
	Body    string // CRLF line endings, as it travels
	Raw     string
}

// newMessage builds a unique message from alice to `to`. The body has
// lines SMTP must escape (a leading dot, a lone dot), trailing spaces and
// 8-bit UTF-8 text.
func newMessage(t *testing.T, to string) testMessage {
	t.Helper()
	token := fmt.Sprintf("%s-%d-%d", t.Name(), time.Now().UnixNano(), messageSeq.Add(1))
	subject := "interop " + token
	body := strings.Join([]string{
		"Hello Bob,",
		"",
		".a line starting with a dot",
		".",
		"trailing spaces   ",
		"tab\tseparated\tfields",
		"8-bit UTF-8: Grüße aus Zürich — 日本語",
		"token " + token,
		"",
	}, "\r\n")
	raw := strings.Join([]string{
		"From: Alice <" + alice + ">",
		"To: Bob <" + to + ">",
		"Subject: " + subject,
		"Date: " + time.Now().Format(time.RFC1123Z),
		"Message-ID: <" + strings.ReplaceAll(token, "/", ".") + "@example.test>",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		body,
	}, "\r\n")
	return testMessage{Subject: subject, Body: body, Raw: raw}
}

// bodyAfterHeader returns the part of a raw message after the first blank
// line, or fails the test.
func bodyAfterHeader(t *testing.T, raw []byte) []byte {
	t.Helper()
	_, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("message has no header/body separator:\n%q", raw)
	}
	return body
}

// headerCache is a minimal in-memory cache of one folder, enough to drive
// incremental Sync calls.
type headerCache struct {
	folder  string
	state   protocols.FolderState
	headers map[string]mail.Header
}

func newHeaderCache(folder string) *headerCache {
	return &headerCache{folder: folder, headers: map[string]mail.Header{}}
}

func (c *headerCache) request() protocols.SyncRequest {
	state := c.state
	state.Known = func(uid string) bool { _, ok := c.headers[uid]; return ok }
	state.KnownUIDs = make([]string, 0, len(c.headers))
	for uid := range c.headers {
		state.KnownUIDs = append(state.KnownUIDs, uid)
	}
	return protocols.SyncRequest{Folder: c.folder, State: state}
}

// sync runs one Sync, applies its result and returns it with the headers
// that arrived.
func (c *headerCache) sync(ctx context.Context, f protocols.Fetcher) (protocols.SyncResult, []mail.Header, error) {
	req := c.request()
	var got []mail.Header
	req.Headers = func(hs []mail.Header) error { got = append(got, hs...); return nil }
	res, err := f.Sync(ctx, req)
	if err != nil {
		return res, got, err
	}
	if res.Reset {
		c.headers = map[string]mail.Header{}
	}
	for _, h := range got {
		c.headers[h.UID] = h
	}
	for uid, fl := range res.Flags {
		h := c.headers[uid]
		h.Flags = fl
		c.headers[uid] = h
	}
	for _, uid := range res.Vanished {
		delete(c.headers, uid)
	}
	c.state.UIDValidity, c.state.HighestModSeq = res.UIDValidity, res.HighestModSeq
	return res, got, nil
}

// find returns the cached header with the subject.
func (c *headerCache) find(subject string) (mail.Header, bool) {
	for _, h := range c.headers {
		if h.Subject == subject {
			return h, true
		}
	}
	return mail.Header{}, false
}

// waitForSubject syncs until a message with subject arrives in the
// cache's folder or deliveryIn passes.
func waitForSubject(t *testing.T, ctx context.Context, f protocols.Fetcher, c *headerCache, subject string) mail.Header {
	t.Helper()
	deadline := time.Now().Add(deliveryIn)
	for {
		if _, _, err := c.sync(ctx, f); err != nil {
			t.Fatalf("Sync(%s): %v", c.folder, err)
		}
		if h, ok := c.find(subject); ok {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %q in %s after %v (cache holds %d)", subject, c.folder, deliveryIn, len(c.headers))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fetchBody reads the whole raw message uid in folder through f.
func fetchBody(t *testing.T, ctx context.Context, f protocols.Fetcher, folder, uid string) []byte {
	t.Helper()
	rc, err := f.FetchBody(ctx, folder, uid)
	if err != nil {
		t.Fatalf("FetchBody(%s, %s): %v", folder, uid, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read body of %s/%s: %v", folder, uid, err)
	}
	return b
}

// untrustedRoots returns a pool holding only a freshly made CA that
// signed nothing the stack serves.
func untrustedRoots(t *testing.T) *x509.CertPool {
	t.Helper()
	c, err := selfsigned.New("not the mailstack CA")
	if err != nil {
		t.Fatal(err)
	}
	return c.Pool
}
