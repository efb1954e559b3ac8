package cache

import (
	"fmt"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// TestPutHeadersKeepsABoundedForm: a hostile header (a 50 MB subject,
// 100,000 recipients) is indexed cut to mail's bounds.
func TestPutHeadersKeepsABoundedForm(t *testing.T) {
	c := openTest(t, testOptions(t))
	h := header("INBOX", "1", time.Now())
	h.Subject = strings.Repeat("spam ", 10<<20)
	h.Cc = make([]postamail.Address, 100_000)
	for i := range h.Cc {
		h.Cc[i] = postamail.Address{Addr: fmt.Sprintf("u%d@example.org", i)}
	}
	if err := c.PutHeaders("work", []postamail.Header{h}); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.MessagesByUID("work", "INBOX", []string{"1"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("MessagesByUID = %d messages, %v", len(msgs), err)
	}
	got := msgs[0]
	if len(got.Subject) > postamail.MaxSubjectBytes || !strings.HasPrefix(got.Subject, "spam spam") {
		t.Errorf("indexed subject: %d bytes", len(got.Subject))
	}
	if len(got.Cc) > postamail.MaxAddresses {
		t.Errorf("indexed Cc: %d addresses", len(got.Cc))
	}
}
