package accounts

import (
	"context"
	"testing"
	"time"
)

// TestPrefetchMakesRecentMailReadableOffline syncs with prefetch_days
// set, then reads with the server unreachable: recent bodies are there,
// older ones are not.
func TestPrefetchMakesRecentMailReadableOffline(t *testing.T) {
	f := startDemoFixture(t, 30)
	f.cfg.Accounts[0].Fetch.PrefetchDays = 10
	f.cfg.Accounts[0].Fetch.Folders = []string{"INBOX"}
	set := f.open(t)
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := work.List("INBOX", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().AddDate(0, 0, -10)
	recent, old := 0, 0
	for _, m := range msgs {
		switch {
		case !m.Date.Before(cutoff):
			recent++
			if !m.HasBody {
				t.Errorf("message of %v (younger than 10 days) not prefetched", m.Date)
			}
		default:
			old++
			if m.HasBody {
				t.Errorf("message of %v (older than 10 days) prefetched", m.Date)
			}
		}
	}
	if recent == 0 || old == 0 {
		t.Fatalf("demo mail has %d recent and %d old messages; the test needs both", recent, old)
	}
}
