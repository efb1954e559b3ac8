package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the memory child and the raw
// loop's child, as the bench binary does when peakRSS and rawProcess
// re-execute it.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "-rss-child" {
		json.NewEncoder(os.Stdout).Encode(runRSSChild(os.Args[2]))
		return
	}
	if len(os.Args) == 2 && os.Args[1] == "-raw-child" {
		json.NewEncoder(os.Stdout).Encode(runRawChild(os.Stdin))
		return
	}
	os.Exit(m.Run())
}

func TestMedian(t *testing.T) {
	tests := []struct {
		in   samples
		want float64
	}{{nil, 0}, {samples{3}, 3}, {samples{5, 1, 3}, 3}, {samples{4, 1, 3, 2}, 2.5}}
	for _, tt := range tests {
		if got := tt.in.median(); got != tt.want {
			t.Errorf("%v.median() = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		r    result
		want string
	}{
		{result{ID: "imap_sync", Messages: 10_000, Value: 120, Baseline: 100}, "met"},
		{result{ID: "imap_sync", Messages: 10_000, Value: 300, Baseline: 100}, "missed by 2.0×"},
		{result{ID: "imap_sync_dovecot", Messages: 10_000, Value: 150, Baseline: 100}, "met"},
		{result{ID: "pop3_download", Messages: 10_000, Value: 200, Baseline: 100}, "met"},
		{result{ID: "pop3_download_dovecot", Messages: 10_000, Value: 201, Baseline: 100}, "missed by 1.0×"},
		// "< X" is judged with <.
		{result{ID: "launch_warm_demo", Messages: 100_000, Value: 100}, "missed by 1.0×"},
		{result{ID: "open_during_sync", Messages: 10_000, Value: 499.9}, "met"},
		{result{ID: "imap_sync", Messages: 1_000, Value: 260, Baseline: 100}, "no target"},
		{result{ID: "launch_warm_demo", Messages: 100_000, Value: 99}, "met"},
		{result{ID: "warm_start", Messages: 100_000, Value: 99}, "no target"},
		{result{ID: "launch_cold_demo", Messages: 10_000, Skipped: "no tmux"}, "not measured"},
		{result{ID: "launch_cold_dovecot", Messages: 10_000, Value: 100}, "n/a"},
		{result{ID: "launch_cold_dovecot", Messages: 10_000, Value: 100, Baseline: 250}, "met"},
		{result{ID: "launch_warm_dovecot", Messages: 100_000, Value: 100, Baseline: 100}, "missed by 2.0×"},
		{result{ID: "resync_trips", Messages: 10, Value: 3}, "met"},
		{result{ID: "resync_trips", Messages: 10, Value: 5}, "missed by 1.7×"},
	}
	for _, tt := range tests {
		tt.r.judge(targetFor(tt.r.ID, tt.r.Messages))
		if tt.r.Status != tt.want {
			t.Errorf("judge(%s at %d, %v/%v) = %q, want %q", tt.r.ID, tt.r.Messages, tt.r.Value, tt.r.Baseline, tt.r.Status, tt.want)
		}
	}
}

// TestTripConn counts a request/response exchange and a pipelined burst
// over a real socket.
func TestTripConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			if bytes.Contains(buf[:n], []byte("\n")) {
				c.Write([]byte("ok\n"))
			}
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := newTripConn(raw)
	defer c.Close()
	buf := make([]byte, 8)
	for _, burst := range [][]string{{"a\n"}, {"b", "c\n"}} {
		for _, part := range burst {
			c.Write([]byte(part))
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.count(); got != 2 {
		t.Errorf("round trips = %d, want 2", got)
	}
}

// TestHarnessSmall runs every measurement on a small folder and checks
// the report has each row with a positive figure.
func TestHarnessSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts demo servers and syncs")
	}
	rep := &report{Machine: describeMachine()}
	p := sizePlan{n: 60, runs: 1, syncRuns: 1, pop3Runs: 1, search: true, budget: time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := measureSize(ctx, rep, p, t.TempDir(), "", nil, nil, ""); err != nil {
		t.Fatal(err)
	}
	if err := measureOpen(rep, t.TempDir(), 1); err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Errorf("problems: %v", rep.Problems)
	}
	ids := map[string]result{}
	for _, r := range rep.Results {
		ids[r.ID] = r
	}
	for _, id := range []string{"imap_sync", "deferred_index", "cold_first_batch", "resync_trips", "resync_proto", "resync_accounts",
		"warm_start", "peak_rss", "search_word", "search_from", "pop3_download", "open_1mb", "open_50mb", "open_50mb_alloc"} {
		r, ok := ids[id]
		if !ok {
			t.Errorf("no %s row", id)
			continue
		}
		if r.Value <= 0 && !(id == "peak_rss" && r.Value == -1) {
			t.Errorf("%s = %v, want > 0", id, r.Value)
		}
	}
	if b := ids["imap_sync"].Baseline; b <= 0 {
		t.Errorf("imap_sync baseline = %v", b)
	}
	for id, parts := range map[string]int{"imap_sync": 3, "pop3_download": 4} {
		if len(ids[id].Breakdown) < parts {
			t.Errorf("%s breakdown = %+v, want its parts timed", id, ids[id].Breakdown)
		}
	}
	var out strings.Builder
	if err := rep.writeMarkdown(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Machine", "| 1 | IMAP first header sync", "```json"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
