package message

import (
	"errors"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

var errTooBig = errors.New("html too big for a parse tree")

// tokensToText converts HTML to text in one linear pass over its tokens:
// the fallback for documents too big or too broken for a parse tree. It
// keeps line structure, list items and link footnotes, and drops the
// content of scripts, styles and the head.
func tokensToText(src string, links *[]string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	t := &htmlText{links: links}
	skip := 0
	var hrefs []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyLines(t.b.String())
		case html.TextToken:
			if skip == 0 {
				t.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if skipped(tok.DataAtom) && tt == html.StartTagToken {
				skip++
				continue
			}
			switch tok.DataAtom {
			case atom.Br, atom.Div, atom.Tr, atom.Dt, atom.Dd:
				t.newline()
			case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Blockquote, atom.Pre:
				t.blankLine()
			case atom.Li:
				t.newline()
				t.b.WriteString("- ")
			case atom.Img:
				if alt := strings.TrimSpace(tokenAttr(tok, "alt")); alt != "" && skip == 0 {
					t.text("[" + alt + "]")
				}
			case atom.A:
				if tt == html.StartTagToken && len(hrefs) < 1000 {
					hrefs = append(hrefs, tokenAttr(tok, "href"))
				}
			}
		case html.EndTagToken:
			tok := z.Token()
			switch {
			case skipped(tok.DataAtom):
				skip = max(skip-1, 0)
			case tok.DataAtom == atom.A && len(hrefs) > 0:
				t.link(hrefs[len(hrefs)-1])
				hrefs = hrefs[:len(hrefs)-1]
			case tok.DataAtom == atom.P || tok.DataAtom == atom.Table || tok.DataAtom == atom.Blockquote:
				t.blankLine()
			case tok.DataAtom == atom.Div || tok.DataAtom == atom.Li || tok.DataAtom == atom.Tr:
				t.newline()
			}
		}
	}
}

func tokenAttr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
