package message

import (
	"mime"
	"testing"
)

// FuzzRFC2231Param sends any file name a user may attach, as
// writeAttachment does (outgoingName, then rfc2231Param), and reads the
// parameter back as a receiving client does: the name must come back the
// same, whatever characters it has (quotes, backslashes, semicolons,
// non-ASCII), or the recipient saves the file under another name.
func FuzzRFC2231Param(f *testing.F) {
	for _, seed := range []string{
		"report.pdf", "Rechnung März.pdf", `quo"te\back;semi=colon.txt`, "a b  c", "日本語のファイル名.txt",
		"%41%42", "name*=utf-8''x", "x'y'z", "tab\there", "\xff\xfe.bin", "(comment) <angle> [sq] {cb}?.txt",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		want := outgoingName(name)
		param := rfc2231Param("filename", want)
		_, params, err := mime.ParseMediaType("attachment; " + param)
		if err != nil {
			t.Fatalf("file name %q as %q: %v", want, param, err)
		}
		if got := params["filename"]; got != want {
			t.Fatalf("file name %q as %q reads back as %q", want, param, got)
		}
	})
}
