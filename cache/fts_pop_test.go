package cache

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	postamail "github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// popFileMessage is a plain text message whose body is body.
func popFileMessage(subject, body string) string {
	return "From: Sender <s@example.org>\r\nTo: bob@example.org\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\n" + body + "\r\n"
}

// addPOP adds messages (UIDL → raw) to a POP batch with the given body
// text and commits them; a message's subject is its UIDL.
func addPOP(t *testing.T, c *Cache, text map[string]string, raw map[string]string) {
	t.Helper()
	b := c.BeginPOP("me@pop")
	defer b.Close()
	for uidl, r := range raw {
		h := postamail.Header{Folder: FolderInbox, Subject: uidl}
		if err := b.Add(uidl, h, text[uidl], stringsReader(r)); err != nil {
			t.Fatalf("Add(%s) error = %v", uidl, err)
		}
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

// maildirPath returns the maildir_path of the message whose UIDL is uidl.
func maildirPath(t *testing.T, c *Cache, uidl string) string {
	t.Helper()
	var rel string
	if err := c.db.QueryRow(`SELECT maildir_path FROM messages WHERE uid = ?`, uidl).Scan(&rel); err != nil {
		t.Fatalf("maildir_path of %s: %v", uidl, err)
	}
	return rel
}

func queuedBodies(t *testing.T, c *Cache) int {
	t.Helper()
	var n int
	if err := c.db.QueryRow(`SELECT count(*) FROM fts_bodies`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func searchSubjects(t *testing.T, c *Cache, text string) string {
	t.Helper()
	found, err := c.Search(SearchQuery{Text: text, Account: "me@pop"})
	if err != nil {
		t.Fatalf("Search(%q) error = %v", text, err)
	}
	var s []string
	for _, m := range found {
		s = append(s, m.Subject)
	}
	return strings.Join(s, ",")
}

// TestPOPBodyTextFromFiles: POP3 messages added without body text are
// found by their body once indexed (the catch-up reads it from their
// Maildir files), up to message.IndexTextBytes of the file; a file gone
// before the catch-up leaves its message findable by its header.
func TestPOPBodyTextFromFiles(t *testing.T) {
	c := openTest(t, testOptions(t))
	line := "filler text line of the big message\r\n"
	big := strings.Repeat(line, message.IndexTextBytes/len(line)+10)
	raw := map[string]string{
		"plain":  popFileMessage("plain", "the okapi grazes"),
		"big":    popFileMessage("big", "early aardvark\r\n"+big+"late narwhal"),
		"gone":   popFileMessage("gone", "the quokka smiles"),
		"mime":   "Subject: mime\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nZ=C3=BCrich ibex =\r\nfoot\r\n",
		"escape": popFileMessage("escape", "nothing special"),
	}
	addPOP(t, c, nil, raw)
	if n := queuedBodies(t, c); n != 0 {
		t.Fatalf("fts_bodies holds %d rows after a batch without body text, want 0", n)
	}
	if err := os.Remove(filepath.Join(c.dataDir, filepath.FromSlash(maildirPath(t, c, "gone")))); err != nil {
		t.Fatal(err)
	}
	// A path that leads out of the data folder is not read.
	outside := filepath.Join(filepath.Dir(c.dataDir), "outside")
	if err := os.WriteFile(outside, []byte(popFileMessage("x", "the secret marmot")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Exec(`UPDATE messages SET maildir_path = ? WHERE uid = 'escape'`,
		filepath.ToSlash(filepath.Join("..", "outside"))); err != nil {
		t.Fatal(err)
	}
	if n, err := c.IndexPending(); err != nil || n != len(raw) {
		t.Fatalf("IndexPending() = %d, %v; want %d, nil", n, err, len(raw))
	}
	for _, tt := range []struct{ text, want string }{
		{"okapi", "plain"},
		{"aardvark", "big"},
		{"narwhal", ""}, // beyond the first 256 KiB
		{"gone", "gone"},
		{"quokka", ""},
		{"ibex", "mime"}, // decoded by BodyText
		{"marmot", ""},
		{"grazes okapi", "plain"},
	} {
		if got := searchSubjects(t, c, tt.text); got != tt.want {
			t.Errorf("Search(%q) = [%s], want [%s]", tt.text, got, tt.want)
		}
	}
	if n := queuedBodies(t, c); n != 0 {
		t.Errorf("fts_bodies holds %d rows after the catch-up, want 0", n)
	}
}

// TestPOPQueuedBodyTextKept: a POP3 message whose body text was given
// when it was stored (DeliverPOP's callers, or Add with text) is indexed
// with that text; its file is not read.
func TestPOPQueuedBodyTextKept(t *testing.T) {
	c := openTest(t, testOptions(t))
	raw := map[string]string{
		"given": popFileMessage("given", "the wombat digs"),
		"read":  popFileMessage("read", "the tapir swims"),
	}
	addPOP(t, c, map[string]string{"given": "the capybara naps"}, raw)
	if n := queuedBodies(t, c); n != 1 {
		t.Fatalf("fts_bodies holds %d rows, want the 1 given", n)
	}
	for _, tt := range []struct{ text, want string }{
		{"capybara", "given"},
		{"wombat", ""},
		{"tapir", "read"},
	} {
		if got := searchSubjects(t, c, tt.text); got != tt.want {
			t.Errorf("Search(%q) = [%s], want [%s]", tt.text, got, tt.want)
		}
	}
}

// TestPOPFileRenamedBeforeIndexing: a file renamed between the reading
// of the batch's files and its transaction (its flags changed) is read
// again under its new name.
func TestPOPFileRenamedBeforeIndexing(t *testing.T) {
	c := openTest(t, testOptions(t))
	addPOP(t, c, nil, map[string]string{
		"a": popFileMessage("a", "the lemur leaps"),
		"b": popFileMessage("b", "the gecko climbs"),
	})
	var upto, hi int64
	if err := c.db.QueryRow(`SELECT indexed_upto, (SELECT max(id) FROM messages) FROM fts_state`).Scan(&upto, &hi); err != nil {
		t.Fatal(err)
	}
	read, _, err := c.fileTexts(t.Context(), upto, hi)
	if err != nil || len(read) != 2 {
		t.Fatalf("fileTexts() = %d texts, %v; want 2", len(read), err)
	}
	var idA int64
	if err := c.db.QueryRow(`SELECT id FROM messages WHERE uid = 'a'`).Scan(&idA); err != nil {
		t.Fatal(err)
	}
	before := maildirPath(t, c, "a")
	if err := c.SetFlags(idA, postamail.Flags{postamail.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if maildirPath(t, c, "a") == before {
		t.Fatal("SetFlags did not rename the file; the test tests nothing")
	}
	// The text read of the old name no longer names the file: if the
	// catch-up took it, a changed text would show.
	ft := read[idA]
	ft.text = "stale"
	read[idA] = ft
	if err := c.inTx(func(tx *sql.Tx) error {
		return c.queueFileTexts(t.Context(), tx, upto, hi, read)
	}); err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	rows, err := c.db.Query(`SELECT id, body FROM fts_bodies`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			t.Fatal(err)
		}
		got[id] = body
	}
	if len(got) != 2 || got[idA] != "the lemur leaps\n" {
		t.Errorf("fts_bodies = %v, want both messages, %d with its file's text", got, idA)
	}
	if got := searchSubjects(t, c, "lemur"); got != "a" {
		t.Errorf("Search(lemur) = [%s], want [a]", got)
	}
}

// TestPOPFileTextBudget: a batch stops reading files once their text
// reaches fileTextBudget, at a chunk's end; the next batch reads on, and
// every message is indexed with its text.
func TestPOPFileTextBudget(t *testing.T) {
	c := openTest(t, testOptions(t))
	filler := strings.Repeat("long text of a long message\r\n", message.IndexTextBytes/29)
	one := len(message.IndexText([]byte(popFileMessage("x", "word0 "+filler))))
	chunks := (fileTextBudget + fileChunk*one - 1) / (fileChunk * one)
	want := chunks * fileChunk // files the first batch reads
	raw := map[string]string{}
	for i := range want + 10 {
		uidl := fmt.Sprintf("m%03d", i)
		raw[uidl] = popFileMessage(uidl, fmt.Sprintf("word%d ", i)+filler)
	}
	addPOP(t, c, nil, raw)
	var upto, hi int64
	if err := c.db.QueryRow(`SELECT indexed_upto, (SELECT max(id) FROM messages) FROM fts_state`).Scan(&upto, &hi); err != nil {
		t.Fatal(err)
	}
	texts, readUpto, err := c.fileTexts(t.Context(), upto, hi)
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) != want || readUpto != upto+int64(want) {
		t.Errorf("fileTexts() read %d files up to id %d, want %d up to %d (budget %d, %d bytes a text)",
			len(texts), readUpto, want, upto+int64(want), fileTextBudget, one)
	}
	if n, err := c.IndexPending(); err != nil || n != len(raw) {
		t.Fatalf("IndexPending() = %d, %v; want %d", n, err, len(raw))
	}
	for _, i := range []int{0, want - 1, want, want + 9} {
		uidl := fmt.Sprintf("m%03d", i)
		if got := searchSubjects(t, c, fmt.Sprintf("word%d", i)); got != uidl {
			t.Errorf("Search(word%d) = [%s], want [%s]", i, got, uidl)
		}
	}
}

// BenchmarkIndexPendingPOP2k indexes 2,000 POP3 messages, as the
// reader's Tidy does after a download: "files" stored without body text,
// which the catch-up reads from their Maildir files (issue 15), and
// "queued" stored with it, as a download queued it before.
func BenchmarkIndexPendingPOP2k(b *testing.B) {
	raw := make([]string, 2000)
	for i := range raw {
		raw[i] = popFileMessage(fmt.Sprint("m", i), fmt.Sprintf("body %d of a plain message\r\nwith a second line", i))
	}
	for _, queued := range []bool{false, true} {
		name := map[bool]string{false: "files", true: "queued"}[queued]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				c := openTest(b, testOptions(b))
				batch := c.BeginPOP("me@pop")
				for i, r := range raw {
					var text string
					if queued {
						text = message.IndexText([]byte(r))
					}
					if err := batch.Add(fmt.Sprint("u", i), postamail.Header{Folder: FolderInbox, Subject: fmt.Sprint(i)}, text, stringsReader(r)); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := batch.Commit(); err != nil {
					b.Fatal(err)
				}
				batch.Close()
				b.StartTimer()
				if n, err := c.IndexPending(); err != nil || n != len(raw) {
					b.Fatalf("IndexPending() = %d, %v", n, err)
				}
				b.StopTimer()
				c.Close()
				b.StartTimer()
			}
		})
	}
}
