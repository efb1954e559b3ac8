package main

import (
	"context"
	"strings"
	"testing"
)

// The raw loops run in a child process (the test binary re-executed,
// TestMain) against the demo servers: the child's time from start to
// exit holds the loop's, and a server holding another number of
// messages than the spec says fails the child.
func TestRawProcess(t *testing.T) {
	f, err := startFixture(40, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	for _, kind := range []string{"imap", "pop3"} {
		spec, err := f.rawSpec(kind)
		if err != nil {
			t.Fatal(err)
		}
		wall, loop, err := rawProcess(ctx, spec)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if loop <= 0 || wall < loop {
			t.Errorf("%s: the process took %v, the loop in it %v", kind, wall, loop)
		}
		spec.Want = 41
		if _, _, err := rawProcess(ctx, spec); err == nil || !strings.Contains(err.Error(), "want 41") {
			t.Errorf("%s: a server with 40 messages where 41 are wanted: %v", kind, err)
		}
	}
}

func TestRawTimesNote(t *testing.T) {
	r := rawTimes{loop: samples{380, 400, 420}, inside: samples{200, 250, 300}, demo: true}
	got := r.note(450, 600)
	for _, want := range []string{"took 450 ms from its start to its exit (the loop alone in it 400 ms)",
		"inside the benchmark's process took 250 ms (posta sync 2.40× that), sharing the demo server's Go runtime"} {
		if !strings.Contains(got, want) {
			t.Errorf("note %q lacks %q", got, want)
		}
	}
	// Dovecot runs apart: the loop inside this process is a client like any.
	r.demo = false
	if got := r.note(450, 600); strings.Contains(got, "runtime") {
		t.Errorf("note for a server apart: %q", got)
	}
}
