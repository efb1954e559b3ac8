package mail

import (
	"bytes"
	"testing"
)

// FuzzBoundRawFields holds boundRawFields to its comment for any header
// block a stranger's message (or a server) may hand over: a block within
// MaxRawFieldsBytes comes back as it is; a longer one as whole fields in
// their order, none above MaxRawFieldBytes, all within maxRawFieldsTotal,
// each a name and a colon (lines that are not fields are dropped). An
// input is repeated rep times, so that short inputs make long fields,
// long names and long blocks.
func FuzzBoundRawFields(f *testing.F) {
	f.Add([]byte("Subject: hello\r\nFrom: a@b.example\r\n"), uint16(2000))
	f.Add([]byte("References: <a@b> <c@d>\r\n"), uint16(1500))
	f.Add([]byte("X-Long"), uint16(3000))
	f.Add([]byte("Subject: =?utf-8?q?caf=C3=A9?= and more words \r\n\tcontinued\r\n"), uint16(400))
	f.Add(append(bytes.Repeat([]byte("n"), MaxRawFieldBytes+100), ": a name longer than a field may be\r\n"...), uint16(2))
	f.Add([]byte(" leading space: x\r\nno colon here\r\n:empty name\r\n"), uint16(900))
	f.Fuzz(func(t *testing.T, in []byte, rep uint16) {
		raw := bytes.Repeat(in, int(rep%4000)+1)
		out := boundRawFields(raw)
		if len(raw) <= MaxRawFieldsBytes {
			if !bytes.Equal(out, raw) {
				t.Fatalf("a block of %d bytes changed", len(raw))
			}
			return
		}
		if len(out) > maxRawFieldsTotal {
			t.Fatalf("%d bytes kept, above %d", len(out), maxRawFieldsTotal)
		}
		for rest := out; len(rest) > 0; {
			end := fieldEnd(rest)
			field := bytes.TrimSuffix(rest[:end], []byte("\r\n"))
			rest = rest[end:]
			if len(field) > MaxRawFieldBytes {
				t.Fatalf("a field of %d bytes kept, above %d", len(field), MaxRawFieldBytes)
			}
			if colon := bytes.IndexByte(field, ':'); colon <= 0 || field[0] == ' ' || field[0] == '\t' {
				t.Fatalf("kept %q…, not a field", field[:min(len(field), 40)])
			}
		}
	})
}
