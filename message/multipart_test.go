package message

import (
	"io"
	"os"
	"strings"
	"testing"
)

func TestMultipartReaderSplitsParts(t *testing.T) {
	body := "preamble\r\n--b\r\nX: 1\r\n\r\none\r\n\r\n--b \r\n--b\r\ntwo\r\n--bb\r\n--b--\r\nepilogue\r\n"
	mr := newMultipartReader(strings.NewReader(body), "b")
	var parts []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("NextPart() error = %v", err)
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, string(b))
	}
	want := []string{"X: 1\r\n\r\none\r\n", "", "two\r\n--bb"}
	if strings.Join(parts, "|") != strings.Join(want, "|") {
		t.Errorf("parts = %q, want %q", parts, want)
	}
}

func TestMultipartReaderEdgeCases(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
		wantErr    error
	}{
		{"no close boundary", "--b\nx\ny\n", []string{"x\ny\n"}, nil},
		{"no boundary at all", "just text\n", nil, errNoBoundary},
		{"only close boundary", "text\n--b--\n", nil, nil},
		{"long lines", "--b\n" + strings.Repeat("x", 20000) + "\n--b--", []string{strings.Repeat("x", 20000)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mr := newMultipartReader(strings.NewReader(tt.body), "b")
			var got []string
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					if err != tt.wantErr {
						t.Fatalf("NextPart() error = %v, want %v", err, tt.wantErr)
					}
					break
				}
				b, _ := io.ReadAll(p)
				got = append(got, string(b))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("parts = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSaveAttachmentExactBytes(t *testing.T) {
	raw := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
		"Content-Type: application/octet-stream; name=a.bin\r\n\r\nline1\r\nline2\r\n\r\n--b--\r\n"
	path, err := SaveAttachment(strings.NewReader(raw), 1, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "line1\r\nline2\r\n" {
		t.Errorf("saved %q, want %q (the CRLF before the boundary is not content)", got, "line1\r\nline2\r\n")
	}
}

func TestRenderPreambleOnlyMultipart(t *testing.T) {
	res := render(t, "Content-Type: multipart/mixed; boundary=b\r\n\r\nonly a preamble\r\n--b--\r\n", Options{})
	if strings.TrimSpace(res.Body) != "only a preamble" {
		t.Errorf("Body = %q, want the preamble", res.Body)
	}
}
