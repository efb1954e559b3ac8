package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/protocols"
)

// bigMessage returns a CRLF message of about size bytes whose body has
// lines starting with "." (dot-stuffed on the wire) and a final line
// without text after the last CRLF.
func bigMessage(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 200)
	b.WriteString("From: big@example.com\r\nTo: bob@home.example\r\nSubject: a big one\r\nMessage-ID: <big@example.com>\r\n\r\n")
	for i := 0; b.Len() < size; i++ {
		if i%97 == 0 {
			b.WriteString(".")
		}
		fmt.Fprintf(&b, "%08d ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFG\r\n", i)
	}
	b.WriteString("..\r\n.\r\nend\r\n")
	return b.Bytes()
}

// TestPOPStreams50MB syncs a 50 MB message through the demo POP3 server
// and the whole accounts path, and checks that the heap never grows
// anywhere near the message's size and that the stored bytes are the
// server's.
func TestPOPStreams50MB(t *testing.T) {
	f := startDemoFixture(t, 1)
	small := len(f.srv.POP3.Messages("bob")[0].Data)
	raw := bigMessage(50 << 20)
	if _, err := f.srv.POP3.Deliver("bob", raw); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(raw)
	set := f.open(t)
	a, _ := set.Get("home")

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var last protocols.Progress
	var reports int
	start := time.Now()
	rep, err := a.Sync(context.Background(), func(p protocols.Progress) { last = p; reports++ })
	close(stop)
	<-sampled
	if err != nil || rep.Added != 2 {
		t.Fatalf("Sync() = %+v, %v; want 2 added", rep, err)
	}
	growth := int64(peak.Load()) - int64(base)
	t.Logf("50 MB message synced in %v; heap in use grew by at most %.1f MB; %d progress reports", time.Since(start).Round(time.Millisecond), float64(growth)/(1<<20), reports)
	if growth > 20<<20 {
		t.Errorf("heap in use grew by %d bytes during the sync, want < 20 MB", growth)
	}
	if last.Bytes != int64(small+len(raw)) || last.Done != 2 || last.Total != 2 {
		t.Errorf("last progress = %+v, want 2/2 and %d bytes", last, small+len(raw))
	}
	if reports < 40 {
		t.Errorf("%d progress reports for 50 MB, want byte progress while streaming", reports)
	}
	msgs, err := set.cache.List(cache.Query{Account: "home", Folder: "INBOX"})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("List() = %d messages, %v", len(msgs), err)
	}
	big := msgs[0]
	if msgs[1].Subject == "a big one" {
		big = msgs[1]
	}
	if big.Subject != "a big one" || big.Size != int64(len(raw)) {
		t.Errorf("indexed big message: subject %q, size %d", big.Subject, big.Size)
	}
	rc, err := set.cache.OpenBody(big.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := sha256.New()
	n, _ := io.Copy(h, rc)
	if n != int64(len(raw)) || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Errorf("stored %d bytes differing from the server's %d", n, len(raw))
	}
}

// TestPOPDeletePolicies runs each deletion policy against the demo
// server with an injected clock.
func TestPOPDeletePolicies(t *testing.T) {
	no := false
	tests := []struct {
		name     string
		cfg      FetchConfig
		later    time.Duration // the clock of the second sync, after the first
		wantLeft [2]int        // on the server after the first and second sync
	}{
		{"leave on server (default)", FetchConfig{}, 365 * 24 * time.Hour, [2]int{3, 3}},
		{"delete after download", FetchConfig{LeaveOnServer: &no}, 0, [2]int{0, 0}},
		{"delete after 7 days, 6 days later", FetchConfig{DeleteAfterDays: 7}, 6 * 24 * time.Hour, [2]int{3, 3}},
		{"delete after 7 days, 8 days later", FetchConfig{DeleteAfterDays: 7}, 8 * 24 * time.Hour, [2]int{3, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startDemoFixture(t, 3)
			f.cfg.Accounts[1].Fetch.LeaveOnServer = tt.cfg.LeaveOnServer
			f.cfg.Accounts[1].Fetch.DeleteAfterDays = tt.cfg.DeleteAfterDays
			set := f.open(t)
			a, _ := set.Get("home")
			policy := popPolicyFor(a.cfg.Fetch)
			if err := a.fetchPOPWith(context.Background(), a.bg.f, nil, &SyncReport{}, policy); err != nil {
				t.Fatal(err)
			}
			if n := len(f.srv.POP3.Messages("bob")); n != tt.wantLeft[0] {
				t.Errorf("after the first sync the server has %d messages, want %d", n, tt.wantLeft[0])
			}
			policy.now = func() time.Time { return time.Now().Add(tt.later) }
			rep := &SyncReport{}
			if err := a.fetchPOPWith(context.Background(), a.bg.f, nil, rep, policy); err != nil {
				t.Fatal(err)
			}
			if n := len(f.srv.POP3.Messages("bob")); n != tt.wantLeft[1] {
				t.Errorf("after the second sync the server has %d messages, want %d", n, tt.wantLeft[1])
			}
			if rep.Added != 0 {
				t.Errorf("second sync added %d, want 0 (UIDL)", rep.Added)
			}
			if local := localUIDLs(t, set.cache); len(local) != 3 {
				t.Errorf("%d messages stored locally, want 3", len(local))
			}
		})
	}
}

// TestPOPDeleteNeedsIndexedCopy checks that the N-days policy deletes
// only UIDLs whose local copy is indexed, never unknown ones.
func TestPOPDeleteNeedsIndexedCopy(t *testing.T) {
	p := popPolicy{afterDays: 1, now: time.Now}
	old := time.Now().Add(-48 * time.Hour)
	fp := p.fetcherPolicy(map[string]time.Time{"a": old, "b": time.Now()})
	for uid, want := range map[string]bool{"a": true, "b": false, "unknown": false} {
		if got := fp.DeleteKnown(uid); got != want {
			t.Errorf("DeleteKnown(%q) = %v, want %v", uid, got, want)
		}
	}
	no := false
	fp = popPolicyFor(FetchConfig{LeaveOnServer: &no}).fetcherPolicy(map[string]time.Time{"a": old})
	if !fp.DeleteStored || !fp.DeleteKnown("a") || fp.DeleteKnown("unknown") {
		t.Errorf("delete-after-download policy = %+v", fp)
	}
	if fp := popPolicyFor(FetchConfig{}).fetcherPolicy(nil); fp.DeleteStored || fp.DeleteKnown != nil {
		t.Errorf("default policy = %+v, want leave on server", fp)
	}
}
