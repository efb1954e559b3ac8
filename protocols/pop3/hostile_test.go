package pop3

import (
	"bufio"
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/protocols"
)

// hostileServer accepts one connection and answers it with respond: ""
// for the greeting, then each command line. respond may write forever;
// it stops when the client hangs up.
func hostileServer(t *testing.T, respond func(w io.Writer, cmd string)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		respond(c, "")
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			respond(c, strings.TrimRight(line, "\r\n"))
		}
	}()
	return ln.Addr().String()
}

// forever writes chunk until the client hangs up.
func forever(w io.Writer, chunk string) {
	b := []byte(strings.Repeat(chunk, 1+4096/len(chunk)))
	for {
		if _, err := w.Write(b); err != nil {
			return
		}
	}
}

// loggedIn answers a login and STAT (2 messages) like a server would,
// and hands every other command to rest.
func loggedIn(rest func(w io.Writer, cmd string)) func(w io.Writer, cmd string) {
	return func(w io.Writer, cmd string) {
		switch {
		case cmd == "":
			io.WriteString(w, "+OK hostile\r\n")
		case cmd == "CAPA":
			io.WriteString(w, "+OK\r\nUSER\r\nUIDL\r\n.\r\n")
		case strings.HasPrefix(cmd, "USER"), strings.HasPrefix(cmd, "PASS"):
			io.WriteString(w, "+OK\r\n")
		case cmd == "STAT":
			io.WriteString(w, "+OK 2 200\r\n")
		default:
			rest(w, cmd)
		}
	}
}

// TestHostileServer: replies that never end, or end a line never, fail
// the sync with an error that names the server, in bounded time and
// memory.
func TestHostileServer(t *testing.T) {
	tests := []struct {
		name    string
		respond func(w io.Writer, cmd string)
		want    string
	}{
		{"greeting without a line end", func(w io.Writer, cmd string) {
			if cmd == "" {
				io.WriteString(w, "+OK hello")
			}
		}, "no complete line within"},
		{"endless greeting", func(w io.Writer, cmd string) {
			if cmd == "" {
				forever(w, "+OK aaaaaaaa")
			}
		}, "longer than"},
		{"greeting dripping", func(w io.Writer, cmd string) {
			if cmd == "" {
				for range 100 {
					if _, err := io.WriteString(w, "+"); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}, "no complete line within"},
		{"endless CAPA", func(w io.Writer, cmd string) {
			switch cmd {
			case "":
				io.WriteString(w, "+OK hostile\r\n")
			case "CAPA":
				io.WriteString(w, "+OK\r\n")
				forever(w, "X-CAP\r\n")
			}
		}, "more than 256 lines"},
		{"endless LIST", loggedIn(func(w io.Writer, cmd string) {
			if cmd == "LIST" {
				io.WriteString(w, "+OK\r\n1 100\r\n2 100\r\n")
				forever(w, "3 100\r\n")
			}
		}), "LIST: protocol error: a reply of more than 2 lines"},
		{"endless UIDL", loggedIn(func(w io.Writer, cmd string) {
			switch cmd {
			case "LIST":
				io.WriteString(w, "+OK\r\n1 100\r\n2 100\r\n.\r\n")
			case "UIDL":
				io.WriteString(w, "+OK\r\n1 a\r\n2 b\r\n")
				forever(w, "2 b\r\n")
			}
		}), "UIDL: protocol error: a reply of more than 2 lines"},
		{"UIDL line without an end", loggedIn(func(w io.Writer, cmd string) {
			switch cmd {
			case "LIST":
				io.WriteString(w, "+OK\r\n1 100\r\n2 100\r\n.\r\n")
			case "UIDL":
				io.WriteString(w, "+OK\r\n1 ")
				forever(w, "abcdefgh")
			}
		}), "longer than"},
		{"STAT of a billion messages", loggedIn(func(io.Writer, string) {}), "STAT: protocol error: bad reply"},
	}
	billion := tests[len(tests)-1].respond
	tests[len(tests)-1].respond = func(w io.Writer, cmd string) {
		if cmd == "STAT" {
			io.WriteString(w, "+OK 1000000000 1\r\n")
			return
		}
		billion(w, cmd)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := hostileServer(t, tt.respond)
			ep := endpoint(t, addr, protocols.SecurityNone, nil, "pw")
			ep.AllowPlainAuth = true
			ep.Timeout = 500 * time.Millisecond
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := New(Options{Endpoint: ep, LeaveOnServer: true}).Sync(context.Background(), (&store{}).request())
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("Sync() = nil error, want a failure")
			}
			if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Sync() error = %v, want one naming %s and saying %q", err, addr, tt.want)
			}
			if took > 3*time.Second {
				t.Errorf("Sync() took %v to fail", took)
			}
			if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 8<<20 {
				t.Errorf("the heap grew by %d bytes", grown)
			}
		})
	}
}

// TestServerWithoutCAPA: an RFC 1939 server that knows no CAPA gets one
// command at a time, USER/PASS, and its mail.
func TestServerWithoutCAPA(t *testing.T) {
	var mu sync.Mutex
	var got []string
	addr := hostileServer(t, func(w io.Writer, cmd string) {
		mu.Lock()
		got = append(got, cmd)
		mu.Unlock()
		switch {
		case cmd == "":
			io.WriteString(w, "+OK old server\r\n")
		case cmd == "CAPA":
			io.WriteString(w, "-ERR unknown command\r\n")
		case strings.HasPrefix(cmd, "USER"), strings.HasPrefix(cmd, "PASS"), cmd == "QUIT":
			io.WriteString(w, "+OK\r\n")
		case cmd == "STAT":
			io.WriteString(w, "+OK 1 22\r\n")
		case cmd == "LIST":
			io.WriteString(w, "+OK\r\n1 22\r\n.\r\n")
		case cmd == "UIDL":
			io.WriteString(w, "+OK\r\n1 abc\r\n.\r\n")
		case cmd == "RETR 1":
			io.WriteString(w, "+OK\r\nSubject: x\r\n\r\n..hi\r\n.\r\n")
		default:
			io.WriteString(w, "-ERR what\r\n")
		}
	})
	ep := endpoint(t, addr, protocols.SecurityNone, nil, "pw")
	ep.AllowPlainAuth = true
	st := &store{}
	res, err := New(Options{Endpoint: ep, LeaveOnServer: true}).Sync(context.Background(), st.request())
	if err != nil || res.Added != 1 || string(st.msgs["abc"]) != "Subject: x\r\n\r\n.hi\r\n" {
		t.Fatalf("Sync() = %+v, %v; stored %q", res, err, st.msgs["abc"])
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"", "CAPA", "USER bob", "PASS pw", "STAT", "LIST", "UIDL", "RETR 1", "QUIT"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("commands = %q, want %q", got, want)
	}
}
