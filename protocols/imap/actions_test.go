package imap

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// serverMessages returns UID → flags of mailbox as a second client sees it.
func serverMessages(t *testing.T, c *imapclient.Client, mailbox string) map[imap.UID][]imap.Flag {
	t.Helper()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[imap.UID][]imap.Flag{}
	for _, m := range msgs {
		out[m.UID] = m.Flags
	}
	return out
}

func TestFetchBodyExactBytes(t *testing.T) {
	ts := startServer(t)
	seedMessages(t, ts)
	f := ts.fetcher(t, protocols.SecurityStartTLS)
	for uid, want := range map[string]string{"1": crlf(msgLatin1), "2": crlf(msgReplyWithAttachment)} {
		rc, err := f.FetchBody(testCtx(t), "INBOX", uid)
		if err != nil {
			t.Fatalf("FetchBody(%s) error = %v", uid, err)
		}
		got, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Close(); err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("FetchBody(%s) = %q, want %q", uid, got, want)
		}
	}
	// A reader closed early must leave the connection usable.
	rc, err := f.FetchBody(testCtx(t), "INBOX", "2")
	if err != nil {
		t.Fatal(err)
	}
	rc.Read(make([]byte, 10))
	rc.Close()

	for _, uid := range []string{"99", "abc", "0"} {
		if _, err := f.FetchBody(testCtx(t), "INBOX", uid); !errors.Is(err, protocols.ErrNotFound) {
			t.Errorf("FetchBody(%q) error = %v, want ErrNotFound", uid, err)
		}
	}
	// Peek: still unseen.
	if flags := serverMessages(t, ts.otherClient(t), "INBOX")[1]; slices.Contains(flags, imap.FlagSeen) {
		t.Errorf("FetchBody marked the message seen: %v", flags)
	}
}

func TestSetFlags(t *testing.T) {
	ts := startServer(t)
	seedMessages(t, ts)
	f := ts.fetcher(t, protocols.SecurityTLS)
	if err := f.SetFlags(testCtx(t), "INBOX", []string{"1", "2"}, []mail.Flag{mail.FlagSeen, mail.FlagFlagged}, true); err != nil {
		t.Fatal(err)
	}
	if err := f.SetFlags(testCtx(t), "INBOX", []string{"3"}, []mail.Flag{mail.FlagSeen}, false); err != nil {
		t.Fatal(err)
	}
	got := serverMessages(t, ts.otherClient(t), "INBOX")
	for uid, want := range map[imap.UID]mail.Flags{1: {mail.FlagSeen, mail.FlagFlagged}, 2: {mail.FlagSeen, mail.FlagFlagged}, 3: {}} {
		fl := convertFlags(got[uid])
		slices.Sort(fl)
		slices.Sort(want)
		if !slices.Equal(fl, want) {
			t.Errorf("flags of %d = %v, want %v", uid, fl, want)
		}
	}
	if err := f.SetFlags(testCtx(t), "INBOX", []string{"x"}, []mail.Flag{mail.FlagSeen}, true); err == nil {
		t.Error("SetFlags with a malformed UID succeeded")
	}
}

func TestMoveAndDelete(t *testing.T) {
	ts := startServer(t)
	if err := ts.user.Create("Archive", nil); err != nil {
		t.Fatal(err)
	}
	seedMessages(t, ts)
	f := ts.fetcher(t, protocols.SecurityTLS)
	// Sync first so the fetcher holds the folder read-only; Move must
	// re-select it read-write.
	newFakeCache().sync(t, f, "INBOX")
	if err := f.Move(testCtx(t), "INBOX", []string{"2"}, "Archive"); err != nil {
		t.Fatalf("Move() error = %v", err)
	}
	if err := f.Delete(testCtx(t), "INBOX", []string{"3"}); err != nil {
		t.Fatalf("Delete() error = %v", err)
	}
	if err := f.Move(testCtx(t), "INBOX", []string{"1"}, "Nowhere"); !errors.Is(err, protocols.ErrNotFound) {
		t.Errorf("Move(to missing folder) error = %v, want ErrNotFound", err)
	}

	other := ts.otherClient(t)
	inbox := serverMessages(t, other, "INBOX")
	if _, ok := inbox[1]; len(inbox) != 1 || !ok {
		t.Errorf("INBOX holds %v, want only UID 1", inbox)
	}
	archive := serverMessages(t, other, "Archive")
	if len(archive) != 1 {
		t.Fatalf("Archive holds %v, want one message", archive)
	}
	rc, err := f.FetchBody(testCtx(t), "Archive", "1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, _ := io.ReadAll(rc); string(got) != crlf(msgReplyWithAttachment) {
		t.Errorf("moved message = %q", got)
	}
}

func TestAppend(t *testing.T) {
	ts := startServer(t)
	if err := ts.user.Create("Sent", nil); err != nil {
		t.Fatal(err)
	}
	f := ts.fetcher(t, protocols.SecurityTLS)
	date := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := f.Append(testCtx(t), "Sent", []mail.Flag{mail.FlagSeen}, date, []byte(msgLatin1)); err != nil {
		t.Fatalf("Append() error = %v", err)
	}
	other := ts.otherClient(t)
	if _, err := other.Select("Sent", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	body := &imap.FetchItemBodySection{Peek: true}
	msgs, err := other.Fetch(imap.UIDSetNum(1), &imap.FetchOptions{Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch appended: %v, %d messages", err, len(msgs))
	}
	if got := string(msgs[0].FindBodySection(body)); got != crlf(msgLatin1) {
		t.Errorf("appended bytes = %q, want CRLF version of the message", got)
	}
	if !slices.Contains(msgs[0].Flags, imap.FlagSeen) || !msgs[0].InternalDate.Equal(date) {
		t.Errorf("appended flags %v date %v", msgs[0].Flags, msgs[0].InternalDate)
	}
	if err := f.Append(testCtx(t), "Missing", nil, date, []byte(msgLatin1)); !errors.Is(err, protocols.ErrNotFound) {
		t.Errorf("Append(missing folder) error = %v, want ErrNotFound", err)
	}
}
