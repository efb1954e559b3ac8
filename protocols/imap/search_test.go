package imap

import (
	"testing"
	"time"

	"github.com/posta-mail/posta/protocols"
)

func TestSearchTextFindsBodyWords(t *testing.T) {
	ts := startServer(t)
	ts.seed(t, "INBOX", "From: a@example.com\nSubject: one\n\nthe quarterly zanzibar figures\n", nil, time.Now())
	uid := ts.seed(t, "INBOX", "From: b@example.com\nSubject: two\n\nzanzibar and walrus\n", nil, time.Now())
	ts.seed(t, "INBOX", "From: c@example.com\nSubject: three\n\nnothing here\n", nil, time.Now())
	f := ts.fetcher(t, protocols.SecurityTLS)
	got, err := f.SearchText(testCtx(t), "INBOX", []string{"zanzibar", "walrus"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != formatUID(uid) {
		t.Errorf("SearchText(zanzibar walrus) = %v, want [%d]", got, uid)
	}
}
