//go:build interop

package interop

import (
	"strings"
	"testing"
)

// TestServersUIDValidityChange: another client deletes a folder and
// creates one of the same name (a new UIDVALIDITY); the next sync drops
// the folder's old rows and lists the new messages, with their bodies.
func TestServersUIDValidityChange(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		other := s.rawIMAP(t, alice, alicePass)
		folder := scratchFolder(t, s, other, "recreated")
		appendRaw(t, other, folder, folder+" old 1", folder+" old 2")
		before := uidValidity(t, other, folder)
		set := openAccountsFor(t, s.account(t, folder))
		a, _ := set.Get(s.name)
		if _, err := a.Sync(ctx, nil); err != nil {
			t.Fatalf("first Sync: %v", err)
		}
		if got := cachedSubjects(t, set, s.name, folder); len(got) != 2 {
			t.Fatalf("after the first Sync the cache holds %v, want the 2 old messages", got)
		}
		if err := other.Delete(folder).Wait(); err != nil {
			t.Fatalf("DELETE %s: %v", folder, err)
		}
		if err := other.Create(folder, nil).Wait(); err != nil {
			t.Fatalf("re-CREATE %s: %v", folder, err)
		}
		appendRaw(t, other, folder, folder+" new 1")
		if after := uidValidity(t, other, folder); after == before {
			t.Skipf("%s kept UIDVALIDITY %d for the recreated folder", s.name, after)
		}
		if _, err := a.Sync(ctx, nil); err != nil {
			t.Fatalf("Sync after the folder was recreated: %v", err)
		}
		got := cachedSubjects(t, set, s.name, folder)
		if len(got) != 1 || got[folder+" new 1"] != 1 {
			t.Fatalf("after the reset the cache holds %v, want only %q", got, folder+" new 1")
		}
		m := cachedBySubject(t, set, s.name, folder, folder+" new 1")
		body, err := a.Body(ctx, m.ID)
		if err != nil || !strings.Contains(string(body), "body of "+folder+" new 1") {
			t.Errorf("Body(new 1) = %q, %v; want the new message's body", body, err)
		}
	})
}
