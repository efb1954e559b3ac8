package pop3server

import (
	"bytes"
	"strconv"
	"strings"
)

// transaction runs one command in the TRANSACTION state.
func (s *session) transaction(verb, arg string) error {
	args := strings.Fields(arg)
	switch verb {
	case "NOOP":
		return s.reply("+OK")
	case "STAT":
		n, size := 0, 0
		for i, m := range s.msgs {
			if !s.deleted[i+1] {
				n++
				size += len(m.Data)
			}
		}
		return s.reply("+OK " + strconv.Itoa(n) + " " + strconv.Itoa(size))
	case "LIST", "UIDL":
		return s.listing(verb, args)
	case "RETR", "TOP", "DELE":
		if len(args) != map[string]int{"RETR": 1, "TOP": 2, "DELE": 1}[verb] {
			s.bad++
			return s.reply("-ERR wrong number of arguments")
		}
		n, ok := s.number(args[0])
		if !ok {
			return s.reply("-ERR no such message")
		}
		switch verb {
		case "DELE":
			s.deleted[n] = true
			return s.reply("+OK message " + args[0] + " deleted")
		case "RETR":
			data := s.msgs[n-1].Data
			if s.srv.CutRETR != nil {
				if cut := s.srv.CutRETR(s.msgs[n-1].UID, len(data)); cut >= 0 {
					return s.cutRETR(cut, data)
				}
			}
			if s.srv.DowngradeUTF8 && !s.utf8 && has8bitHeader(data) {
				data = downgraded(data)
			}
			return s.writeMultiline("+OK "+strconv.Itoa(len(data))+" octets", data)
		}
		lines, err := strconv.Atoi(args[1])
		if err != nil || lines < 0 {
			return s.reply("-ERR invalid line count")
		}
		return s.writeMultiline("+OK top of message follows", top(s.msgs[n-1].Data, lines))
	case "RSET":
		clear(s.deleted)
		return s.reply("+OK maildrop has " + strconv.Itoa(len(s.msgs)) + " messages")
	}
	return s.unknown()
}

// number parses a message number that exists and is not deleted.
func (s *session) number(arg string) (int, bool) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > len(s.msgs) || s.deleted[n] {
		return 0, false
	}
	return n, true
}

func (s *session) listing(verb string, args []string) error {
	value := func(n int) string {
		if verb == "UIDL" {
			return s.msgs[n-1].UID
		}
		return strconv.Itoa(len(s.msgs[n-1].Data))
	}
	if len(args) > 0 {
		n, ok := s.number(args[0])
		if !ok {
			return s.reply("-ERR no such message")
		}
		return s.reply("+OK " + strconv.Itoa(n) + " " + value(n))
	}
	var b bytes.Buffer
	for i := range s.msgs {
		if !s.deleted[i+1] {
			b.WriteString(strconv.Itoa(i+1) + " " + value(i+1) + "\r\n")
		}
	}
	return s.writeMultiline("+OK listing follows", b.Bytes())
}

// top returns the header, the blank line and the first n body lines.
func top(data []byte, n int) []byte {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		return data
	}
	end += 4
	for ; n > 0 && end < len(data); n-- {
		i := bytes.IndexByte(data[end:], '\n')
		if i < 0 {
			return data
		}
		end += i + 1
	}
	return data[:end]
}

// has8bitHeader reports whether the header of data has a byte above 127.
func has8bitHeader(data []byte) bool {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		end = len(data)
	}
	for _, b := range data[:end] {
		if b >= 0x80 {
			return true
		}
	}
	return false
}

// downgraded is the notice a Courier-like server sends a client that
// cannot take UTF-8 headers: the original is attached as message/global.
func downgraded(data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: Mail Delivery Subsystem <postmaster@localhost>\r\n" +
		"Subject: Cannot display Unicode content\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"downgraded\"\r\n\r\n" +
		"--downgraded\r\nContent-Type: text/plain\r\n\r\n" +
		"This message has Unicode content your mail client cannot display.\r\n" +
		"--downgraded\r\nContent-Type: message/global\r\n\r\n")
	b.Write(data)
	b.WriteString("\r\n--downgraded--\r\n")
	return b.Bytes()
}
