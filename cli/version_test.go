package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runRoot(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &out}
	root := newRoot(g)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCompletionsManAndVersion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, err := runRoot(t, "completion", shell)
		if err != nil || !strings.Contains(out, "posta") || len(out) < 500 {
			t.Errorf("completion %s: err %v, %d bytes", shell, err, len(out))
		}
	}
	dir := t.TempDir()
	if _, err := runRoot(t, "man", dir); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"posta.1", "posta-sync.1", "posta-search.1"} {
		data, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil || !bytes.Contains(data, []byte(".TH")) {
			t.Errorf("man page %s: %v", page, err)
		}
	}
	out, err := runRoot(t, "--version")
	if err != nil || !strings.HasPrefix(out, "posta version ") {
		t.Errorf("--version = %q, %v", out, err)
	}
}
