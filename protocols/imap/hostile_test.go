package imap

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// A hostile IMAP server: it logs the client in, then does whatever the
// test's script says. Every case must end within its timeout with an
// error naming the server, and posta's heap must stay well under
// 200 MiB.

type hostileSession struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// next reads one command line and returns its tag and upper-cased name.
func (s *hostileSession) next() (tag, name, line string, ok bool) {
	l, err := s.r.ReadString('\n')
	if err != nil {
		return "", "", "", false
	}
	f := strings.Fields(l)
	if len(f) < 2 {
		return "", "", l, len(f) > 0
	}
	name = strings.ToUpper(f[1])
	if name == "UID" && len(f) > 2 {
		name += " " + strings.ToUpper(f[2])
	}
	return f[0], name, l, true
}

func (s *hostileSession) send(format string, args ...any) error {
	_, err := fmt.Fprintf(s.conn, format, args...)
	return err
}

// login answers CAPABILITY and LOGIN, and SELECT/EXAMINE with one
// message, until the command named until arrives; it returns its tag.
func (s *hostileSession) serve(until string) (string, bool) {
	for {
		tag, name, _, ok := s.next()
		if !ok {
			return "", false
		}
		switch name {
		case until:
			return tag, true
		case "CAPABILITY":
			s.send("* CAPABILITY IMAP4rev1 IDLE\r\n%s OK done\r\n", tag)
		case "LOGIN":
			s.send("%s OK logged in\r\n", tag)
		case "SELECT", "EXAMINE":
			s.send("* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n%s OK [READ-ONLY] done\r\n", tag)
		case "LOGOUT":
			s.send("* BYE bye\r\n%s OK done\r\n", tag)
			return "", false
		default:
			s.send("%s OK done\r\n", tag)
		}
	}
}

// endless writes chunk forever (until the client hangs up).
func (s *hostileSession) endless(chunk string) {
	b := []byte(strings.Repeat(chunk, max(1, 64<<10/len(chunk))))
	for {
		if _, err := s.conn.Write(b); err != nil {
			return
		}
	}
}

// hostileServer starts a server that greets with greeting (if not empty)
// and runs script on each connection.
func hostileServer(t *testing.T, greeting string, script func(s *hostileSession)) protocols.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				s := &hostileSession{t: t, conn: c, r: bufio.NewReader(c)}
				if greeting != "" {
					if err := s.send("%s", greeting); err != nil {
						return
					}
				}
				script(s)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return protocols.Endpoint{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Security: protocols.SecurityNone, AllowPlainAuth: true,
		Username: "bob", Timeout: 500 * time.Millisecond,
		Password: func(context.Context) (string, error) { return "pw", nil },
	}
}

// peakHeap runs fn and returns the largest HeapInuse seen while it ran.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	return peak.Load()
}

// checkHostile runs op against ep and checks that it fails within limit,
// with an error containing every one of want, with a bounded heap.
func checkHostile(t *testing.T, limit time.Duration, op func() error, want ...string) error {
	t.Helper()
	runtime.GC()
	var err error
	start := time.Now()
	peak := peakHeap(func() { err = op() })
	took := time.Since(start)
	if err == nil {
		t.Fatalf("the operation succeeded against a hostile server")
	}
	if limit *= raceSlowdown; took > limit {
		t.Errorf("it took %s to fail, want under %s (error: %v)", took, limit, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error = %q, want it to contain %q", err, w)
		}
	}
	if peak > 200<<20 {
		t.Errorf("peak heap %d MiB, want under 200 MiB", peak>>20)
	}
	t.Logf("error after %s, peak heap %d MiB: %v", took.Round(time.Millisecond), peak>>20, err)
	return err
}

const hostileGreeting = "* OK [CAPABILITY IMAP4rev1 IDLE] hostile\r\n"

func TestHostileServerSilentAfterLogin(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("LIST") // and never answer it
		io.Copy(io.Discard, s.r)
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	err := checkHostile(t, 3*time.Second, func() error {
		_, err := f.Folders(context.Background())
		return err
	}, ep.Addr(), "timed out")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("error %v does not wrap os.ErrDeadlineExceeded", err)
	}
}

func TestHostileServerSilentInsideAnswer(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		tag, _ := s.serve("UID FETCH")
		_ = tag
		s.send("* 1 FETCH (UID 1 BODY[] {100}\r\nFrom: a@b\r\n") // then nothing
		io.Copy(io.Discard, s.r)
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 3*time.Second, func() error {
		rc, err := f.FetchBody(context.Background(), "INBOX", "1")
		if err != nil {
			return err
		}
		_, err = io.ReadAll(rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		return err
	}, "timed out")
}

func TestHostileServerSilentGreeting(t *testing.T) {
	ep := hostileServer(t, "", func(s *hostileSession) { io.Copy(io.Discard, s.r) })
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 3*time.Second, func() error { return f.Connect(context.Background()) }, ep.Addr(), "timed out")
}

func TestHostileServerHonoursContext(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("LIST")
		io.Copy(io.Discard, s.r)
	})
	ep.Timeout = time.Minute
	f := New(Options{Endpoint: ep})
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := checkHostile(t, 2*time.Second, func() error {
		_, err := f.Folders(ctx)
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
}

func TestHostileServerEndlessGreeting(t *testing.T) {
	ep := hostileServer(t, "", func(s *hostileSession) {
		s.send("* OK ")
		s.endless("x")
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 10*time.Second, func() error { return f.Connect(context.Background()) }, ep.Addr(), "longer than 8 MiB")
}

func TestHostileServerEndlessLine(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("LIST")
		s.send(`* LIST () "/" `)
		s.endless("a")
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 10*time.Second, func() error {
		_, err := f.Folders(context.Background())
		return err
	}, ep.Addr(), "longer than 8 MiB")
}

func TestHostileServerHugeLiteral(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("LIST")
		s.send("* LIST () \"/\" {99999999999}\r\n")
		s.endless("a")
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 5*time.Second, func() error {
		_, err := f.Folders(context.Background())
		return err
	}, ep.Addr(), "literal of 99999999999 bytes")
}

func TestHostileServerEndlessList(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("LIST")
		for i := 0; ; i++ {
			if s.send("* LIST () \"/\" folder%d\r\n", i) != nil {
				return
			}
		}
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 20*time.Second, func() error {
		_, err := f.Folders(context.Background())
		return err
	}, "more than")
}

func TestHostileServerEndlessEnvelope(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("UID FETCH")
		s.send(`* 1 FETCH (UID 1 ENVELOPE ("date" "subject" (`)
		s.endless(`("name" NIL "box" "host")`)
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 10*time.Second, func() error {
		rc, err := f.FetchBody(context.Background(), "INBOX", "1")
		if err == nil {
			rc.Close()
		}
		return err
	}, ep.Addr(), "longer than 8 MiB")
}

func TestHostileServerDeepBodyStructure(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("UID FETCH")
		s.send(`* 1 FETCH (UID 1 BODYSTRUCTURE `)
		s.send("%s", strings.Repeat("(", 3_000_000))
		io.Copy(io.Discard, s.r)
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 5*time.Second, func() error {
		rc, err := f.FetchBody(context.Background(), "INBOX", "1")
		if err == nil {
			rc.Close()
		}
		return err
	}, ep.Addr(), "nested deeper than")
}

func TestHostileServerBodyOverCap(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("UID FETCH")
		s.send("* 1 FETCH (UID 1 BODY[] {5000000000}\r\n")
		s.endless("a")
	})
	f := New(Options{Endpoint: ep, MaxMessageBytes: 1 << 20})
	defer f.Close()
	err := checkHostile(t, 5*time.Second, func() error {
		rc, err := f.FetchBody(context.Background(), "INBOX", "1")
		if err == nil {
			rc.Close()
		}
		return err
	}, ep.Addr(), "stays on the server")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("error %v does not wrap ErrTooLarge", err)
	}
}

func TestHostileServerSearchMaxUID(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		tag, ok := s.serve("UID SEARCH")
		if !ok {
			return
		}
		s.send("* SEARCH 4294967295\r\n%s OK done\r\n", tag)
		s.serve("")
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	var uids []string
	var err error
	peak := peakHeap(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			uids, err = f.SearchText(context.Background(), "INBOX", []string{"x"})
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("SearchText did not return within 5s")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(uids) != 1 || uids[0] != "4294967295" {
		t.Errorf("SearchText = %v, want [4294967295]", uids)
	}
	if peak > 200<<20 {
		t.Errorf("peak heap %d MiB", peak>>20)
	}
}

func TestSearchUIDsRefusesHugeRanges(t *testing.T) {
	var set imap.UIDSet
	set.AddRange(1, 4294967295)
	if _, err := searchUIDs(&imap.SearchData{All: set}, maxFolderUIDs); err == nil {
		t.Error("searchUIDs(1:4294967295) = nil error")
	}
	set = imap.UIDSet{}
	set.AddRange(4294967290, 4294967295)
	set.AddNum(3)
	uids, err := searchUIDs(&imap.SearchData{All: set}, maxFolderUIDs)
	if err != nil || len(uids) != 7 || uids[6] != 4294967295 {
		t.Errorf("searchUIDs = %v, %v", uids, err)
	}
}

// TestHostileIdleWaitsLongerThanTimeout: a connection in IDLE is not cut
// at the endpoint's timeout (the server may stay silent for ~29 minutes)
// and still gets the news.
func TestIdleOutlivesIOTimeout(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		tag, ok := s.serve("IDLE")
		if !ok {
			return
		}
		s.send("+ idling\r\n")
		time.Sleep(1500 * time.Millisecond) // three timeouts
		s.send("* 2 EXISTS\r\n")
		s.r.ReadString('\n') // DONE
		s.send("%s OK done\r\n", tag)
		s.serve("")
	})
	ep.Timeout = 400 * time.Millisecond
	f := New(Options{Endpoint: ep})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	changed := make(chan struct{}, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- f.Idle(ctx, "INBOX", func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case <-changed:
	case err := <-errc:
		t.Fatalf("Idle ended before the server's news: %v", err)
	case <-ctx.Done():
		t.Fatal("no change reported")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Errorf("Idle = %v", err)
	}
}

func TestHostileServerSearchBackwards(t *testing.T) {
	var b strings.Builder
	b.WriteString("* SEARCH")
	for n := 4_000_000; n > 3_000_000; n -= 2 {
		fmt.Fprintf(&b, " %d", n)
	}
	answer := b.String()
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		tag, ok := s.serve("UID SEARCH")
		if !ok {
			return
		}
		s.send("%s\r\n%s OK done\r\n", answer, tag)
		s.serve("")
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 5*time.Second, func() error {
		_, err := f.SearchText(context.Background(), "INBOX", []string{"x"})
		return err
	}, ep.Addr(), "out of order")
}

func TestHostileServerEndlessUntagged(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("LIST")
		s.endless("* OK still here\r\n")
	})
	f := New(Options{Endpoint: ep, maxUntagged: 100_000}) // 10,000,000 in posta
	defer f.Close()
	checkHostile(t, 30*time.Second, func() error {
		_, err := f.Folders(context.Background())
		return err
	}, ep.Addr(), "more than 100000 responses to one command")
}

// TestHostileServerEndlessFetch: FETCH responses for messages not asked
// for are dropped by go-imap, each on a goroutine of its own; a server
// that sends them without end must neither pile those up nor keep the
// command going for ever.
func TestHostileServerEndlessFetch(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("UID FETCH")
		var b strings.Builder
		for n := 1; ; n++ {
			fmt.Fprintf(&b, "* %d FETCH (UID %d FLAGS ())\r\n", n, n+10)
			if b.Len() > 32<<10 {
				if s.send("%s", b.String()) != nil {
					return
				}
				b.Reset()
			}
		}
	})
	ep.Timeout = 2 * time.Second
	f := New(Options{Endpoint: ep})
	defer f.Close()
	var most int
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			most = max(most, runtime.NumGoroutine())
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	checkHostile(t, 10*time.Second, func() error {
		rc, err := f.FetchBody(context.Background(), "INBOX", "1")
		if err == nil {
			rc.Close()
		}
		return err
	}, ep.Addr(), "FETCH responses")
	close(done)
	<-stopped
	if most > 2*maxGoroutines {
		t.Errorf("%d goroutines at once", most)
	}
}

// TestMoveUIDsOfMaxUID: a message whose UID is 4294967295 (a legal UID a
// hostile server can hand out) is moved and looked for in its new
// folder without go-imap's NumSet.Nums, which never ends on it.
func TestMoveUIDsOfMaxUID(t *testing.T) {
	ep := hostileServer(t, "* OK [CAPABILITY IMAP4rev1 MOVE] hostile\r\n", func(s *hostileSession) {
		for {
			tag, name, _, ok := s.next()
			if !ok {
				return
			}
			switch name {
			case "LOGIN":
				s.send("%s OK logged in\r\n", tag)
			case "SELECT", "EXAMINE":
				s.send("* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n%s OK done\r\n", tag)
			case "STATUS":
				s.send("* STATUS Archive (UIDNEXT 5)\r\n%s OK done\r\n", tag)
			case "UID SEARCH":
				s.send("* SEARCH 5\r\n%s OK done\r\n", tag)
			case "LOGOUT":
				s.send("* BYE bye\r\n%s OK done\r\n", tag)
				return
			default:
				s.send("%s OK done\r\n", tag)
			}
		}
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	done := make(chan error, 1)
	var placed map[string]string
	go func() {
		var err error
		placed, err = f.MoveUIDs(context.Background(), "INBOX", []string{"4294967295"}, "Archive")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("MoveUIDs of UID 4294967295 did not return within 5s")
	}
	if placed["4294967295"] != "5" {
		t.Errorf("MoveUIDs = %v, want 4294967295 placed at 5", placed)
	}
}

// TestHostileServerEndlessListOfOneFolder: a SELECT refused with a bare
// NO makes posta ask LIST whether the folder exists; an endless answer
// is cut off.
func TestHostileServerEndlessListOfOneFolder(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		for {
			tag, name, _, ok := s.next()
			if !ok {
				return
			}
			switch name {
			case "LOGIN", "CAPABILITY":
				s.send("* CAPABILITY IMAP4rev1\r\n%s OK done\r\n", tag)
			case "SELECT", "EXAMINE":
				s.send("%s NO go away\r\n", tag)
			case "LIST":
				for i := 0; ; i++ {
					if s.send("* LIST () \"/\" INBOX%d\r\n", i) != nil {
						return
					}
				}
			default:
				s.send("%s OK done\r\n", tag)
			}
		}
	})
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 10*time.Second, func() error {
		rc, err := f.FetchBody(context.Background(), "INBOX", "1")
		if err == nil {
			rc.Close()
		}
		return err
	}, "go away")
}

// TestHostileSyncEndlessFetch: a header sync whose server floods it with
// FETCH responses for other messages ends soon, with memory bounded, and
// reports the messages it could not fetch (or fails).
func TestHostileSyncEndlessFetch(t *testing.T) {
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		if _, ok := s.serve("UID FETCH"); !ok {
			return
		}
		var b strings.Builder
		for n := 1; ; n++ {
			fmt.Fprintf(&b, "* %d FETCH (UID %d FLAGS ())\r\n", n, n+10)
			if b.Len() > 32<<10 {
				if s.send("%s", b.String()) != nil {
					return
				}
				b.Reset()
			}
		}
	})
	ep.Timeout = 2 * time.Second
	f := New(Options{Endpoint: ep})
	defer f.Close()
	var res protocols.SyncResult
	checkHostile(t, 60*time.Second, func() error {
		var err error
		res, err = f.Sync(context.Background(), protocols.SyncRequest{
			Folder:  "INBOX",
			State:   protocols.FolderState{Known: func(string) bool { return false }},
			Headers: func([]mail.Header) error { return nil },
		})
		if err == nil && len(res.Skipped) > 0 {
			err = res.Skipped[0].Err
		}
		return err
	}, "FETCH responses")
	t.Logf("%d skipped", len(res.Skipped))
}

// TestMoveUIDsHugeMessageIDs: looking for moved messages by Message-ID
// reads the server's answers one at a time, so 40 answers of 7 MiB each
// do not all stay in memory.
func TestMoveUIDsHugeMessageIDs(t *testing.T) {
	field := "Message-ID: <" + strings.Repeat("x", 7<<20) + "@example.org>\r\n\r\n"
	ep := hostileServer(t, "* OK [CAPABILITY IMAP4rev1 MOVE] hostile\r\n", func(s *hostileSession) {
		for {
			tag, name, _, ok := s.next()
			if !ok {
				return
			}
			switch name {
			case "SELECT", "EXAMINE":
				s.send("* 40 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n%s OK done\r\n", tag)
			case "STATUS":
				s.send("* STATUS Archive (UIDNEXT 5)\r\n%s OK done\r\n", tag)
			case "UID FETCH":
				for uid := 1; uid <= 40; uid++ {
					s.send("* %d FETCH (UID %d BODY[HEADER.FIELDS (MESSAGE-ID)] {%d}\r\n%s)\r\n", uid, uid, len(field), field)
				}
				s.send("%s OK done\r\n", tag)
			case "UID SEARCH":
				s.send("* SEARCH 5 6\r\n%s OK done\r\n", tag)
			case "LOGOUT":
				s.send("* BYE bye\r\n%s OK done\r\n", tag)
				return
			default:
				s.send("%s OK done\r\n", tag)
			}
		}
	})
	ep.Timeout = 5 * time.Second
	f := New(Options{Endpoint: ep})
	defer f.Close()
	uids := make([]string, 40)
	for i := range uids {
		uids[i] = fmt.Sprint(i + 1)
	}
	runtime.GC()
	var err error
	peak := peakHeap(func() {
		_, err = f.MoveUIDs(context.Background(), "INBOX", uids, "Archive")
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak > 200<<20 {
		t.Errorf("peak heap %d MiB, want under 200 MiB", peak>>20)
	}
	t.Logf("peak heap %d MiB", peak>>20)
}

// TestHostileServerBodiesWithoutEnd: one message's worth of body data is
// let through per fetch, not a body literal after another.
func TestHostileServerBodiesWithoutEnd(t *testing.T) {
	chunk := strings.Repeat("a", 600<<10)
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		s.serve("UID FETCH")
		for n := 1; ; n++ {
			if s.send("* 1 FETCH (UID 1 BODY[] {%d}\r\n%s BODY[] {%d}\r\n%s)\r\n", len(chunk), chunk, len(chunk), chunk) != nil {
				return
			}
		}
	})
	f := New(Options{Endpoint: ep, MaxMessageBytes: 1 << 20})
	defer f.Close()
	checkHostile(t, 10*time.Second, func() error {
		rc, err := f.FetchBody(context.Background(), "INBOX", "1")
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		return err
	}, ep.Addr(), "in answer to one fetch")
}

// TestHostileSyncEndlessBigAnswers: a header fetch answered with the same
// message again and again, each time with a 7 MiB subject, is cut off at
// maxBatchBytes and the message skipped (or the sync failed), soon.
func TestHostileSyncEndlessBigAnswers(t *testing.T) {
	subject := strings.Repeat("s", 7<<20)
	resp := fmt.Sprintf("* 1 FETCH (UID 1 FLAGS () ENVELOPE (NIL {%d}\r\n%s NIL NIL NIL NIL NIL NIL NIL NIL))\r\n", len(subject), subject)
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		if _, ok := s.serve("UID FETCH"); !ok {
			return
		}
		for s.send("%s", resp) == nil {
		}
	})
	ep.Timeout = 5 * time.Second
	f := New(Options{Endpoint: ep})
	defer f.Close()
	checkHostile(t, 120*time.Second, func() error {
		res, err := f.Sync(context.Background(), protocols.SyncRequest{
			Folder:  "INBOX",
			State:   protocols.FolderState{Known: func(string) bool { return false }},
			Headers: func([]mail.Header) error { return nil },
		})
		if err == nil && len(res.Skipped) > 0 {
			err = res.Skipped[0].Err
		}
		return err
	}, "in answer to one fetch")
}
