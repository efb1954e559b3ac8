package cache

import (
	"testing"
	"time"
)

func TestAutocryptPeerUpdates(t *testing.T) {
	c := openTest(t, testOptions(t))
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	// A message without a header from an unknown sender stores nothing.
	if err := c.NoteAutocrypt("work", "bob@example.org", day(1), nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.AutocryptPeerOf("work", "bob@example.org"); ok {
		t.Fatal("a peer without any header")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.NoteAutocrypt("work", "Bob@Example.org", day(5), []byte("key-5"), "mutual"))
	// An older message with another key does not replace the newer one.
	must(c.NoteAutocrypt("work", "bob@example.org", day(3), []byte("key-3"), ""))
	p, ok, err := c.AutocryptPeerOf("work", "BOB@example.org")
	if err != nil || !ok || string(p.KeyData) != "key-5" || p.PreferEncrypt != "mutual" || !p.AutocryptTS.Equal(day(5)) {
		t.Fatalf("peer = %+v, %v, %v", p, ok, err)
	}
	// A newer message without a header moves last_seen only.
	must(c.NoteAutocrypt("work", "bob@example.org", day(9), nil, ""))
	p, _, _ = c.AutocryptPeerOf("work", "bob@example.org")
	if !p.LastSeen.Equal(day(9)) || !p.AutocryptTS.Equal(day(5)) || string(p.KeyData) != "key-5" {
		t.Fatalf("after a message without header: %+v", p)
	}
	// A newer header replaces key and preference.
	must(c.NoteAutocrypt("work", "bob@example.org", day(10), []byte("key-10"), "nopreference"))
	p, _, _ = c.AutocryptPeerOf("work", "bob@example.org")
	if string(p.KeyData) != "key-10" || p.PreferEncrypt != "" || !p.LastSeen.Equal(day(10)) {
		t.Fatalf("after a newer header: %+v", p)
	}
	// A date in the future counts as now.
	must(c.NoteAutocrypt("work", "bob@example.org", time.Now().Add(48*time.Hour), []byte("key-f"), "mutual"))
	p, _, _ = c.AutocryptPeerOf("work", "bob@example.org")
	if p.AutocryptTS.After(time.Now()) {
		t.Fatalf("future date kept: %+v", p)
	}
	// Peers belong to one account.
	if _, ok, _ := c.AutocryptPeerOf("home", "bob@example.org"); ok {
		t.Fatal("peer seen by another account")
	}
	if list, err := c.AutocryptPeers("work"); err != nil || len(list) != 1 {
		t.Fatalf("peers = %+v, %v", list, err)
	}
}
