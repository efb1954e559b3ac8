package cache

import (
	"errors"
	"testing"
	"time"
)

func TestAccountStateKeepsLastSuccess(t *testing.T) {
	c := openTest(t, testOptions(t))
	if st, err := c.AccountState("work"); err != nil || !st.LastSync.IsZero() {
		t.Fatalf("state of a never synced account = %+v, %v", st, err)
	}
	t1 := time.Unix(1700000000, 0)
	if err := c.RecordSync("work", t1, nil); err != nil {
		t.Fatal(err)
	}
	t2 := t1.Add(time.Hour)
	if err := c.RecordSync("work", t2, errors.New("connection refused")); err != nil {
		t.Fatal(err)
	}
	st, err := c.AccountState("work")
	if err != nil {
		t.Fatal(err)
	}
	if !st.LastSync.Equal(t2) || !st.LastOK.Equal(t1) || st.LastError != "connection refused" {
		t.Errorf("state = %+v, want last sync %v failed, last success %v", st, t2, t1)
	}
}
