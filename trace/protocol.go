package trace

import (
	"fmt"
	"strconv"
	"strings"
)

// mode says how a literal or a message body is written.
type mode int

const (
	show mode = iota
	redact
	elide
)

func (m mode) note(n int) string {
	if m == redact {
		return fmt.Sprintf("[%d bytes redacted]", n)
	}
	return fmt.Sprintf("[%d bytes elided]", n)
}

// redacted replaces a credential.
const redacted = "[redacted]"

// protocol follows one conversation far enough to know which lines
// carry credentials and which carry message bodies.
type protocol struct {
	kind   string
	bodies bool

	auth      bool // a SASL exchange is under way: client lines are secret
	loginCont bool // IMAP: a LOGIN command continues after a literal
	tls       bool // STARTTLS/STLS asked, answer pending

	// POP3: the kinds of answer expected, in order (commands may be
	// pipelined), and the multi-line answer being read.
	pending []popAnswer
	multi   popAnswer
	// POP3 bodies and SMTP DATA: the message being elided.
	lines, bytes int
	// SMTP: DATA sent, 354 pending; data: the message is being sent.
	dataPending, data bool
}

type popAnswer int

const (
	popNone popAnswer = iota
	popSingle
	popMulti
	popBody
	popSTLS
)

func newProtocol(kind string, bodies bool) *protocol {
	return &protocol{kind: kind, bodies: bodies}
}

// client returns what to write for a line posta sent, and the size and
// mode of a literal that follows it.
func (p *protocol) client(line string) (string, int, mode) {
	switch p.kind {
	case "imap":
		return p.imapClient(line)
	case "pop3":
		return p.popClient(line), 0, show
	case "smtp":
		return p.smtpClient(line)
	}
	return line, 0, show
}

// server returns what to write for a line the server sent, the size
// and mode of a literal that follows it, and whether the connection
// switches to TLS after it.
func (p *protocol) server(line string) (string, int, mode, bool) {
	switch p.kind {
	case "imap":
		return p.imapServer(line)
	case "pop3":
		out, up := p.popServer(line)
		return out, 0, show, up
	case "smtp":
		out, up := p.smtpServer(line)
		return out, 0, show, up
	}
	return escape([]byte(line)), 0, show, false
}

// literalSize reads an IMAP literal announced at the end of a line:
// {N}, {N+} or ~{N}; -1 if none.
func literalSize(line string) int {
	if !strings.HasSuffix(line, "}") {
		return -1
	}
	i := strings.LastIndexByte(line, '{')
	if i < 0 {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(line[i+1:], "}"), "+"))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

func (p *protocol) imapClient(line string) (string, int, mode) {
	lit := literalSize(line)
	if p.loginCont || p.auth {
		if lit >= 0 {
			return redacted, lit, redact
		}
		p.loginCont = false
		return redacted, 0, show
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return escape([]byte(line)), max(lit, 0), show
	}
	tag, cmd := f[0], strings.ToUpper(f[1])
	switch cmd {
	case "LOGIN":
		if lit >= 0 {
			p.loginCont = true
			return tag + " LOGIN " + redacted, lit, redact
		}
		return tag + " LOGIN " + redacted, 0, show
	case "AUTHENTICATE":
		p.auth = true
		out := tag + " AUTHENTICATE"
		if len(f) > 2 {
			out += " " + escape([]byte(f[2]))
		}
		if len(f) > 3 {
			out += " " + redacted
		}
		if lit >= 0 {
			return out, lit, redact
		}
		return out, 0, show
	case "APPEND":
		if lit >= 0 {
			return escape([]byte(line)), lit, p.bodyMode()
		}
	case "STARTTLS":
		p.tls = true
	}
	if lit >= 0 {
		return escape([]byte(line)), lit, show
	}
	return escape([]byte(line)), 0, show
}

func (p *protocol) bodyMode() mode {
	if p.bodies {
		return show
	}
	return elide
}

func (p *protocol) imapServer(line string) (string, int, mode, bool) {
	if p.auth && !strings.HasPrefix(line, "+") {
		p.auth = false
	}
	upgrade := false
	if p.tls {
		if f := strings.Fields(line); len(f) >= 2 && f[0] != "*" && f[0] != "+" {
			upgrade = strings.EqualFold(f[1], "OK")
			p.tls = false
		}
	}
	out := escape([]byte(line))
	if lit := literalSize(line); lit >= 0 {
		m := show
		u := strings.ToUpper(line)
		if !p.bodies && (strings.Contains(u, "BODY[") || strings.Contains(u, "RFC822") || strings.Contains(u, "BINARY[")) {
			m = elide
		}
		return out, lit, m, upgrade
	}
	return out, 0, show, upgrade
}

func (p *protocol) popClient(line string) string {
	if p.auth {
		return redacted
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		p.pending = append(p.pending, popSingle)
		return escape([]byte(line))
	}
	cmd := strings.ToUpper(f[0])
	answer := popSingle
	out := escape([]byte(line))
	switch cmd {
	case "USER", "PASS", "APOP":
		out = cmd + " " + redacted
	case "AUTH":
		if len(f) == 1 {
			answer = popMulti
			break
		}
		p.auth = true
		out = "AUTH " + escape([]byte(f[1]))
		if len(f) > 2 {
			out += " " + redacted
		}
	case "RETR", "TOP":
		answer = popBody
	case "CAPA":
		answer = popMulti
	case "LIST", "UIDL":
		if len(f) == 1 {
			answer = popMulti
		}
	case "STLS":
		answer = popSTLS
	}
	p.pending = append(p.pending, answer)
	return out
}

func (p *protocol) popServer(line string) (string, bool) {
	if p.multi != popNone {
		if line == "." {
			body := p.multi == popBody && !p.bodies
			p.multi = popNone
			if body {
				n, b := p.lines, p.bytes
				p.lines, p.bytes = 0, 0
				return fmt.Sprintf("[message: %d lines, %d bytes elided]", n, b), false
			}
			return ".", false
		}
		if p.multi == popBody && !p.bodies {
			p.lines++
			p.bytes += len(line) + 2
			return "", false
		}
		return escape([]byte(line)), false
	}
	ok := strings.HasPrefix(line, "+OK")
	final := ok || strings.HasPrefix(line, "-ERR")
	if p.auth {
		if !final {
			return escape([]byte(line)), false // a SASL challenge
		}
		p.auth = false
	}
	if !final || len(p.pending) == 0 {
		return escape([]byte(line)), false // the greeting, or out of step
	}
	answer := p.pending[0]
	p.pending = p.pending[1:]
	upgrade := false
	if ok {
		switch answer {
		case popMulti, popBody:
			p.multi = answer
		case popSTLS:
			upgrade = true
		}
	}
	return escape([]byte(line)), upgrade
}

func (p *protocol) smtpClient(line string) (string, int, mode) {
	if p.data {
		if line == "." {
			p.data = false
			if !p.bodies {
				n, b := p.lines, p.bytes
				p.lines, p.bytes = 0, 0
				return fmt.Sprintf("[message: %d lines, %d bytes elided]", n, b), 0, show
			}
			return ".", 0, show
		}
		if !p.bodies {
			p.lines++
			p.bytes += len(line) + 2
			return "", 0, show
		}
		return escape([]byte(line)), 0, show
	}
	if p.auth {
		return redacted, 0, show
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return escape([]byte(line)), 0, show
	}
	switch cmd := strings.ToUpper(f[0]); cmd {
	case "AUTH":
		p.auth = true
		out := "AUTH"
		if len(f) > 1 {
			out += " " + escape([]byte(f[1]))
		}
		if len(f) > 2 {
			out += " " + redacted
		}
		return out, 0, show
	case "DATA":
		p.dataPending = true
	case "BDAT":
		if len(f) > 1 {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 {
				return escape([]byte(line)), n, p.bodyMode()
			}
		}
	case "STARTTLS":
		p.tls = true
	}
	return escape([]byte(line)), 0, show
}

func (p *protocol) smtpServer(line string) (string, bool) {
	final := len(line) < 4 || line[3] != '-'
	if p.auth && !strings.HasPrefix(line, "334") && final {
		p.auth = false
	}
	upgrade := false
	if p.dataPending && final {
		p.dataPending = false
		p.data = strings.HasPrefix(line, "354")
	}
	if p.tls && final {
		p.tls = false
		upgrade = strings.HasPrefix(line, "220")
	}
	return escape([]byte(line)), upgrade
}
