package cache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An unnamed file is named both ways: by its descriptor (AT_EMPTY_PATH)
// and, where the kernel refuses that, by its /proc path. Naming it over
// an existing file fails either way.
func TestAnonFileLink(t *testing.T) {
	defer linkByPath.Store(linkByPath.Load())
	dir := t.TempDir()
	if !anonSupported(dir) {
		t.Skip("no O_TMPFILE here")
	}
	for _, byPath := range []bool{false, true} {
		linkByPath.Store(byPath)
		f, n, err := createAnon(dir, strings.NewReader("Subject: hi\r\n\r\nbody\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, "named")
		if byPath {
			dst += "-by-path"
		}
		if err := f.link(dst); err != nil {
			t.Fatalf("byPath %v: %v", byPath, err)
		}
		if err := f.link(dst); err == nil {
			t.Errorf("byPath %v: naming over an existing file succeeded", byPath)
		}
		f.close()
		got, err := os.ReadFile(dst)
		if err != nil || int64(len(got)) != n || string(got) != "Subject: hi\r\n\r\nbody\r\n" {
			t.Errorf("byPath %v: read %q, %v; want the %d bytes written", byPath, got, err, n)
		}
		if linkByPath.Load() != byPath {
			t.Errorf("an EEXIST changed the way of naming (byPath %v)", byPath)
		}
	}
}
