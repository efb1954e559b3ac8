package message

import (
	"strings"
	"unicode/utf8"
)

// unflow joins the soft line breaks of format=flowed text (RFC 3676): a
// line ending in a space continues on the next line of the same quote
// depth. Space-stuffing is removed; with delsp the trailing space of a
// soft break is deleted too.
func unflow(s string, delsp bool) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var b strings.Builder
	var para strings.Builder
	paraDepth, open := 0, false
	emit := func() {
		if open {
			b.WriteString(quotePrefix(paraDepth))
			b.WriteString(para.String())
			b.WriteByte('\n')
		}
		para.Reset()
		open = false
	}
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := strings.TrimPrefix(line[depth:], " ")
		if open && depth != paraDepth {
			emit()
		}
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delsp {
			content = content[:len(content)-1]
		}
		para.WriteString(content)
		paraDepth, open = depth, true
		if !soft {
			emit()
		}
	}
	emit()
	return strings.TrimSuffix(b.String(), "\n")
}

func quotePrefix(depth int) string {
	if depth == 0 {
		return ""
	}
	return strings.Repeat(">", depth) + " "
}

// wrapText wraps lines longer than width at spaces. Quoted lines keep
// their "> " prefix on continuation lines. Words longer than width are
// left whole.
func wrapText(s string, width int) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		if utf8.RuneCountInString(line) <= width {
			b.WriteString(line)
			continue
		}
		prefix := line[:len(line)-len(strings.TrimLeft(line, "> "))]
		if len(prefix) >= width/2 {
			prefix = ""
		}
		rest := line[len(prefix):]
		col := 0
		b.WriteString(prefix)
		col = utf8.RuneCountInString(prefix)
		first := true
		for _, word := range strings.Fields(rest) {
			n := utf8.RuneCountInString(word)
			if !first && col+1+n > width {
				b.WriteString("\n" + prefix)
				col = utf8.RuneCountInString(prefix)
				first = true
			}
			if !first {
				b.WriteByte(' ')
				col++
			}
			b.WriteString(word)
			col += n
			first = false
		}
	}
	return b.String()
}
