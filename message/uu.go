package message

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"path"
	"strings"
)

const maxUUScan = 1 << 20 // bytes searched for a "begin" line

// uuReader decodes the x-uuencode transfer encoding: everything before the
// "begin <mode> <name>" line is skipped, and the data ends at a line of
// length zero or "end". Content without a begin line in its first MiB is
// passed through as it is.
type uuReader struct {
	br      *bufio.Reader
	name    string // from the begin line
	started bool
	done    bool
	raw     bool // no begin line: pass through
	out     []byte
	pos     int
}

func newUUReader(r io.Reader) *uuReader {
	return &uuReader{br: bufio.NewReaderSize(r, 8<<10)}
}

// begin skips to the begin line and records the file name. It is called
// by the first Read, or earlier by a caller that wants the name.
func (u *uuReader) begin() {
	if u.started {
		return
	}
	u.started = true
	var skipped []byte
	for len(skipped) < maxUUScan {
		line, _, err := readLine(u.br, 4<<10)
		if name, ok := uuBegin(line); ok {
			u.name = name
			return
		}
		skipped = append(skipped, line...)
		if err != nil {
			break
		}
	}
	u.raw, u.out = true, skipped
}

func (u *uuReader) Read(p []byte) (int, error) {
	u.begin()
	if u.raw && u.pos == len(u.out) {
		return u.br.Read(p)
	}
	for u.pos == len(u.out) {
		if u.done {
			return 0, io.EOF
		}
		u.out, u.pos = u.out[:0], 0
		line, _, err := readLine(u.br, 4<<10)
		data, end := uuDecodeLine(line)
		u.out = append(u.out, data...)
		if end || err != nil {
			u.done = true
		}
	}
	n := copy(p, u.out[u.pos:])
	u.pos += n
	return n, nil
}

// uuBegin reports whether line is "begin <octal mode> <name>" and returns
// the name.
func uuBegin(line []byte) (string, bool) {
	s := strings.TrimRight(string(line), "\r\n")
	rest, ok := strings.CutPrefix(s, "begin ")
	if !ok {
		return "", false
	}
	mode, name, ok := strings.Cut(rest, " ")
	if !ok || len(mode) < 3 || len(mode) > 4 || strings.Trim(mode, "01234567") != "" {
		return "", false
	}
	return strings.TrimSpace(name), true
}

// uuDecodeLine decodes one line of uuencoded data; end is true for the
// line of length zero or "end" that closes the data.
func uuDecodeLine(line []byte) (data []byte, end bool) {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 {
		return nil, false
	}
	if bytes.Equal(bytes.TrimSpace(line), []byte("end")) {
		return nil, true
	}
	n := int((line[0] - ' ') & 63)
	if n == 0 {
		return nil, true
	}
	body := line[1:]
	data = make([]byte, 0, n+2)
	for i := 0; i < len(body) && len(data) < n; i += 4 {
		var c [4]byte
		for j := 0; j < 4; j++ {
			if i+j < len(body) {
				c[j] = (body[i+j] - ' ') & 63
			}
		}
		data = append(data, c[0]<<2|c[1]>>4, c[1]<<4|c[2]>>2, c[2]<<6|c[3])
	}
	if len(data) > n {
		data = data[:n]
	}
	return data, false
}

// uuLineValid reports whether line can be a line of uuencoded data: its
// length character matches the characters that follow (some encoders
// drop trailing spaces or add a check character), or it is "end".
func uuLineValid(line []byte) bool {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) == 0 || bytes.Equal(bytes.TrimSpace(line), []byte("end")) {
		return true
	}
	if line[0] < ' ' || line[0] > '`' {
		return false
	}
	n := int((line[0] - ' ') & 63)
	want := (n + 2) / 3 * 4
	have := len(line) - 1
	return have >= want-3 && have <= want+2
}

// uuBlock is a uuencoded file found in a text part.
type uuBlock struct {
	name string
	data []byte
}

// extractUU takes the uuencoded files ("begin 644 name" … "end") out of
// the text of a plain text part. Each block is replaced by a line naming
// the file; a block without its "end" line is left in the text.
func extractUU(text []byte) ([]byte, []uuBlock) {
	if !bytes.Contains(text, []byte("begin ")) {
		return text, nil
	}
	var out []byte
	var blocks []uuBlock
	rest := text
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		name, ok := uuBegin(line)
		if !ok {
			out = append(out, rest[:min(len(line)+1, len(rest))]...)
			rest = after
			continue
		}
		var data []byte
		closed, valid := false, true
		scan := after
		for len(scan) > 0 {
			l, next, _ := bytes.Cut(scan, []byte("\n"))
			scan = next
			if !uuLineValid(l) {
				valid = false
				break
			}
			d, end := uuDecodeLine(l)
			if end {
				if bytes.Equal(bytes.TrimSpace(l), []byte("end")) {
					closed = true
					break
				}
				// A line of length zero: "end" should follow.
				if e, n2, _ := bytes.Cut(scan, []byte("\n")); bytes.Equal(bytes.TrimSpace(e), []byte("end")) {
					scan, closed = n2, true
				}
				break
			}
			data = append(data, d...)
		}
		if !closed {
			if valid && len(scan) == 0 {
				// No block can end before the end of the text.
				return append(out, rest...), blocks
			}
			out = append(out, rest[:min(len(line)+1, len(rest))]...)
			rest = after
			continue
		}
		blocks = append(blocks, uuBlock{name: name, data: data})
		out = append(out, "[uuencoded file: "+name+"]\n"...)
		rest = scan
	}
	return out, blocks
}

// typeByName guesses a media type from a file name.
func typeByName(name string) string {
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	return "application/octet-stream"
}
