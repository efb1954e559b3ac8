package message

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// headerBlock returns raw up to and including the blank line that ends
// its header (all of raw when there is none).
func headerBlock(raw []byte) []byte {
	for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, sep); i >= 0 {
			return raw[:i+len(sep)]
		}
	}
	return raw
}

// BenchmarkParseHeaderCorpus parses the header of every message of the
// shared corpus once per iteration; ns/header is the mean per message.
func BenchmarkParseHeaderCorpus(b *testing.B) {
	var heads [][]byte
	size := 0
	for _, path := range corpusFiles(b) {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		h := headerBlock(raw)
		heads = append(heads, h)
		size += len(h)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, h := range heads {
			if _, err := ParseHeader(bytes.NewReader(h)); err != nil {
				b.Fatalf("ParseHeader() error = %v", err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(heads)), "ns/header")
}

// typicalHeader is a mailing-list message header as servers deliver it:
// trace fields, DKIM, encoded words in two charsets and a long thread.
var typicalHeader = strings.Join([]string{
	"Return-Path: <list-bounces@lists.example.org>",
	"Received: from mx.example.org (mx.example.org [192.0.2.10])\r\n\tby imap.work.example (Postfix) with ESMTPS id 4XyZ1\r\n\tfor <alice@work.example>; Mon, 02 Mar 2026 10:00:00 +0100 (CET)",
	"Received: from lists.example.org (lists.example.org [192.0.2.20])\r\n\tby mx.example.org with ESMTP; Mon, 02 Mar 2026 09:59:58 +0100",
	"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=2026;\r\n\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSBidXQgaXQgaXMgYXMgbG9uZyBhcyBvbmU=",
	"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>",
	"To: posta development <posta-dev@lists.example.org>, \"O'Neil, Sam\" <sam.oneil@example.ie>",
	"Cc: =?ISO-8859-1?Q?Chlo=E9?= Dubois <chloe@example.fr>, alice@work.example",
	"Reply-To: posta-dev@lists.example.org",
	"Subject: =?UTF-8?B?UmU6IENhZsOpIG1lZXRpbmcg4oCUIGFnZW5kYSBmb3IgWsO8cmljaA==?=",
	"Date: Mon, 02 Mar 2026 09:59:41 +0100",
	"Message-ID: <20260302085941.GA1234@example.de>",
	"In-Reply-To: <CAF=abc123@mail.example.fr>",
	"References: <20260228120000.1@example.org> <20260228130000.2@example.org>\r\n <CAF=xyz789@mail.example.fr> <CAF=abc123@mail.example.fr>",
	"MIME-Version: 1.0",
	"Content-Type: multipart/mixed; boundary=\"=-=-=\"",
	"List-Id: posta development <posta-dev.lists.example.org>",
	"List-Unsubscribe: <mailto:posta-dev-leave@lists.example.org>",
	"", "",
}, "\r\n")

// BenchmarkParseHeaderTypical parses one realistic list-mail header.
func BenchmarkParseHeaderTypical(b *testing.B) {
	raw := []byte(typicalHeader)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		h, err := ParseHeader(bytes.NewReader(raw))
		if err != nil || len(h.From) != 1 || len(h.Cc) != 2 || len(h.References) != 4 {
			b.Fatalf("ParseHeader() = %+v, %v", h, err)
		}
	}
}
