package accounts

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestPOPBodyTextIndexedAfterDownload: a POP3 download queues no body
// text for search (issue 15: extracting it was a sixth of the download's
// CPU); the indexing the download leaves for later (Tidy, or a search)
// reads it from the Maildir files, so a word only in a body is found.
func TestPOPBodyTextIndexedAfterDownload(t *testing.T) {
	f := startDemoFixture(t, 1)
	for _, raw := range []string{
		"From: a@example.com\r\nTo: bob@home.example\r\nSubject: plain one\r\n\r\nThe ocelot sleeps.\r\n",
		"From: b@example.com\r\nTo: bob@home.example\r\nSubject: html one\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n" +
			"Content-Transfer-Encoding: quoted-printable\r\n\r\n<p>A grey <b>heron</b> waits.</p>\r\n--b--\r\n",
	} {
		if _, err := f.srv.POP3.Deliver("bob", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	set := f.open(t)
	a, err := set.Get("home")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := a.Sync(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 3 {
		t.Fatalf("Sync added %d messages, want 3", rep.Added)
	}
	db, err := sql.Open("sqlite", filepath.Join(f.cacheDir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var queued int
	if err := db.QueryRow(`SELECT count(*) FROM fts_bodies`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 0 {
		t.Errorf("fts_bodies holds %d rows right after the download, want 0 (nothing queued)", queued)
	}
	if err := a.Tidy(context.Background()); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]string{"ocelot": "plain one", "heron": "html one", "sleeps": "plain one"} {
		got, err := set.Search(query, "home", 0)
		if err != nil {
			t.Fatalf("Search(%q) error = %v", query, err)
		}
		if len(got) != 1 || got[0].Subject != want {
			t.Errorf("Search(%q) = %d messages %v, want %q", query, len(got), got, want)
		}
	}
}

// TestPOPSearchBeforeTidy: a search right after a download, before any
// Tidy, catches up itself and finds a word of a body.
func TestPOPSearchBeforeTidy(t *testing.T) {
	f := startDemoFixture(t, 1)
	if _, err := f.srv.POP3.Deliver("bob", []byte("Subject: first\r\n\r\nA lone axolotl.\r\n")); err != nil {
		t.Fatal(err)
	}
	set := f.open(t)
	a, _ := set.Get("home")
	if _, err := a.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	got, err := set.Search("axolotl", "home", 0)
	if err != nil || len(got) != 1 || got[0].Subject != "first" {
		t.Errorf("Search(axolotl) = %v, %v; want the message", got, err)
	}
}
