package accounts

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadBodyFile(t *testing.T) {
	want := []byte(strings.Repeat("Subject: x\r\n\r\nbody line\r\n", 50000))
	path := filepath.Join(t.TempDir(), "m")
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := readBody(f)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("readBody = %d bytes, %v; want %d bytes", len(got), err, len(want))
	}
	if cap(got) > len(want)+64<<10 { // a size class above the size, not a grown buffer
		t.Errorf("buffer of %d bytes for %d: grown instead of sized once", cap(got), len(want))
	}
	if got, err := readBody(bytes.NewReader(want)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("readBody of a reader without Stat = %d bytes, %v", len(got), err)
	}
}
