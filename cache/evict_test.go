package cache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// tickingClock returns a Now that advances one second per call.
func tickingClock() func() time.Time {
	t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func putIMAP(t *testing.T, c *Cache, n int) []int64 {
	t.Helper()
	var hs []postamail.Header
	for i := range n {
		hs = append(hs, header("INBOX", fmt.Sprint(i+1), time.Now()))
	}
	if err := c.PutHeaders("imap", hs); err != nil {
		t.Fatal(err)
	}
	ms, err := c.List(Query{Account: "imap"})
	if err != nil || len(ms) != n {
		t.Fatalf("List = %d, %v", len(ms), err)
	}
	ids := make([]int64, n)
	for _, m := range ms {
		var uid int
		fmt.Sscan(m.UID, &uid)
		ids[uid-1] = m.ID
	}
	return ids
}

func tryBody(c *Cache, id int64) error {
	rc, err := c.OpenBody(id)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.ReadAll(rc)
	return err
}

func TestBodyCacheEvictsLeastRecentlyRead(t *testing.T) {
	opts := testOptions(t)
	opts.BodyCacheBytes = 250
	opts.Now = tickingClock()
	c := openTest(t, opts)
	ids := putIMAP(t, c, 4)
	body := strings.Repeat("x", 100)
	for _, id := range ids[:2] {
		if err := c.PutBody(id, strings.NewReader(body)); err != nil {
			t.Fatal(err)
		}
	}
	// Reading the first body makes the second the least recently read.
	if err := tryBody(c, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := c.PutBody(ids[2], strings.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	for i, want := range []error{nil, ErrNoBody, nil} {
		if err := tryBody(c, ids[i]); !errors.Is(err, want) {
			t.Errorf("body %d: OpenBody err = %v, want %v", i+1, err, want)
		}
	}
	if _, err := os.Stat(bodyPath(opts.Dir, ids[1])); !os.IsNotExist(err) {
		t.Errorf("evicted body file still there: %v", err)
	}
	if m, _ := c.Get(ids[1]); m.HasBody {
		t.Error("evicted message still has HasBody")
	}
	if n, err := c.BodyCacheBytes(); err != nil || n != 200 {
		t.Errorf("BodyCacheBytes = %d, %v; want 200", n, err)
	}

	// A body bigger than the whole limit is kept; everything else goes.
	if err := c.PutBody(ids[3], strings.NewReader(strings.Repeat("y", 400))); err != nil {
		t.Fatal(err)
	}
	for i, want := range []error{ErrNoBody, ErrNoBody, ErrNoBody, nil} {
		if err := tryBody(c, ids[i]); !errors.Is(err, want) {
			t.Errorf("after big body: body %d err = %v, want %v", i+1, err, want)
		}
	}
}

func TestBodyCacheNeverEvictsPOP(t *testing.T) {
	opts := testOptions(t)
	opts.BodyCacheBytes = 50
	opts.Now = tickingClock()
	c := openTest(t, opts)
	var pop []int64
	for i := range 3 {
		raw := fmt.Sprintf("Subject: pop %d\r\n\r\n%s\r\n", i, strings.Repeat("p", 100))
		m, err := c.DeliverPOP("pop", fmt.Sprint("uidl", i), header("INBOX", "", time.Now()), strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		pop = append(pop, m.ID)
	}
	ids := putIMAP(t, c, 2)
	for _, id := range ids {
		if err := c.PutBody(id, strings.NewReader(strings.Repeat("i", 40))); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range pop {
		if err := tryBody(c, id); err != nil {
			t.Errorf("POP message %d: %v after IMAP eviction", id, err)
		}
	}
	if err := tryBody(c, ids[0]); !errors.Is(err, ErrNoBody) {
		t.Errorf("older IMAP body: err = %v, want ErrNoBody", err)
	}
	if err := tryBody(c, ids[1]); err != nil {
		t.Errorf("newest IMAP body: %v", err)
	}
}

func TestBodyCacheUnlimited(t *testing.T) {
	opts := testOptions(t)
	opts.BodyCacheBytes = -1
	c := openTest(t, opts)
	ids := putIMAP(t, c, 3)
	for _, id := range ids {
		if err := c.PutBody(id, strings.NewReader(strings.Repeat("z", 1000))); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		if err := tryBody(c, id); err != nil {
			t.Errorf("body %d: %v", id, err)
		}
	}
}
