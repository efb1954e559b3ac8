package message

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

const (
	maxHTMLDepth = 200
	// maxTreeHTML is the largest document converted through a parse tree;
	// bigger ones (and ones the parser rejects) go through the linear
	// tokenizer, because tree building can be slow on hostile markup.
	maxTreeHTML = 256 << 10
)

// htmlToText converts an HTML document to readable text: paragraphs and
// line breaks, "- " list items, "> " quotes, links as numbered footnotes
// listed at the end. Scripts, styles and other invisible content are
// dropped; nothing is fetched.
func htmlToText(src string, links *[]string) string {
	first := len(*links)
	var out string
	var doc *html.Node
	err := errTooBig
	if len(src) <= maxTreeHTML {
		doc, err = html.Parse(strings.NewReader(src))
	}
	if err != nil {
		out = tokensToText(src, links)
	} else {
		t := &htmlText{links: links}
		t.walk(doc, 0)
		out = tidyLines(t.b.String())
	}
	if len(*links) > first {
		var b strings.Builder
		b.WriteString(out)
		b.WriteString("\n\n")
		for i := first; i < len(*links); i++ {
			b.WriteString("[" + strconv.Itoa(i+1) + "] " + (*links)[i] + "\n")
		}
		out = b.String()
	}
	return out
}

type htmlText struct {
	b     strings.Builder
	links *[]string
	pre   int
	lists int
	space bool // a space is pending before the next word
}

func (t *htmlText) walk(n *html.Node, depth int) {
	switch n.Type {
	case html.TextNode:
		t.text(n.Data)
		return
	case html.ElementNode:
		t.element(n, depth)
		return
	}
	t.children(n, depth)
}

func (t *htmlText) children(n *html.Node, depth int) {
	if depth > maxHTMLDepth {
		t.flatText(n)
		return
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		t.walk(c, depth+1)
	}
}

// flatText emits the text below n without recursion, for absurdly deep
// documents.
func (t *htmlText) flatText(n *html.Node) {
	stack := []*html.Node{}
	for c := n.LastChild; c != nil; c = c.PrevSibling {
		stack = append(stack, c)
	}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.Type == html.TextNode {
			t.text(c.Data)
		}
		if c.Type == html.ElementNode && skipped(c.DataAtom) {
			continue
		}
		for k := c.LastChild; k != nil; k = k.PrevSibling {
			stack = append(stack, k)
		}
	}
}

func skipped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template,
		atom.Iframe, atom.Object, atom.Svg, atom.Math, atom.Select, atom.Button:
		return true
	}
	return false
}

func (t *htmlText) element(n *html.Node, depth int) {
	if skipped(n.DataAtom) {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		t.newline()
	case atom.Hr:
		t.blankLine()
		t.b.WriteString("----")
		t.blankLine()
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Dl:
		t.blankLine()
		t.children(n, depth)
		t.blankLine()
	case atom.Ul, atom.Ol:
		if t.lists == 0 {
			t.blankLine()
		}
		t.lists++
		t.children(n, depth)
		t.lists--
		t.newline()
	case atom.Li:
		t.newline()
		t.b.WriteString(strings.Repeat("  ", max(t.lists-1, 0)) + "- ")
		t.space = false
		t.children(n, depth)
		t.newline()
	case atom.Pre:
		t.blankLine()
		t.pre++
		t.children(n, depth)
		t.pre--
		t.blankLine()
	case atom.Blockquote:
		sub := &htmlText{links: t.links}
		sub.children(n, depth)
		t.blankLine()
		for _, line := range strings.Split(tidyLines(sub.b.String()), "\n") {
			t.b.WriteString(strings.TrimRight("> "+line, " ") + "\n")
		}
		t.blankLine()
	case atom.Div, atom.Tr, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Dt, atom.Dd, atom.Center, atom.Form:
		t.newline()
		t.children(n, depth)
		t.newline()
	case atom.Td, atom.Th:
		t.space = true
		t.children(n, depth)
		t.space = true
	case atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			t.text("[" + alt + "]")
		}
	case atom.A:
		t.children(n, depth)
		t.link(attr(n, "href"))
	default:
		t.children(n, depth)
	}
}

// link adds a footnote for href when it is worth one.
func (t *htmlText) link(href string) {
	href = strings.TrimSpace(href)
	lower := strings.ToLower(href)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "mailto:") {
		return
	}
	*t.links = append(*t.links, href)
	t.b.WriteString("[" + strconv.Itoa(len(*t.links)) + "]")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func (t *htmlText) text(s string) {
	if t.pre > 0 {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				t.newline()
			}
			t.b.WriteString(line)
		}
		return
	}
	if s == "" {
		return
	}
	if isSpace(s[0]) {
		t.space = true
	}
	for _, word := range strings.Fields(s) {
		if t.space && !t.atLineStart() {
			t.b.WriteByte(' ')
		}
		t.b.WriteString(word)
		t.space = true
	}
	t.space = isSpace(s[len(s)-1])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

func (t *htmlText) atLineStart() bool {
	s := t.b.String()
	return s == "" || strings.HasSuffix(s, "\n") || strings.HasSuffix(s, "- ") && t.lists > 0
}

func (t *htmlText) newline() {
	if !strings.HasSuffix(t.b.String(), "\n") && t.b.Len() > 0 {
		t.b.WriteByte('\n')
	}
	t.space = false
}

func (t *htmlText) blankLine() {
	t.newline()
	if !strings.HasSuffix(t.b.String(), "\n\n") && t.b.Len() > 0 {
		t.b.WriteByte('\n')
	}
}

// tidyLines trims trailing blanks and collapses runs of blank lines.
func tidyLines(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\u00a0")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}
