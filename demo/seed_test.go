package demo

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
)

func TestGenerateMessageDeterministic(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	a := GenerateMessage(7, 42, 100, "a@b.example", now)
	b := GenerateMessage(7, 42, 100, "a@b.example", now)
	if !bytes.Equal(a, b) {
		t.Fatal("GenerateMessage() is not deterministic")
	}
	if c := GenerateMessage(8, 42, 100, "a@b.example", now); bytes.Equal(a, c) {
		t.Error("different seeds gave the same message")
	}
}

// TestGeneratedVariety parses a default-sized folder and checks that it has
// the promised kinds of mail, all readable by go-message.
func TestGeneratedVariety(t *testing.T) {
	now := time.Now()
	g := Generator{Seed: DefaultSeed, Now: now, Total: 120, Folder: "INBOX", Owner: "a@b.example"}
	seen := map[string]bool{}
	var prev time.Time
	for i := 0; i < g.Total; i++ {
		m := g.Message(i)
		if m.Date.Before(prev) {
			t.Errorf("message %d dated %v before message %d", i, m.Date, i-1)
		}
		prev = m.Date
		raw := string(m.Raw)
		if strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
			t.Fatalf("message %d has a bare LF", i)
		}
		e, err := message.Read(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatalf("message %d: Read() error = %v", i, err)
		}
		for _, k := range []string{"In-Reply-To", "=?", "multipart/alternative", "filename", "iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "base64"} {
			if strings.Contains(raw, k) {
				seen[k] = true
			}
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("message %d: NextPart() error = %v", i, err)
				}
				io.Copy(io.Discard, p.Body)
			}
		} else if _, err := io.ReadAll(e.Body); err != nil {
			t.Fatalf("message %d: body error = %v", i, err)
		}
		if m.Seen {
			seen["seen"] = true
		}
		if m.Flagged {
			seen["flagged"] = true
		}
	}
	if !prev.Equal(now.Truncate(time.Second)) {
		t.Errorf("newest date = %v, want now", prev)
	}
	for _, k := range []string{"In-Reply-To", "=?", "multipart/alternative", "filename", "iso-8859-1", "windows-1252", "koi8-r", "iso-2022-jp", "base64", "seen", "flagged"} {
		if !seen[k] {
			t.Errorf("no generated message has %q", k)
		}
	}
}

func TestStartDefaultSize(t *testing.T) {
	s := startDemo(t, Options{})
	if n := len(s.POP3.Messages("bob")); n != 120 {
		t.Errorf("bob has %d messages, want 120", n)
	}
}

func BenchmarkStart100k(b *testing.B) {
	for b.Loop() {
		s, err := Start(Options{Messages: 100000})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
