package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
)

// TestCursorVisibleWithoutStyles: with styles stripped (NO_COLOR,
// monochrome; TestMain sets the ASCII profile) the selected row is still
// marked in its text.
func TestCursorVisibleWithoutStyles(t *testing.T) {
	rows := []accounts.Message{
		{Header: mail.Header{Subject: "first", Date: time.Now()}},
		{Header: mail.Header{Subject: "second", Date: time.Now()}},
		{Header: mail.Header{Subject: "third", Date: time.Now()}},
	}
	x := index{total: 3, cursor: 1, rows: rows, height: 3}
	lines := strings.Split(x.view(DefaultTheme(), 80, time.Now(), false, false), "\n")
	for i, l := range lines {
		if marked := strings.HasPrefix(l, "▸"); marked != (i == 1) {
			t.Errorf("line %d %q: marked = %v, want the cursor (line 1) alone marked", i, l, marked)
		}
	}
}
