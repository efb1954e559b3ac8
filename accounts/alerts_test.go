package accounts

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAlertDuringIdleStartsASync: a server that says something to the
// user while Watch waits in IDLE ("going down in 5 minutes") makes Watch
// ask for a sync, and that sync's report carries the text, sanitized.
func TestAlertDuringIdleStartsASync(t *testing.T) {
	set, got := watchScriptedServer(t, "* OK [ALERT] Server going down in 5 minutes \x1b[2J\r\n")
	select {
	case n := <-got:
		if n != "work/" {
			t.Fatalf("notified %q, want work/ (a sync of the account)", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10 s of the alert")
	}
	want := []string{"Server going down in 5 minutes ␛[2J"}
	if alerts := syncAlerts(t, set); !slices.Equal(alerts, want) {
		t.Errorf("SyncReport.Alerts = %q, want %q", alerts, want)
	}
}

// TestAlertFloodDuringIdleIsBounded: a server that keeps warning in IDLE
// gets no more syncs asked for than the alerts kept for one.
func TestAlertFloodDuringIdleIsBounded(t *testing.T) {
	_, got := watchScriptedServer(t, strings.Repeat("* NO again\r\n", 5000))
	n := 0
	for timeout := time.After(2 * time.Second); ; {
		select {
		case <-got:
			n++
			continue
		case <-timeout:
		}
		break
	}
	if n == 0 || n > maxKeptAlerts {
		t.Errorf("%d syncs asked for, want 1 to %d", n, maxKeptAlerts)
	}
}

// syncAlerts syncs the work account of set and returns its report's
// alerts.
func syncAlerts(t *testing.T, set *Set) []string {
	t.Helper()
	a, err := set.Get("work")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := a.SyncWith(ctx, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Alerts
}

// watchScriptedServer runs Watch over an account of a scripted server
// that sends idle once IDLE starts, and returns the accounts and the
// notifications ("account/folder").
func watchScriptedServer(t *testing.T, idle string) (*Set, chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go scriptedIdleServer(c, idle)
		}
	}()
	cfg := &Config{DefaultAccount: "work", Accounts: []AccountConfig{{
		Name: "work", Address: "a@example.org",
		Fetch: FetchConfig{Kind: "imap", ServerConfig: ServerConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
			Security: "none", AllowPlainAuth: true, Username: "a", Password: "pw"}},
		SMTP: ServerConfig{Host: "127.0.0.1", Port: 1, Security: "none", AllowPlainAuth: true, Username: "a", Password: "pw"},
	}}}
	c := openTestCache(t, t.TempDir())
	set, err := Open(cfg, c)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close(); c.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	got := make(chan string, 10000)
	go set.Watch(ctx, WatchOptions{Poll: time.Hour}, func(a, folder string) { got <- a + "/" + folder })
	return set, got
}

// scriptedIdleServer answers as an IMAP server with an empty INBOX, and
// in IDLE sends idle.
func scriptedIdleServer(c net.Conn, idle string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	fmt.Fprint(c, "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		tag, verb := f[0], strings.ToUpper(f[1])
		switch verb {
		case "CAPABILITY":
			fmt.Fprintf(c, "* CAPABILITY IMAP4rev1 IDLE\r\n%s OK done\r\n", tag)
		case "LIST":
			fmt.Fprintf(c, "* LIST () \"/\" INBOX\r\n%s OK done\r\n", tag)
		case "SELECT", "EXAMINE":
			fmt.Fprintf(c, "* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n%s OK done\r\n", tag)
		case "IDLE":
			fmt.Fprint(c, "+ idling\r\n"+idle)
			if _, err := r.ReadString('\n'); err != nil { // DONE
				return
			}
			fmt.Fprintf(c, "%s OK idle done\r\n", tag)
		case "LOGOUT":
			fmt.Fprintf(c, "* BYE bye\r\n%s OK done\r\n", tag)
			return
		default:
			fmt.Fprintf(c, "%s OK done\r\n", tag)
		}
	}
}

// TestServerAlertsKeepsAtMostMax: a server that keeps warning fills
// maxKeptAlerts and no more until a sync takes them; what is kept is on
// one line and sanitized.
func TestServerAlertsKeepsAtMostMax(t *testing.T) {
	var s serverAlerts
	for i := range 3 * maxKeptAlerts {
		if kept := s.add("again"); kept != (i < maxKeptAlerts) {
			t.Fatalf("add #%d kept = %v", i+1, kept)
		}
	}
	if got := len(s.take()); got != maxKeptAlerts {
		t.Errorf("kept %d alerts, want %d", got, maxKeptAlerts)
	}
	s.add("later\x1b[2J")
	if got := s.take(); !slices.Equal(got, []string{"later␛[2J"}) {
		t.Errorf("after taking them: %q", got)
	}
}
