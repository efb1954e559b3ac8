package imap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/protocols"
)

// maddyBodyStructure is what maddy 0.8.1 answered for three malformed
// messages: a multipart with no parts, which go-imap refuses to parse.
const maddyBodyStructure = `("alternative" ("boundary" "x") NIL NIL NIL)`

// brokenFlags is a string where the FLAGS list belongs.
const brokenFlags = `"not a flag list"`

// headerFetchOnly applies rule to the answers of header fetches only (they
// carry the HEADER.FIELDS section), not to the FLAGS fetch of known
// messages, which is not made to survive a broken answer (yet).
func headerFetchOnly(rule func(imap.UID, string) string) func(imap.UID, string) string {
	return func(uid imap.UID, line string) string {
		if !strings.Contains(line, "HEADER.FIELDS") {
			return line
		}
		return rule(uid, line)
	}
}

// cutConnection, returned by a rewrite rule, makes the proxy drop the
// connection instead of sending the response.
const cutConnection = "\x00cut"

// rewriteProxy relays IMAP between the client and a server on 127.0.0.1
// and rewrites the first line of chosen FETCH responses: a server that
// answers some messages badly, made from a correct one.
type rewriteProxy struct {
	ln     net.Listener
	target string

	mu   sync.Mutex
	rule func(uid imap.UID, line string) string // nil: relay unchanged
	// lines, if set, rewrites every line the server sends (outside
	// literals) before rule.
	lines func(line string) string

	conns     atomic.Int32 // connections accepted
	fetches   atomic.Int32 // UID FETCH commands relayed
	searches  atomic.Int32 // UID SEARCH commands relayed
	rewritten atomic.Int32 // responses the rule changed
}

func startRewriteProxy(t *testing.T, target string) *rewriteProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rewriteProxy{ln: ln, target: target}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			p.conns.Add(1)
			mu.Lock()
			open = append(open, client, server)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); p.relay(client, server, false) }()
			go func() { defer wg.Done(); p.relay(server, client, true) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *rewriteProxy) setRule(rule func(uid imap.UID, line string) string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule = rule
}

func (p *rewriteProxy) endpoint() protocols.Endpoint {
	return protocols.Endpoint{
		Host: "127.0.0.1", Port: p.ln.Addr().(*net.TCPAddr).Port,
		Security: protocols.SecurityNone, AllowPlainAuth: true,
		Username: testUser, Timeout: 5 * time.Second,
		Password: func(context.Context) (string, error) { return testPassword, nil },
	}
}

var (
	literalRe    = regexp.MustCompile(`\{(\d+)\+?\}\r\n$`)
	fetchUIDRe   = regexp.MustCompile(`^\* \d+ FETCH \(.*?\bUID (\d+)`)
	uidFetchCmd  = regexp.MustCompile(`(?i)^\S+ UID FETCH `)
	uidSearchCmd = regexp.MustCompile(`(?i)^\S+ UID SEARCH `)
)

// relay copies src to dst line by line, passing literals through
// unchanged; fromServer says which way it runs.
func (p *rewriteProxy) relay(src, dst net.Conn, fromServer bool) {
	defer src.Close()
	defer dst.Close()
	br := bufio.NewReader(src)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if fromServer {
			p.mu.Lock()
			lines := p.lines
			p.mu.Unlock()
			if lines != nil {
				line = lines(line)
			}
			if m := fetchUIDRe.FindStringSubmatch(line); m != nil {
				uid, _ := strconv.ParseUint(m[1], 10, 32)
				p.mu.Lock()
				rule := p.rule
				p.mu.Unlock()
				if rule != nil {
					if out := rule(imap.UID(uid), line); out != line {
						p.rewritten.Add(1)
						if out == cutConnection {
							return
						}
						line = out
					}
				}
			}
		} else if uidFetchCmd.MatchString(line) {
			p.fetches.Add(1)
		} else if uidSearchCmd.MatchString(line) {
			p.searches.Add(1)
		}
		if _, err := io.WriteString(dst, line); err != nil {
			return
		}
		if m := literalRe.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			if _, err := io.CopyN(dst, br, n); err != nil {
				return
			}
		}
	}
}

// replaceItem replaces the parenthesized value of the FETCH item name in
// line with value; line is returned unchanged if it has no such item.
func replaceItem(line, name, value string) string {
	start := strings.Index(line, " "+name+" (")
	if start < 0 {
		return line
	}
	open := start + len(name) + 2
	depth, quoted := 0, false
	for i := open; i < len(line); i++ {
		switch c := line[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return line[:open] + value + line[i+1:]
			}
		}
	}
	return line
}

// breakItem returns a rule that replaces item name with value in the
// responses for uids.
func breakItem(name, value string, uids ...imap.UID) func(imap.UID, string) string {
	return func(uid imap.UID, line string) string {
		if !slices.Contains(uids, uid) {
			return line
		}
		return replaceItem(line, name, value)
	}
}

const attachedBody = `MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

see attached
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="a.pdf"

JVBERi0=
--b1--
`

// seedNumbered puts n messages "message 001"… in INBOX (UIDs 1..n);
// those in attached are multipart/mixed with a PDF.
func seedNumbered(t *testing.T, ts *testServer, n int, attached ...int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		raw := fmt.Sprintf("From: a@example.org\nTo: bob@example.org\nSubject: message %03d\nMessage-ID: <%d@example.org>\n", i, i)
		if slices.Contains(attached, i) {
			raw += attachedBody
		} else {
			raw += "\nbody\n"
		}
		ts.seed(t, "INBOX", raw, nil, internalDate)
	}
}

func checkSubjects(t *testing.T, cache *fakeCache) {
	t.Helper()
	for uid, h := range cache.headers {
		n, _ := strconv.Atoi(uid)
		if want := fmt.Sprintf("message %03d", n); h.Subject != want {
			t.Errorf("header %s: Subject = %q, want %q", uid, h.Subject, want)
		}
	}
}

func skippedUIDs(res protocols.SyncResult) []string {
	var uids []string
	for _, s := range res.Skipped {
		if s.Err == nil {
			uids = append(uids, s.UID+" (no error)")
			continue
		}
		uids = append(uids, s.UID)
	}
	slices.Sort(uids)
	return uids
}

// TestSyncRecoversMaddyBodyStructure: maddy's BODYSTRUCTURE with no parts
// (for three of 201 messages here) made go-imap reject the whole fetch.
// The header sync no longer asks for BODYSTRUCTURE: the 201 arrive in one
// connection, none is rewritten, and HasAttachment comes from
// Content-Type.
func TestSyncRecoversMaddyBodyStructure(t *testing.T) {
	ts := startServer(t)
	seedNumbered(t, ts, 201, 100, 101)
	proxy := startRewriteProxy(t, ts.tcpAddr.String())
	proxy.setRule(breakItem("BODYSTRUCTURE", maddyBodyStructure, 7, 100, 190))
	f := New(Options{Endpoint: proxy.endpoint(), BatchSize: 50})
	t.Cleanup(func() { f.Close() })
	cache := newFakeCache()

	res := cache.sync(t, f, "INBOX")
	if res.Added != 201 || len(cache.headers) != 201 || len(res.Skipped) != 0 {
		t.Fatalf("Sync() added %d, headers %d, skipped %v; want 201, 201, none", res.Added, len(cache.headers), res.Skipped)
	}
	if proxy.rewritten.Load() != 0 || proxy.conns.Load() != 1 {
		t.Fatalf("%d answers rewritten, %d connections; want BODYSTRUCTURE never asked for, one connection", proxy.rewritten.Load(), proxy.conns.Load())
	}
	t.Logf("%d fetches, %d connections", proxy.fetches.Load(), proxy.conns.Load())
	checkSubjects(t, cache)
	for uid, want := range map[string]bool{"7": false, "100": true, "101": true, "190": false} {
		if got := cache.headers[uid].HasAttachment; got != want {
			t.Errorf("header %s: HasAttachment = %v, want %v", uid, got, want)
		}
	}
	if last := cache.progress[len(cache.progress)-1]; last.Done != 201 || last.Total != 201 {
		t.Errorf("last progress = %+v, want 201 of 201", last)
	}

	res = cache.sync(t, f, "INBOX")
	if res.Added != 0 || len(res.Skipped) != 0 || len(res.Vanished) != 0 || len(cache.headers) != 201 {
		t.Errorf("resync = %+v, headers %d; want nothing new", res, len(cache.headers))
	}
}

// TestSyncSkipsUnreadableMessages: three of 201 messages get an answer
// go-imap cannot parse: a string for the FLAGS list, or junk before the UID (so go-imap never
// says which message broke, and the batch is split in halves). They are
// pinned down and reported with their UIDs, the other 198 are delivered,
// and every sync tries the three again until the server answers well.
func TestSyncSkipsUnreadableMessages(t *testing.T) {
	bad := []imap.UID{3, 120, 201}
	tests := []struct {
		name string
		rule func(imap.UID, string) string
	}{
		{"flags", headerFetchOnly(breakItem("FLAGS", brokenFlags, bad...))},
		{"before uid", headerFetchOnly(func(uid imap.UID, line string) string {
			if !slices.Contains(bad, uid) {
				return line
			}
			return strings.Replace(line, "FETCH (UID", "FETCH (X-BOGUS UID", 1)
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t)
			seedNumbered(t, ts, 201)
			proxy := startRewriteProxy(t, ts.tcpAddr.String())
			proxy.setRule(tt.rule)
			f := New(Options{Endpoint: proxy.endpoint(), BatchSize: 50})
			t.Cleanup(func() { f.Close() })
			cache := newFakeCache()
			want := []string{"120", "201", "3"}

			res := cache.sync(t, f, "INBOX")
			if got := skippedUIDs(res); !slices.Equal(got, want) {
				t.Fatalf("Skipped = %v, want %v", got, want)
			}
			if res.Added != 198 || len(cache.headers) != 198 {
				t.Fatalf("Sync() added %d, headers %d; want 198", res.Added, len(cache.headers))
			}
			for _, uid := range want {
				if _, ok := cache.headers[uid]; ok {
					t.Errorf("skipped message %s was delivered", uid)
				}
			}
			checkSubjects(t, cache)
			if last := cache.progress[len(cache.progress)-1]; last.Done != 201 {
				t.Errorf("last progress = %+v, want 201 done", last)
			}
			t.Logf("first sync: %d fetches, %d connections; skipped[0]: %v", proxy.fetches.Load(), proxy.conns.Load(), res.Skipped[0].Err)

			before := proxy.rewritten.Load()
			res = cache.sync(t, f, "INBOX")
			if got := skippedUIDs(res); !slices.Equal(got, want) || res.Added != 0 {
				t.Errorf("resync: Skipped = %v, Added = %d; want %v, 0", got, res.Added, want)
			}
			if proxy.rewritten.Load() == before {
				t.Error("resync did not fetch the skipped messages again")
			}

			proxy.setRule(nil) // the server mends its ways
			res = cache.sync(t, f, "INBOX")
			if res.Added != 3 || len(res.Skipped) != 0 || len(cache.headers) != 201 {
				t.Errorf("sync after repair = %+v, headers %d; want the 3 added", res, len(cache.headers))
			}
			checkSubjects(t, cache)
		})
	}
}

// TestSyncGivesUpOnServerThatBreaksEveryFetch: a server that breaks every
// header fetch (bad data, or a dropped connection) costs a bounded number
// of fetches and connections, then the sync fails; the Fetcher works
// again once the server does.
func TestSyncGivesUpOnServerThatBreaksEveryFetch(t *testing.T) {
	tests := []struct {
		name string
		rule func(imap.UID, string) string
	}{
		{"unparsable", headerFetchOnly(func(_ imap.UID, line string) string { return replaceItem(line, "FLAGS", brokenFlags) })},
		{"cut", func(imap.UID, string) string { return cutConnection }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t)
			seedNumbered(t, ts, 300)
			proxy := startRewriteProxy(t, ts.tcpAddr.String())
			proxy.setRule(tt.rule)
			f := New(Options{Endpoint: proxy.endpoint(), BatchSize: 100})
			t.Cleanup(func() { f.Close() })
			cache := newFakeCache()

			res, err := f.Sync(testCtx(t), cache.request("INBOX"))
			if err == nil || !strings.Contains(err.Error(), "giving up") {
				t.Fatalf("Sync() = %+v, %v; want an error that gives up", res, err)
			}
			// The failures, and the fetches sent ahead of the first one
			// (abandoned when it fails).
			if n := proxy.fetches.Load(); n > maxFetchFailures+fetchAhead {
				t.Errorf("%d fetches, want at most %d", n, maxFetchFailures+fetchAhead)
			}
			if n := proxy.conns.Load(); n > maxFetchFailures {
				t.Errorf("%d connections, want at most %d", n, maxFetchFailures)
			}
			if len(cache.headers) != 0 {
				t.Errorf("%d headers delivered from a server that broke them all", len(cache.headers))
			}

			proxy.setRule(nil)
			res = cache.sync(t, f, "INBOX")
			if res.Added != 300 || len(res.Skipped) != 0 {
				t.Errorf("sync after repair = added %d, skipped %v; want 300, none", res.Added, res.Skipped)
			}
		})
	}
}

// TestSyncSurvivesServerDyingOnEmptyMultipart: go-imap's own server
// panics on a multipart without parts when asked for its BODYSTRUCTURE
// and drops the connection mid-batch. Without BODYSTRUCTURE it serves the
// message, so the whole folder arrives.
func TestSyncSurvivesServerDyingOnEmptyMultipart(t *testing.T) {
	ts := startServer(t)
	seedNumbered(t, ts, 5)
	ts.seed(t, "INBOX", "From: a@example.org\nSubject: message 006\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=x\n\nno parts at all\n", nil, internalDate)
	for i := 7; i <= 9; i++ {
		ts.seed(t, "INBOX", fmt.Sprintf("From: a@example.org\nSubject: message %03d\n\nbody\n", i), nil, internalDate)
	}
	f := ts.fetcher(t, protocols.SecurityTLS)
	cache := newFakeCache()
	res := cache.sync(t, f, "INBOX")
	if res.Added != 9 || len(res.Skipped) != 0 {
		t.Fatalf("Sync() added %d, skipped %v; want 9, none", res.Added, res.Skipped)
	}
	checkSubjects(t, cache)
	if cache.headers["6"].HasAttachment {
		t.Error("multipart/alternative without parts has an attachment")
	}
}

// TestFetchBodyUnparsableAnswer: a body fetch whose answer go-imap cannot
// decode fails for that message only, and the next fetch works.
func TestFetchBodyUnparsableAnswer(t *testing.T) {
	ts := startServer(t)
	seedNumbered(t, ts, 3)
	proxy := startRewriteProxy(t, ts.tcpAddr.String())
	proxy.setRule(func(uid imap.UID, line string) string {
		if uid != 2 {
			return line
		}
		return strings.Replace(line, "UID 2 ", "UID 2 X-BOGUS (", 1)
	})
	f := New(Options{Endpoint: proxy.endpoint()})
	t.Cleanup(func() { f.Close() })
	ctx := testCtx(t)

	read := func(uid string) (string, error) {
		rc, err := f.FetchBody(ctx, "INBOX", uid)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		return string(b), err
	}
	if _, err := read("2"); err == nil || errors.Is(err, protocols.ErrNotFound) {
		t.Fatalf("FetchBody(2) error = %v, want a decoding error", err)
	}
	for _, uid := range []string{"3", "1"} {
		body, err := read(uid)
		if err != nil || !strings.Contains(body, "Subject: message 00"+uid) {
			t.Errorf("FetchBody(%s) after the broken one = %q, %v", uid, body, err)
		}
	}
	if proxy.rewritten.Load() == 0 {
		t.Error("the broken answer was not exercised")
	}
}

func TestAttachedByType(t *testing.T) {
	tests := []struct {
		name, fields string
		want         bool
	}{
		{"none", "", false},
		{"text", "Content-Type: text/plain; charset=utf-8", false},
		{"alternative", "Content-Type: multipart/alternative; boundary=x", false},
		{"mixed", "Content-Type: Multipart/Mixed; boundary=\"b\"", true},
		{"mixed, bad parameter", "Content-Type: multipart/mixed; boundary", true},
		{"pdf", "Content-Type: application/pdf", true},
		{"disposition", "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt", true},
		{"inline", "Content-Type: text/plain\r\nContent-Disposition: inline", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := parseHeaderFields([]byte(tt.fields + "\r\n\r\n"))
			if got := attachedByType(hdr); got != tt.want {
				t.Errorf("attachedByType(%q) = %v, want %v", tt.fields, got, tt.want)
			}
		})
	}
}
