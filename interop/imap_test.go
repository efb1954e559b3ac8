//go:build interop

package interop

import (
	"crypto/tls"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
)

func TestIMAPLogin(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			f := s.imapFetcher(t, sec, bob, bobPass)
			folders, err := f.Folders(testCtx(t))
			if err != nil {
				t.Fatalf("Folders over %s: %v", sec, err)
			}
			if !slices.ContainsFunc(folders, func(f mail.Folder) bool { return f.Name == inbox }) {
				t.Errorf("Folders over %s = %+v, want an INBOX", sec, folders)
			}
		})
	}
}

func TestIMAPFolderRoles(t *testing.T) {
	s := requireStack(t)
	f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
	folders, err := f.Folders(testCtx(t))
	if err != nil {
		t.Fatalf("Folders: %v", err)
	}
	roles := map[string]mail.Role{}
	for _, fo := range folders {
		roles[fo.Name] = fo.Role
	}
	want := map[string]mail.Role{
		inbox:     mail.RoleInbox,
		"Sent":    mail.RoleSent,
		"Drafts":  mail.RoleDrafts,
		"Trash":   mail.RoleTrash,
		"Archive": mail.RoleArchive,
		"Junk":    mail.RoleJunk,
	}
	for name, role := range want {
		got, ok := roles[name]
		if !ok {
			t.Errorf("folder %q missing from %+v", name, folders)
		} else if got != role {
			t.Errorf("folder %q role = %q, want %q", name, got, role)
		}
	}
}

func TestIMAPWrongPassword(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			f := s.imapFetcher(t, sec, bob, "not-bobs-password")
			_, err := f.Folders(testCtx(t))
			if !errors.Is(err, protocols.ErrAuthFailed) {
				t.Fatalf("Folders with a wrong password: err = %v, want ErrAuthFailed", err)
			}
		})
	}
}

func TestIMAPUntrustedCA(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			addr := s.imapTLS
			if sec == protocols.SecurityStartTLS {
				addr = s.imapStartTLS
			}
			f := imap.New(imap.Options{Endpoint: endpoint(t, addr, sec, bob, bobPass, untrustedRoots(t))})
			defer f.Close()
			_, err := f.Folders(testCtx(t))
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Fatalf("Folders trusting a foreign CA: err = %v, want a certificate verification error", err)
			}
		})
	}
}

// appendUnique appends n messages with fresh subjects to folder and
// returns the subjects.
func appendUnique(t *testing.T, f *imap.Fetcher, folder string, n int) []string {
	t.Helper()
	ctx := testCtx(t)
	var subjects []string
	for range n {
		m := newMessage(t, alice)
		if err := f.Append(ctx, folder, []mail.Flag{mail.FlagSeen}, time.Now(), []byte(m.Raw)); err != nil {
			t.Fatalf("Append(%s): %v", folder, err)
		}
		subjects = append(subjects, m.Subject)
	}
	return subjects
}

func TestIMAPIncrementalSync(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	const folder = "Archive"
	f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
	subjects := appendUnique(t, f, folder, 3)

	cache := newHeaderCache(folder)
	res, got, err := cache.sync(ctx, f)
	if err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	if res.UIDValidity == 0 {
		t.Errorf("first Sync UIDValidity = 0")
	}
	if res.Added != len(got) || len(got) < len(subjects) {
		t.Errorf("first Sync Added = %d, headers = %d, want >= %d and equal", res.Added, len(got), len(subjects))
	}
	uids := make([]string, len(subjects))
	for i, subj := range subjects {
		h, ok := cache.find(subj)
		if !ok {
			t.Fatalf("first Sync did not deliver %q", subj)
		}
		if !h.Flags.Has(mail.FlagSeen) || h.Folder != folder {
			t.Errorf("header %q: flags %v folder %q, want \\Seen in %s", subj, h.Flags, h.Folder, folder)
		}
		uids[i] = h.UID
	}

	res, got, err = cache.sync(ctx, f)
	if err != nil {
		t.Fatalf("second Sync: %v", err)
	}
	if len(got) != 0 || res.Added != 0 || len(res.Vanished) != 0 || res.Reset {
		t.Fatalf("unchanged second Sync: %d headers, Added %d, Vanished %v, Reset %v; want nothing new",
			len(got), res.Added, res.Vanished, res.Reset)
	}

	// A second client flags one message and expunges another.
	other := s.imapFetcher(t, protocols.SecurityStartTLS, alice, alicePass)
	if err := other.SetFlags(ctx, folder, uids[:1], []mail.Flag{mail.FlagFlagged}, true); err != nil {
		t.Fatalf("second client SetFlags: %v", err)
	}
	if err := other.SetFlags(ctx, folder, uids[2:3], []mail.Flag{mail.FlagSeen}, false); err != nil {
		t.Fatalf("second client SetFlags(remove): %v", err)
	}
	if err := other.Delete(ctx, folder, uids[1:2]); err != nil {
		t.Fatalf("second client Delete: %v", err)
	}

	res, got, err = cache.sync(ctx, f)
	if err != nil {
		t.Fatalf("third Sync: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("third Sync delivered %d headers, want 0", len(got))
	}
	if fl, ok := res.Flags[uids[0]]; !ok || !fl.Has(mail.FlagFlagged) || !fl.Has(mail.FlagSeen) {
		t.Errorf("third Sync Flags[%s] = %v (present %v), want \\Seen \\Flagged", uids[0], fl, ok)
	}
	if fl, ok := res.Flags[uids[2]]; !ok || fl.Has(mail.FlagSeen) {
		t.Errorf("third Sync Flags[%s] = %v (present %v), want \\Seen removed", uids[2], fl, ok)
	}
	if !slices.Contains(res.Vanished, uids[1]) {
		t.Errorf("third Sync Vanished = %v, want it to hold %s", res.Vanished, uids[1])
	}
	if _, ok := res.Flags[uids[1]]; ok {
		t.Errorf("third Sync reports flags for expunged UID %s", uids[1])
	}
	t.Logf("HighestModSeq after changes: %d", res.HighestModSeq)

	// The folder counts agree with what the sync left in the cache.
	folders, err := f.Folders(ctx)
	if err != nil {
		t.Fatalf("Folders: %v", err)
	}
	unread := 0
	for _, h := range cache.headers {
		if !h.Flags.Has(mail.FlagSeen) {
			unread++
		}
	}
	i := slices.IndexFunc(folders, func(fo mail.Folder) bool { return fo.Name == folder })
	if i < 0 {
		t.Fatalf("Folders has no %s: %+v", folder, folders)
	}
	if folders[i].Total != len(cache.headers) || folders[i].Unread != unread {
		t.Errorf("Folders %s: Total %d Unread %d, want %d and %d (from the synced cache)",
			folder, folders[i].Total, folders[i].Unread, len(cache.headers), unread)
	}
}
