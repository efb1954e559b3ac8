package message

import (
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		name, in, typ string
		want          map[string]string
	}{
		{"plain", `text/plain; charset="utf-8"; format=flowed`, "text/plain",
			map[string]string{"charset": "utf-8", "format": "flowed"}},
		{"latin-1 RFC 2231", `attachment; filename*=iso-8859-1''Hasen%F6sche.txt`, "attachment",
			map[string]string{"filename": "Hasenösche.txt"}},
		{"continuations", `application/pdf; name*0*=utf-8''%E2%9C%94%20long; name*1*=%20na; name*2="me.pdf"`, "application/pdf",
			map[string]string{"name": "✔ long name.pdf"}},
		{"continuations out of order", `x/y; name*1=b; name*0=a; name*2=c`, "x/y",
			map[string]string{"name": "abc"}},
		{"language tag", `attachment; filename*=iso-8859-2'sl'Doma%E8e.txt`, "attachment",
			map[string]string{"filename": "Domače.txt"}},
		{"extended wins over plain", `attachment; filename="fallback.txt"; filename*=utf-8''%C3%A9t%C3%A9.txt`, "attachment",
			map[string]string{"filename": "été.txt"}},
		{"boundary in a non-UTF-8 charset", `multipart/signed; protocol="application/pgp-signature"; boundary*=iso-8859-1''sig%2D1`, "multipart/signed",
			map[string]string{"boundary": "sig-1", "protocol": "application/pgp-signature"}},
		{"boundary keeps its bytes", `multipart/mixed; boundary*=iso-8859-1''%E9b`, "multipart/mixed",
			map[string]string{"boundary": "\xe9b"}},
		{"quoted extended value", `multipart/mixed; boundary*="ansi-x3.4-1968''EeQf"`, "multipart/mixed",
			map[string]string{"boundary": "EeQf"}},
		{"encoded word in a plain value", `attachment; filename="=?utf-8?q?caf=C3=A9?=.txt"`, "attachment",
			map[string]string{"filename": "café.txt"}},
		{"quoted semicolon and escapes", `attachment; filename="a;b \"c\".txt"`, "attachment",
			map[string]string{"filename": `a;b "c".txt`}},
		{"utf-7 charset", `attachment; filename*=utf-7''+ZeVnLIqe-.txt`, "attachment",
			map[string]string{"filename": "日本語.txt"}},
		{"broken list", `TEXT/HTML; ; charset = iso-8859-1 ; junk`, "text/html",
			map[string]string{"charset": "iso-8859-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			typ, params := parseParams(tt.in)
			if typ != tt.typ {
				t.Errorf("parseParams(%q) type = %q, want %q", tt.in, typ, tt.typ)
			}
			for k, v := range tt.want {
				if params[k] != v {
					t.Errorf("parseParams(%q)[%q] = %q, want %q", tt.in, k, params[k], v)
				}
			}
		})
	}
}

func TestMultipartSignedLatin1Boundary(t *testing.T) {
	for _, boundary := range []string{"sig-1", "\xe9sig"} {
		t.Run(boundary, func(t *testing.T) {
			testSignedBoundary(t, boundary)
		})
	}
}

func testSignedBoundary(t *testing.T, boundary string) {
	encoded := strings.ReplaceAll(boundary, "\xe9", "%E9")
	raw := crlf("From: a@example.com\nSubject: signed\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\";\n micalg=pgp-sha256; boundary*=iso-8859-1''" + encoded + "\n\n" +
		"--" + boundary + "\nContent-Type: text/plain\n\nthe signed text\n--" + boundary + "\nContent-Type: application/pgp-signature; name=signature.asc\n\n-----BEGIN PGP SIGNATURE-----\nxyz\n-----END PGP SIGNATURE-----\n--" + boundary + "--\n")
	res := render(t, raw, Options{})
	mustContain(t, "Body", res.Body, "the signed text")
	mustNotContain(t, "Body", res.Body, "BEGIN PGP", "Content-Type")
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "signature.asc" {
		t.Errorf("Attachments = %+v, want signature.asc", res.Attachments)
	}
}

func TestParamsCorpus(t *testing.T) {
	raw := corpusMessage(t, "mikel-mail/attachment_emails/attachment_with_quoted_filename.eml")
	res := render(t, raw, Options{})
	var names []string
	for _, a := range res.Attachments {
		names = append(names, a.Name)
	}
	mustContain(t, "attachment names", strings.Join(names, "|"), "Eelanalüüsi päring.jpg")
}
