package message

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// attachmentMessage builds a message whose part 2 is an attachment named
// name holding "secret payload".
func attachmentMessage(name string) string {
	return crlf(`Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

body
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="` + name + `"
Content-Transfer-Encoding: base64

c2VjcmV0IHBheWxvYWQ=
--b--
`)
}

func TestSaveAttachmentNames(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{"/abs/path/file.txt", "file.txt"},
		{`..\\..\\win\\system.ini`, "system.ini"},
		{`C:\\Windows\\evil.exe`, "evil.exe"},
		{"CON", "_CON"},
		{"lpt1.txt", "_lpt1.txt"},
		{".bashrc", "bashrc"},
		{"...", "part-2"},
		{"..", "part-2"},
		{"", "part-2.bin"},
		{"a\x1b[31mb\x07c.txt", "a[31mbc.txt"},
		{"in\u202Eexe.pdf", "inexe.pdf"},
		{"what?<>|*.txt", "what_____.txt"},
		{"trailing. . ", "trailing"},
		{strings.Repeat("x", 300) + ".pdf", strings.Repeat("x", 196) + ".pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, err := SaveAttachment(strings.NewReader(attachmentMessage(tt.name)), 2, dir)
			if err != nil {
				t.Fatalf("SaveAttachment() error = %v", err)
			}
			if filepath.Dir(path) != dir {
				t.Fatalf("SaveAttachment() = %q, outside %q", path, dir)
			}
			if got := filepath.Base(path); got != tt.want {
				t.Errorf("saved as %q, want %q", got, tt.want)
			}
			checkSavedFile(t, path, "secret payload")
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("dir holds %d entries, want exactly 1", len(entries))
			}
		})
	}
}

func checkSavedFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("content = %q, %v, want %q", got, err, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600 (no exec bit)", fi.Mode().Perm())
	}
}

func TestSaveAttachmentNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(existing, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw := attachmentMessage("report.pdf")
	p1, err := SaveAttachment(strings.NewReader(raw), 2, dir)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := SaveAttachment(strings.NewReader(raw), 2, dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p1) != "report (1).pdf" || filepath.Base(p2) != "report (2).pdf" {
		t.Errorf("saved as %q and %q, want report (1).pdf and report (2).pdf", p1, p2)
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine" {
		t.Errorf("existing file overwritten: %q", b)
	}
}

func TestSaveAttachmentDoesNotFollowSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir, outside := t.TempDir(), t.TempDir()
	target := filepath.Join(outside, "victim")
	if err := os.Symlink(target, filepath.Join(dir, "report.pdf")); err != nil {
		t.Fatal(err)
	}
	path, err := SaveAttachment(strings.NewReader(attachmentMessage("report.pdf")), 2, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file written through a symlink to %s", target)
	}
	if filepath.Base(path) != "report (1).pdf" {
		t.Errorf("saved as %q, want report (1).pdf", path)
	}
}

func TestSaveAttachmentMatchesRenderIndex(t *testing.T) {
	raw := crlf(`Content-Type: multipart/mixed; boundary=o

--o
Content-Type: multipart/alternative; boundary=a

--a
Content-Type: text/plain

plain
--a
Content-Type: text/html

<p>html</p>
--a--
--o
Content-Type: image/png; name="pic.png"
Content-Transfer-Encoding: base64

iVBORw0K
--o--
`)
	res := render(t, raw, Options{})
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "pic.png" {
		t.Fatalf("Attachments = %+v, want pic.png", res.Attachments)
	}
	dir := t.TempDir()
	path, err := SaveAttachment(strings.NewReader(raw), res.Attachments[0].Index, dir)
	if err != nil {
		t.Fatal(err)
	}
	checkSavedFile(t, path, "\x89PNG\r\n")
	if res.Attachments[0].Size != 6 {
		t.Errorf("Size = %d, want 6", res.Attachments[0].Size)
	}
	for _, index := range []int{0, -1, 99} {
		if _, err := SaveAttachment(strings.NewReader(raw), index, dir); !errors.Is(err, ErrNoSuchPart) {
			t.Errorf("SaveAttachment(index %d) error = %v, want ErrNoSuchPart", index, err)
		}
	}
}
