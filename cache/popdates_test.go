package cache

import (
	"fmt"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// TestPOPStoredTimesAfterMigration17 upgrades an index whose POP3 store
// times were a table of their own (migrations 6 to 16): each UIDL keeps
// its time, a UIDL without one counts from the upgrade, and UIDLs
// delivered after it are stamped when they are stored, by both ways of
// delivering.
func TestPOPStoredTimesAfterMigration17(t *testing.T) {
	opts := testOptions(t)
	db := oldIndex(t, opts, 16)
	old := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).Unix()
	_, err := db.Exec(`INSERT INTO pop_uidls (account, uidl) VALUES ('me@pop', 'old'), ('me@pop', 'untimed'), ('other', 'old');
		UPDATE pop_stored SET stored_at = ? WHERE uidl = 'old';
		DELETE FROM pop_stored WHERE uidl = 'untimed'`, old)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	c := openTest(t, opts)
	got, err := c.POPStoredTimes("me@pop")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["old"].Unix() != old || got["untimed"].Before(before) {
		t.Errorf("POPStoredTimes after the upgrade = %v, want old at %v and untimed from the upgrade", got, time.Unix(old, 0))
	}
	if other, _ := c.POPStoredTimes("other"); other["old"].Unix() != old {
		t.Errorf("POPStoredTimes(other) = %v, want its own time kept", other)
	}
	var tables int
	if err := c.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name IN ('pop_stored', 'pop_uidls_stamp', 'pop_uidls_unstamp')`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("pop_stored and its triggers left: %d, %v", tables, err)
	}

	// New deliveries are stamped as they are stored: a batch and one by one.
	b := c.BeginPOP("me@pop")
	defer b.Close()
	for i := range 3 {
		if err := b.Add(fmt.Sprintf("new%d", i), postamail.Header{Subject: "x"}, "", stringsReader(rawMessage(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeliverPOP("me@pop", "single", postamail.Header{Subject: "y"}, stringsReader(rawMessage(9))); err != nil {
		t.Fatal(err)
	}
	got, err = c.POPStoredTimes("me@pop")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"new0", "new1", "new2", "single"} {
		if at, ok := got[u]; !ok || at.Before(before) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("POPStoredTimes()[%s] = %v, %v; want the time it was stored", u, at, ok)
		}
	}
	if got["old"].Unix() != old || len(got) != 6 {
		t.Errorf("POPStoredTimes() = %v, want 6 UIDLs with old's time kept", got)
	}
}
