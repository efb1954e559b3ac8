package accounts

import (
	"testing"

	"github.com/posta-mail/posta/mail"
)

// typicalFields is what the header batch fetches of a mailing-list
// message: the index's fields, Content-Type and a thread's References.
var typicalFields = []byte("From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\r\n" +
	"To: posta development <posta-dev@lists.example.org>, \"O'Neil, Sam\" <sam.oneil@example.ie>\r\n" +
	"Cc: =?ISO-8859-1?Q?Chlo=E9?= Dubois <chloe@example.fr>, alice@work.example\r\n" +
	"Subject: =?UTF-8?B?UmU6IENhZsOpIG1lZXRpbmcg4oCUIGFnZW5kYSBmb3IgWsO8cmljaA==?=\r\n" +
	"Date: Mon, 02 Mar 2026 09:59:41 +0100\r\n" +
	"Message-ID: <20260302085941.GA1234@example.de>\r\n" +
	"In-Reply-To: <20260301170000.GB999@example.org>\r\n" +
	"References: <20260228120000.GA1@example.org> <20260301090000.GA2@example.fr>\r\n <20260301170000.GB999@example.org>\r\n" +
	"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n")

// BenchmarkDecodeRawFields is the cost per message that decoding the
// raw fields adds to a header sync.
func BenchmarkDecodeRawFields(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		h := mail.Header{RawFields: typicalFields}
		decodeRawFields(&h)
		if h.Subject == "" {
			b.Fatal("no subject")
		}
	}
}
