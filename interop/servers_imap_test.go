//go:build interop

package interop

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// TestServersIMAPLoginAndRoles logs in over implicit TLS and STARTTLS and
// checks that every special-use folder is found with its role.
func TestServersIMAPLoginAndRoles(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
			f := s.imapFetcher(t, sec, alice, alicePass)
			folders, err := f.Folders(testCtx(t))
			if err != nil {
				t.Fatalf("Folders over %s: %v", sec, err)
			}
			roles := map[string]mail.Role{}
			for _, fo := range folders {
				roles[fo.Name] = fo.Role
			}
			if roles[inbox] != mail.RoleInbox {
				t.Errorf("over %s: INBOX role = %q, want inbox (folders %+v)", sec, roles[inbox], folders)
			}
			for role, name := range s.roles {
				got, ok := roles[name]
				if !ok {
					t.Errorf("over %s: folder %q missing from %+v", sec, name, folders)
				} else if got != role {
					t.Errorf("over %s: folder %q role = %q, want %q", sec, name, got, role)
				}
			}
		}
	})
}

// TestServersIMAPAppendFlagsMoveDelete appends a message, reads it back
// byte for byte, sets flags and checks them on a second connection, moves
// it to Trash (MoveUIDs: with COPYUID or by finding it, per server),
// checks the new UID on the second connection, and deletes it for good.
func TestServersIMAPAppendFlagsMoveDelete(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
		other := s.imapFetcher(t, protocols.SecurityStartTLS, alice, alicePass)
		m := newMessage(t, bob)
		if err := f.Append(ctx, inbox, nil, time.Time{}, []byte(m.Raw)); err != nil {
			t.Fatalf("Append: %v", err)
		}
		box := newHeaderCache(inbox)
		h := waitForSubject(t, ctx, f, box, m.Subject)
		if got := fetchBody(t, ctx, f, inbox, h.UID); !bytes.Equal(got, []byte(m.Raw)) {
			t.Errorf("FetchBody differs from the appended message\n got: %q\nwant: %q", got, m.Raw)
		}

		keyword := mail.Flag("$Label1")
		if err := f.SetFlags(ctx, inbox, []string{h.UID}, []mail.Flag{mail.FlagFlagged, keyword}, true); err != nil {
			t.Fatalf("SetFlags: %v", err)
		}
		seen := waitForSubject(t, ctx, other, newHeaderCache(inbox), m.Subject)
		if !seen.Flags.Has(mail.FlagFlagged) {
			t.Errorf("second connection: flags = %v, want \\Flagged", seen.Flags)
		}
		wantKeyword := keyword
		if s.dev.lowerKeywords {
			wantKeyword = mail.Flag(strings.ToLower(string(keyword)))
		}
		if !seen.Flags.Has(wantKeyword) {
			t.Errorf("second connection: flags = %v, want %s", seen.Flags, wantKeyword)
		}

		trash := s.roles[mail.RoleTrash]
		placed, err := f.MoveUIDs(ctx, inbox, []string{h.UID}, trash)
		if err != nil {
			t.Fatalf("MoveUIDs(INBOX→%s): %v", trash, err)
		}
		res, _, err := box.sync(ctx, f)
		if err != nil {
			t.Fatalf("Sync(INBOX) after the move: %v", err)
		}
		if !slices.Contains(res.Vanished, h.UID) {
			t.Errorf("Sync(INBOX) after the move: Vanished = %v, want %s", res.Vanished, h.UID)
		}
		moved := waitForSubject(t, ctx, other, newHeaderCache(trash), m.Subject)
		if placed[h.UID] != moved.UID {
			t.Errorf("MoveUIDs placed %s at %q, the server lists it as %s in %s (UIDPLUS: %v)", h.UID, placed[h.UID], moved.UID, trash, !s.dev.noUIDPlus)
		}
		if got := fetchBody(t, ctx, f, trash, moved.UID); !bytes.Equal(got, []byte(m.Raw)) {
			t.Errorf("FetchBody(%s) differs from the appended message", trash)
		}

		if err := f.Delete(ctx, trash, []string{moved.UID}); err != nil {
			t.Fatalf("Delete(%s): %v", trash, err)
		}
		tc := newHeaderCache(trash)
		if _, _, err := tc.sync(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, ok := tc.find(m.Subject); ok {
			t.Errorf("the message is still in %s after Delete", trash)
		}
	})
}

// TestServersIMAPSearch finds a fresh message by a word of its body.
func TestServersIMAPSearch(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
		m := newMessage(t, alice)
		if err := f.Append(ctx, inbox, nil, time.Time{}, []byte(m.Raw)); err != nil {
			t.Fatalf("Append: %v", err)
		}
		h := waitForSubject(t, ctx, f, newHeaderCache(inbox), m.Subject)
		token := strings.TrimPrefix(m.Subject, "interop ")
		uids, err := f.SearchText(ctx, inbox, []string{token})
		if err != nil {
			t.Fatalf("SearchText: %v", err)
		}
		if !slices.Contains(uids, h.UID) {
			t.Errorf("SearchText(%q) = %v, want it to hold %s", token, uids, h.UID)
		}
	})
}

// TestServersIMAPSecondClientExpunge: a flag another client sets shows in
// the next sync, and a message it expunges vanishes from the one after.
func TestServersIMAPSecondClientExpunge(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
		m := newMessage(t, alice)
		if err := f.Append(ctx, inbox, nil, time.Time{}, []byte(m.Raw)); err != nil {
			t.Fatalf("Append: %v", err)
		}
		box := newHeaderCache(inbox)
		h := waitForSubject(t, ctx, f, box, m.Subject)
		c := s.rawIMAP(t, alice, alicePass)
		if _, err := c.Select(inbox, nil).Wait(); err != nil {
			t.Fatal(err)
		}
		uid, _ := parseUIDForTest(h.UID)
		set := imap.UIDSetNum(uid)
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if _, _, err := box.sync(ctx, f); err != nil {
			t.Fatalf("Sync after the other client's flag: %v", err)
		}
		if fl := box.headers[h.UID].Flags; !fl.Has(mail.FlagFlagged) {
			t.Errorf("after the other client flagged it: flags = %v, want \\Flagged", fl)
		}
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Expunge().Close(); err != nil {
			t.Fatal(err)
		}
		res, _, err := box.sync(ctx, f)
		if err != nil {
			t.Fatalf("Sync after the other client's expunge: %v", err)
		}
		if !slices.Contains(res.Vanished, h.UID) {
			t.Errorf("Sync after the other client's expunge: Vanished = %v, want %s", res.Vanished, h.UID)
		}
	})
}

// TestServersIMAPIdle: IDLE on INBOX wakes up for an APPEND made on
// another connection.
func TestServersIMAPIdle(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		if s.dev.noUpdatePipe {
			t.Skip("deviation: no update pipe, an APPEND on another connection is not pushed to IDLE")
		}
		f := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		woke := make(chan struct{}, 1)
		done := make(chan error, 1)
		go func() {
			done <- f.Idle(ctx, inbox, func() {
				select {
				case woke <- struct{}{}:
				default:
				}
			})
		}()
		time.Sleep(500 * time.Millisecond) // let IDLE start
		m := newMessage(t, alice)
		other := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
		if err := other.Append(testCtx(t), inbox, nil, time.Time{}, []byte(m.Raw)); err != nil {
			t.Fatalf("Append: %v", err)
		}
		select {
		case <-woke:
		case err := <-done:
			t.Fatalf("Idle returned before any change: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatalf("IDLE did not report the APPEND within 20s")
		}
		cancel()
		<-done
	})
}

func parseUIDForTest(s string) (imap.UID, error) {
	var n uint32
	_, err := fmt.Sscanf(s, "%d", &n)
	return imap.UID(n), err
}
