package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	l, err := Open(dir, Options{MaxBytes: 300, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	log := l.Logger()
	for i := 0; i < 30; i++ {
		log.Warn("sync failed", "account", "work", "server", "imap.example:993", "n", i)
	}
	l.Close()
	for _, name := range []string{Name, Name + ".1", Name + ".2"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, fi.Mode().Perm())
		}
		if fi.Size() > 300 {
			t.Errorf("%s is %d bytes, want at most 300", name, fi.Size())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, Name+".3")); !os.IsNotExist(err) {
		t.Errorf("a third rotated file was kept")
	}
	data, _ := os.ReadFile(filepath.Join(dir, Name))
	if !strings.Contains(string(data), fmt.Sprintf("n=%d", 29)) || !strings.Contains(string(data), "account=work") {
		t.Errorf("the newest record is not in the file:\n%s", data)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode = %v, want 0700", fi.Mode().Perm())
	}
}
