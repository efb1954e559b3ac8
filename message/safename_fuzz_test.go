package message

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/posta-mail/posta/sanitize"
)

// FuzzSafeName holds safeName to what its comment promises for any name a
// message may carry: a base name in the folder the user chose, with no
// control, invisible or Windows-forbidden character, no leading dot or
// dash, no trailing dot or space, no device name, and at most
// maxNameBytes bytes.
func FuzzSafeName(f *testing.F) {
	for _, seed := range []string{
		"report.pdf", "../../etc/passwd", `..\..\win\system.ini`, "CON", "lpt1.txt",
		"\x1b[31mred\x1b[0m.txt", "\u202egnp.exe", ".hidden", "-rf", "name. ",
		strings.Repeat("é", 150) + ".pdf", "CON." + strings.Repeat("x", 300),
		"a" + strings.Repeat(" ", 250) + ".txt", "\xff\xfe.bin", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name := safeName(in, 7)
		if name == "" || name == "." || name == ".." {
			t.Fatalf("safeName(%q) = %q", in, name)
		}
		if filepath.Base(name) != name || strings.ContainsAny(name, `/\<>:"|?*`) {
			t.Fatalf("safeName(%q) = %q: not a plain base name", in, name)
		}
		if len(name) > maxNameBytes {
			t.Fatalf("safeName(%q) is %d bytes, above %d", in, len(name), maxNameBytes)
		}
		if !utf8.ValidString(name) {
			t.Fatalf("safeName(%q) = %q: not UTF-8", in, name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || sanitize.Invisible(r) {
				t.Fatalf("safeName(%q) = %q holds %U", in, name, r)
			}
		}
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") || strings.HasPrefix(name, " ") {
			t.Fatalf("safeName(%q) = %q: hidden or option-like", in, name)
		}
		if strings.HasSuffix(name, ".") || strings.HasSuffix(name, " ") {
			t.Fatalf("safeName(%q) = %q: trailing dot or space (Windows drops them)", in, name)
		}
		if isWindowsDevice(name) {
			t.Fatalf("safeName(%q) = %q: a Windows device name", in, name)
		}
	})
}
