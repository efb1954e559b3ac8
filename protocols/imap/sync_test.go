package imap

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

const msgLatin1 = `From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>
To: Bob <bob@example.org>
Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?=
Date: Mon, 02 Jan 2006 15:04:05 +0000
Message-ID: <m1@example.org>

Hello
.leading dot line
`

const msgReplyWithAttachment = `From: Carol <carol@example.org>
To: bob@example.org
Cc: dave@example.org
Subject: Re: Cafe
Date: Tue, 03 Jan 2006 10:00:00 +0000
Message-ID: <m2@example.org>
In-Reply-To: <m1@example.org>
References: <m0@example.org>
 <m1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

see attached
--b1
Content-Type: application/pdf
Content-Disposition: attachment; filename="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0=
--b1--
`

const msgNoDate = `From: eve@example.org
To: bob@example.org
Subject: no date header
Message-ID: <m3@example.org>

body
`

var internalDate = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// seedMessages puts three messages in INBOX (UIDs 1..3, the third seen).
func seedMessages(t *testing.T, ts *testServer) {
	ts.seed(t, "INBOX", msgLatin1, nil, internalDate)
	ts.seed(t, "INBOX", msgReplyWithAttachment, nil, internalDate)
	ts.seed(t, "INBOX", msgNoDate, []imap.Flag{imap.FlagSeen}, internalDate)
}

// fakeCache records what Sync delivers, as the cache would.
type fakeCache struct {
	state    protocols.FolderState
	headers  map[string]mail.Header
	batches  [][]string
	progress []protocols.Progress
}

func newFakeCache() *fakeCache { return &fakeCache{headers: map[string]mail.Header{}} }

func (fc *fakeCache) request(folder string) protocols.SyncRequest {
	state := fc.state
	state.Known = func(uid string) bool { _, ok := fc.headers[uid]; return ok }
	state.KnownUIDs = nil
	for uid := range fc.headers {
		state.KnownUIDs = append(state.KnownUIDs, uid)
	}
	return protocols.SyncRequest{
		Folder: folder,
		State:  state,
		Headers: func(hs []mail.Header) error {
			var uids []string
			for _, h := range hs {
				fc.headers[h.UID] = h
				uids = append(uids, h.UID)
			}
			fc.batches = append(fc.batches, uids)
			return nil
		},
		Progress: func(p protocols.Progress) { fc.progress = append(fc.progress, p) },
	}
}

func (fc *fakeCache) sync(t *testing.T, f *Fetcher, folder string) protocols.SyncResult {
	t.Helper()
	fc.batches = nil
	res, err := f.Sync(testCtx(t), fc.request(folder))
	if err != nil {
		t.Fatalf("Sync() error = %v", err)
	}
	if res.Reset {
		clear(fc.headers)
	}
	for _, uid := range res.Vanished {
		delete(fc.headers, uid)
	}
	fc.state.UIDValidity, fc.state.HighestModSeq = res.UIDValidity, res.HighestModSeq
	return res
}

func TestFirstSyncHeaders(t *testing.T) {
	ts := startServer(t)
	seedMessages(t, ts)
	f := New(Options{Endpoint: ts.endpoint(protocols.SecurityTLS), BatchSize: 2})
	defer f.Close()
	cache := newFakeCache()
	res := cache.sync(t, f, "INBOX")

	if res.Added != 3 || res.UIDValidity == 0 || res.Reset {
		t.Errorf("Sync() = %+v, want Added 3, a UIDVALIDITY, no Reset", res)
	}
	if want := [][]string{{"3", "2"}, {"1"}}; !slices.EqualFunc(cache.batches, want, slices.Equal) {
		t.Errorf("batches = %v, want %v (newest first)", cache.batches, want)
	}
	if len(cache.progress) != 2 || cache.progress[1].Done != 3 || cache.progress[1].Total != 3 || cache.progress[1].Bytes == 0 {
		t.Errorf("progress = %+v", cache.progress)
	}

	h1 := cache.headers["1"]
	if h1.Subject != "Café crème" {
		t.Errorf("subject = %q, want %q", h1.Subject, "Café crème")
	}
	if want := []mail.Address{{Name: "André", Addr: "andre@example.org"}}; !slices.Equal(h1.From, want) {
		t.Errorf("from = %+v, want %+v", h1.From, want)
	}
	if want := []mail.Address{{Name: "Bob", Addr: "bob@example.org"}}; !slices.Equal(h1.To, want) {
		t.Errorf("to = %+v, want %+v", h1.To, want)
	}
	if h1.MessageID != "m1@example.org" || h1.Folder != "INBOX" || h1.HasAttachment {
		t.Errorf("header 1 = %+v", h1)
	}
	if want := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC); !h1.Date.Equal(want) {
		t.Errorf("date = %v, want %v", h1.Date, want)
	}
	if h1.Size != int64(len(crlf(msgLatin1))) {
		t.Errorf("size = %d, want %d", h1.Size, len(crlf(msgLatin1)))
	}
	if h1.Flags.Has(mail.FlagSeen) {
		t.Errorf("flags = %v, want unseen", h1.Flags)
	}

	h2 := cache.headers["2"]
	if !h2.HasAttachment {
		t.Error("message 2: HasAttachment = false, want true")
	}
	if h2.InReplyTo != "m1@example.org" {
		t.Errorf("in-reply-to = %q", h2.InReplyTo)
	}
	if want := []string{"m0@example.org", "m1@example.org"}; !slices.Equal(h2.References, want) {
		t.Errorf("references = %v, want %v", h2.References, want)
	}
	if len(h2.Cc) != 1 || h2.Cc[0].Addr != "dave@example.org" {
		t.Errorf("cc = %+v", h2.Cc)
	}

	h3 := cache.headers["3"]
	if !h3.Date.Equal(internalDate) {
		t.Errorf("date without Date header = %v, want internal date %v", h3.Date, internalDate)
	}
	if !slices.Equal(h3.Flags, mail.Flags{mail.FlagSeen}) {
		t.Errorf("flags = %v, want [\\Seen]", h3.Flags)
	}
}

func TestIncrementalSync(t *testing.T) {
	ts := startServer(t)
	seedMessages(t, ts)
	f := ts.fetcher(t, protocols.SecurityTLS)
	cache := newFakeCache()
	cache.sync(t, f, "INBOX")

	other := ts.otherClient(t)
	ts.seed(t, "INBOX", msgNoDate, nil, internalDate) // UID 4
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged, "$Work"}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(3), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}

	res := cache.sync(t, f, "INBOX")
	if want := [][]string{{"4"}}; !slices.EqualFunc(cache.batches, want, slices.Equal) {
		t.Errorf("batches = %v, want only the new UID 4", cache.batches)
	}
	if res.Added != 1 || res.Reset {
		t.Errorf("Sync() = %+v, want Added 1", res)
	}
	if !slices.Equal(res.Vanished, []string{"2"}) {
		t.Errorf("Vanished = %v, want [2]", res.Vanished)
	}
	if fl := res.Flags["1"]; !fl.Has(mail.FlagFlagged) || !fl.Has("$Work") {
		t.Errorf("flags of 1 = %v, want \\Flagged and $Work", fl)
	}
	if fl, ok := res.Flags["3"]; !ok || fl.Has(mail.FlagSeen) {
		t.Errorf("flags of 3 = %v (present %v), want no \\Seen", fl, ok)
	}
	if _, ok := res.Flags["4"]; ok {
		t.Error("Flags reports the message that was just added")
	}

	// Nothing changed: nothing new, nothing vanished.
	res = cache.sync(t, f, "INBOX")
	if res.Added != 0 || len(res.Vanished) != 0 || len(cache.batches) != 0 {
		t.Errorf("idle Sync() = %+v, batches %v", res, cache.batches)
	}
}

func TestSyncUIDValidityChangeResets(t *testing.T) {
	ts := startServer(t)
	if err := ts.user.Create("Lists", nil); err != nil {
		t.Fatal(err)
	}
	ts.seed(t, "Lists", msgLatin1, nil, internalDate)
	f := ts.fetcher(t, protocols.SecurityTLS)
	cache := newFakeCache()
	first := cache.sync(t, f, "Lists")

	if err := ts.user.Delete("Lists"); err != nil {
		t.Fatal(err)
	}
	if err := ts.user.Create("Lists", nil); err != nil {
		t.Fatal(err)
	}
	ts.seed(t, "Lists", msgNoDate, nil, internalDate)
	ts.seed(t, "Lists", msgReplyWithAttachment, nil, internalDate)

	// The fetcher still has the old mailbox selected; Sync must re-select.
	req := cache.request("Lists")
	var got []string
	req.Headers = func(hs []mail.Header) error {
		for _, h := range hs {
			got = append(got, h.UID+":"+h.MessageID)
		}
		return nil
	}
	res, err := f.Sync(testCtx(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Reset || res.UIDValidity == first.UIDValidity {
		t.Errorf("Sync() = %+v, want Reset with a new UIDVALIDITY (old %d)", res, first.UIDValidity)
	}
	if want := []string{"2:m2@example.org", "1:m3@example.org"}; !slices.Equal(got, want) {
		t.Errorf("headers after reset = %v, want %v", got, want)
	}
	if len(res.Vanished) != 0 || len(res.Flags) != 0 {
		t.Errorf("Reset sync reported Vanished %v / Flags %v", res.Vanished, res.Flags)
	}
}

func TestSyncMissingFolder(t *testing.T) {
	ts := startServer(t)
	f := ts.fetcher(t, protocols.SecurityTLS)
	_, err := f.Sync(context.Background(), protocols.SyncRequest{Folder: "Nope"})
	if !errorsIs(err, protocols.ErrNotFound) {
		t.Fatalf("Sync(missing) error = %v, want ErrNotFound", err)
	}
}
