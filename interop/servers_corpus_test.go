//go:build interop

package interop

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
)

// corpusDir holds real messages from public mail-parsing projects (see
// its README); it lives beside the repository, not in it.
var corpusDir = filepath.Join("..", "..", "shared", "corpus")

// corpusFiles returns the corpus's message files, or skips the test.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && filepath.Dir(path) != corpusDir {
			files = append(files, path)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Skipf("no mail corpus at %s (%v)", corpusDir, err)
	}
	sort.Strings(files)
	return files
}

// scratchFolder creates a fresh folder for one test and deletes it when
// the test ends.
func scratchFolder(t *testing.T, s *server, c *imapclient.Client, name string) string {
	t.Helper()
	folder := fmt.Sprintf("%s%s-%d", s.prefix, name, time.Now().UnixNano())
	if err := c.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("create %s: %v", folder, err)
	}
	t.Cleanup(func() {
		// A client of its own: the test's may have been replaced.
		d, err := imapclient.DialTLS(s.imapTLS, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1"}})
		if err != nil {
			return
		}
		defer d.Close()
		if d.Login(alice, alicePass).Wait() == nil {
			d.Delete(folder).Wait()
		}
	})
	return folder
}

// appendBytes stores raw (bare LFs made CRLF) in folder and reports whether
// the server accepted it.
func appendBytes(c *imapclient.Client, folder string, raw []byte) error {
	raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err := cmd.Wait()
	return err
}

// serverView is what the server itself says of every message of folder:
// its raw bytes and its header block.
type serverMessage struct {
	raw, header []byte
}

func serverMessages(t *testing.T, c *imapclient.Client, folder string) map[string]serverMessage {
	t.Helper()
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("select %s: %v", folder, err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatalf("the server's own UID SEARCH ALL of %s: %v", folder, err)
	}
	whole := &imap.FetchItemBodySection{Peek: true}
	header := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	out := map[string]serverMessage{}
	// One message a command: an answer go-imap cannot parse costs only
	// that message, which is then missing from the view.
	// (maddy answers nothing to a FETCH of both sections of a message
	// whose header is all it has.)
	fetch := func(uid imap.UID, section *imap.FetchItemBodySection) []byte {
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil || len(msgs) != 1 {
			t.Errorf("the server's own FETCH of UID %d in %s: %d answers, %v", uid, folder, len(msgs), err)
			return nil
		}
		return msgs[0].FindBodySection(section)
	}
	for _, uid := range data.AllUIDs() {
		raw, head := fetch(uid, whole), fetch(uid, header)
		if raw == nil || head == nil {
			continue
		}
		out[fmt.Sprint(uint32(uid))] = serverMessage{raw: raw, header: head}
	}
	return out
}

// subjectDifference is a corpus message whose subject in the index may
// differ from the one posta's parser reads in the server's header, and why.
type subjectDifference struct{ index, header, why string }

// knownSubjectDifferences lists, by server, the differences the subjects
// check expects.
var knownSubjectDifferences = map[string][]subjectDifference{
	"dovecot": {{
		index: "Saying Hello", header: "",
		why: "mikel-mail/rfc2822/example13.eml has a line \"__\" (no colon) followed by a continuation line before its Subject: " +
			"Dovecot's HEADER.FIELDS reads past it and finds the Subject, posta's header parser (message.ParseHeader, " +
			"which the pager uses on the whole header) ends the header at that line (on the other servers the two agree)",
	}},
}

// TestServersCorpus seeds each IMAP server with the real messages of
// ../shared/corpus through its own APPEND, then checks that every message
// the server accepted is listed by posta's sync, reads back byte for byte
// as the server's own FETCH gives it, and is shown with the subject that
// the server's own header gives.
func TestServersCorpus(t *testing.T) {
	files := corpusFiles(t)
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		c := s.rawIMAP(t, alice, alicePass)
		folder := scratchFolder(t, s, c, "corpus")
		accepted, refused := 0, 0
		var why []string
		for _, file := range files {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			err = appendBytes(c, folder, raw)
			if err != nil && c.Noop().Wait() != nil {
				// maddy hangs up after refusing some messages: log in
				// again and try that one once more.
				c = s.rawIMAP(t, alice, alicePass)
				err = appendBytes(c, folder, raw)
			}
			if err != nil {
				refused++
				why = append(why, fmt.Sprintf("%s: %v", strings.TrimPrefix(file, corpusDir+"/"), err))
				continue
			}
			accepted++
		}
		if len(why) > 0 {
			t.Logf("refused: %s", strings.Join(why[:min(5, len(why))], "; "))
		}
		t.Logf("%s accepted %d of %d corpus files (%d refused)", s.name, accepted, len(files), refused)
		view := serverMessages(t, c, folder)
		switch {
		case len(view) < accepted:
			t.Errorf("the server's own FETCH gives %d messages, it accepted %d", len(view), accepted)
		case len(view) > accepted:
			// maddy may keep a message whose APPEND it answered with a
			// hang-up or a NO (the retry above then stores it again):
			// posta must list what the server holds, checked below.
			t.Logf("deviation: the server holds %d messages, it accepted %d", len(view), accepted)
		}

		f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
		hc := newHeaderCache(folder)
		if _, _, err := hc.sync(ctx, f); err != nil {
			t.Fatalf("Sync(%s): %v", folder, err)
		}
		if len(hc.headers) != len(view) {
			t.Errorf("posta lists %d messages, the server %d", len(hc.headers), len(view))
		}
		for uid, sm := range view {
			if _, ok := hc.headers[uid]; !ok {
				t.Errorf("UID %s: not listed by posta", uid)
				continue
			}
			if got := fetchBody(t, ctx, f, folder, uid); !bytes.Equal(got, sm.raw) {
				t.Errorf("UID %s: posta read %d bytes that differ from the server's own %d", uid, len(got), len(sm.raw))
			}
		}
		t.Run("subjects", func(t *testing.T) {
			// Issue 17, bug 4: the index showed subjects from ENVELOPE,
			// which go-imap decodes dropping raw 8-bit bytes, and which
			// leaves some encoded words encoded; it now decodes the raw
			// header fields with posta's own parser, as the pager does.
			// The index is read as the reader reads it: an account synced
			// into a cache of its own.
			set := openAccountsFor(t, s.account(t, folder))
			a, err := set.Get(s.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Sync(ctx, nil); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			msgs, err := set.List(s.name, folder, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			index := map[string]string{}
			for _, m := range msgs {
				index[m.UID] = m.Subject
			}
			var differ []string
			known := map[[2]string]string{}
			for _, d := range knownSubjectDifferences[s.name] {
				known[[2]string{d.index, d.header}] = d.why
			}
			seen := map[[2]string]bool{}
			for uid, sm := range view {
				got, ok := index[uid]
				if !ok {
					t.Errorf("UID %s: not in the index", uid)
					continue
				}
				want, err := message.ParseHeader(bytes.NewReader(sm.header))
				if err != nil {
					t.Errorf("UID %s: parse the server's header: %v", uid, err)
					continue
				}
				// The index keeps a bounded subject (mail.MaxSubjectBytes).
				if want := want.Bounded().Subject; got != want {
					if why, ok := known[[2]string{got, want}]; ok {
						seen[[2]string{got, want}] = true
						t.Logf("UID %s: known difference: the index shows %q, the header says %q: %s", uid, got, want, why)
						continue
					}
					differ = append(differ, fmt.Sprintf("UID %s: the index shows %.200q, the header says %.200q", uid, got, want))
				}
			}
			sort.Strings(differ)
			for _, d := range differ {
				t.Error(d)
			}
			if len(differ) > 0 {
				t.Errorf("%d of %d subjects in the index differ from the server's header", len(differ), len(view))
			}
			for k := range known {
				if !seen[k] {
					t.Logf("the known difference %q / %q no longer shows: drop it from knownSubjectDifferences", k[0], k[1])
				}
			}
		})
	})
}

// TestServersMalformedBodyStructure holds issue 17's bug 1: maddy answers
// a multipart with no parts with a BODYSTRUCTURE go-imap cannot parse,
// ("alternative" ("boundary" "x") NIL NIL NIL); the folder must still list
// every message, that one included, and read it back.
func TestServersMalformedBodyStructure(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		c := s.rawIMAP(t, alice, alicePass)
		folder := scratchFolder(t, s, c, "bodystructure")
		bad := "From: a@example.test\r\nSubject: no parts\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/alternative; boundary=\"x\"\r\n\r\n--x--\r\n"
		for i, raw := range []string{newMessage(t, alice).Raw, bad, newMessage(t, alice).Raw} {
			if err := appendBytes(c, folder, []byte(raw)); err != nil {
				t.Fatalf("append message %d: %v", i, err)
			}
		}
		view := serverMessages(t, c, folder)
		f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
		hc := newHeaderCache(folder)
		if _, _, err := hc.sync(ctx, f); err != nil {
			t.Fatalf("Sync(%s): %v", folder, err)
		}
		if len(hc.headers) != len(view) {
			t.Fatalf("posta lists %d messages, the server %d", len(hc.headers), len(view))
		}
		h, ok := hc.find("no parts")
		if !ok {
			t.Fatalf("the message with no parts is not listed: %+v", hc.headers)
		}
		if got := fetchBody(t, ctx, f, folder, h.UID); !bytes.Equal(got, view[h.UID].raw) {
			t.Errorf("the message with no parts reads back as %q, the server has %q", got, view[h.UID].raw)
		}
	})
}
