package smtp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/protocols"
)

// hostileSMTP starts a server that speaks SMTP until script takes over:
// script gets each command line and returns false to stop answering.
func hostileSMTP(t *testing.T, script func(conn net.Conn, r *bufio.Reader)) protocols.Endpoint {
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
				script(c, bufio.NewReader(c))
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
		Security: protocols.SecurityNone, Timeout: 500 * time.Millisecond,
	}
}

// converse answers a plain SMTP dialogue until the command starting with
// until (upper case) arrives.
func converse(conn net.Conn, r *bufio.Reader, until string) bool {
	io.WriteString(conn, "220 hostile ESMTP\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		if strings.HasPrefix(cmd, until) {
			return true
		}
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			io.WriteString(conn, "250-hostile\r\n250 8BITMIME\r\n")
		case cmd == "DATA":
			io.WriteString(conn, "354 go on\r\n")
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
			}
			if until == "." {
				return true
			}
			io.WriteString(conn, "250 queued\r\n")
		default:
			io.WriteString(conn, "250 ok\r\n")
		}
	}
}

func sendHostile(t *testing.T, ep protocols.Endpoint, want ...string) {
	t.Helper()
	runtime.GC()
	var peak uint64
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- New(Options{Endpoint: ep, DataTimeout: time.Second}).Send(context.Background(), "a@example.org", []string{"b@example.org"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n"))
	}()
	var err error
	var ms runtime.MemStats
wait:
	for {
		select {
		case err = <-done:
			break wait
		case <-time.After(10 * time.Millisecond):
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			if time.Since(start) > 10*time.Second {
				t.Fatal("Send did not return within 10s")
			}
		}
	}
	if err == nil {
		t.Fatal("Send succeeded against a hostile server")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Send took %s to fail", took)
	}
	for _, w := range append(want, ep.Addr()) {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error = %q, want it to contain %q", err, w)
		}
	}
	if peak > 200<<20 {
		t.Errorf("peak heap %d MiB", peak>>20)
	}
	t.Logf("error after %s: %v", time.Since(start).Round(time.Millisecond), err)
}

func TestHostileSMTPSilentAfterEHLO(t *testing.T) {
	ep := hostileSMTP(t, func(conn net.Conn, r *bufio.Reader) {
		converse(conn, r, "EHLO")
		io.Copy(io.Discard, r)
	})
	sendHostile(t, ep, "timed out")
}

func TestHostileSMTPSilentAfterData(t *testing.T) {
	ep := hostileSMTP(t, func(conn net.Conn, r *bufio.Reader) {
		converse(conn, r, ".")
		io.Copy(io.Discard, r)
	})
	sendHostile(t, ep, "timed out")
}

func TestHostileSMTPSilentGreeting(t *testing.T) {
	ep := hostileSMTP(t, func(conn net.Conn, r *bufio.Reader) { io.Copy(io.Discard, r) })
	sendHostile(t, ep, "timed out")
}

func TestHostileSMTPEndlessReply(t *testing.T) {
	ep := hostileSMTP(t, func(conn net.Conn, r *bufio.Reader) {
		converse(conn, r, "EHLO")
		chunk := []byte(strings.Repeat("250-"+strings.Repeat("x", 200)+"\r\n", 300))
		for {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	})
	sendHostile(t, ep, "more than")
}

func TestHostileSMTPDeadlineIsErrDeadlineExceeded(t *testing.T) {
	ep := hostileSMTP(t, func(conn net.Conn, r *bufio.Reader) { io.Copy(io.Discard, r) })
	err := New(Options{Endpoint: ep}).Check(context.Background())
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Check = %v, want an error wrapping os.ErrDeadlineExceeded", err)
	}
}

// TestSlowReplyToDataIsAwaited: a server that takes longer than the I/O
// timeout to accept the message (it checks it) is waited for, up to the
// data timeout: giving up would leave the message in the outbox, and the
// retry would deliver it twice.
func TestSlowReplyToDataIsAwaited(t *testing.T) {
	ep := hostileSMTP(t, func(conn net.Conn, r *bufio.Reader) {
		if !converse(conn, r, ".") {
			return
		}
		time.Sleep(3 * ep500)
		io.WriteString(conn, "250 queued after a while\r\n")
		converse2(conn, r)
	})
	err := New(Options{Endpoint: ep, DataTimeout: 10 * ep500}).Send(context.Background(),
		"a@example.org", []string{"b@example.org"}, strings.NewReader("Subject: x\r\n\r\nhi\r\n"))
	if err != nil {
		t.Fatalf("Send to a server that accepts after %v (I/O timeout %v) = %v, want success", 3*ep500, ep.IOTimeout(), err)
	}
}

// ep500 is hostileSMTP's I/O timeout.
const ep500 = 500 * time.Millisecond

// converse2 answers what follows the message (QUIT) until the client
// hangs up.
func converse2(conn net.Conn, r *bufio.Reader) {
	for {
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		io.WriteString(conn, "221 bye\r\n")
	}
}
