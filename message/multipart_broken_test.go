package message

import (
	"strings"
	"testing"
)

func TestBrokenMultipartDoesNotBeatRealPart(t *testing.T) {
	raw := crlf(`From: a@example.org
Subject: alt
Content-Type: multipart/alternative; boundary=outer

--outer
Content-Type: multipart/related; boundary=missing

--wrong
Content-Type: text/plain

raw MIME that should not be shown
--outer
Content-Type: text/html; charset=utf-8

<p>The real <b>HTML</b> part</p>
--outer--
`)
	res := render(t, raw, Options{})
	mustContain(t, "Body", res.Body, "The real HTML part")
	mustNotContain(t, "Body", res.Body, "raw MIME", "--wrong")
}

func TestSecondContentTypeWithTheRealBoundary(t *testing.T) {
	raw := crlf(`From: a@example.org
Subject: two types
Content-Type: multipart/related; boundary=bar
Content-Type: multipart/alternative; boundary="foo"

--foo
Content-Type: text/plain

plain text
--foo
Content-Type: text/html

<p>html</p>
--foo--
`)
	res := render(t, raw, Options{})
	if strings.TrimSpace(res.Body) != "plain text" {
		t.Errorf("Body = %q, want %q", res.Body, "plain text")
	}
}

func TestBrokenMultipartCorpus(t *testing.T) {
	res := render(t, corpusMessage(t, "spamassassin/spam/badmime2.txt"), Options{})
	mustNotContain(t, "Body", res.Body, "--foo", "Content-Type:")
}
