package ui

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/posta-mail/posta/mail"
)

// TestRunNotifyEndsOptions: the notify command gets "--" before the
// sender and the subject, so a subject that looks like an option is not
// one; a sender without a name is its address.
func TestRunNotifyEndsOptions(t *testing.T) {
	out := filepath.Join(t.TempDir(), "args")
	argv := []string{"/bin/sh", "-c", `printf '%s\n' "$@" > "$0"`, out}
	if _, err := os.Stat(argv[0]); err != nil {
		t.Skip("no /bin/sh")
	}
	from := notifySender(mail.Address{Name: " \u200b ", Addr: "eve@example.org"})
	if from == "" || from[0] == ' ' {
		t.Errorf("notifySender with a blank name = %q", from)
	}
	if err := runNotify(argv, notifySender(mail.Address{Addr: "eve@example.org"}), "--urgency=critical"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "--\neve@example.org\n--urgency=critical\n"; string(got) != want {
		t.Errorf("the notify command got %q, want %q", got, want)
	}
}
