package pop3server

import (
	"bufio"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
)

// saslLine is the CAPA line naming the SASL mechanisms on offer.
func (s *session) saslLine() string {
	if s.srv.AcceptToken != nil {
		return "SASL PLAIN XOAUTH2 OAUTHBEARER"
	}
	return "SASL PLAIN"
}

// authToken checks an XOAUTH2 or OAUTHBEARER initial response (both carry
// "auth=Bearer <token>" between ^A separators; the user is "user=" in
// XOAUTH2 and the GS2 header's "a=" in OAUTHBEARER).
func (s *session) authToken(initial string) error {
	if initial == "" {
		if err := s.reply("+ "); err != nil {
			return err
		}
		line, err := s.readLine()
		if err != nil && !errors.Is(err, errLineTooLong) {
			return err
		}
		initial = line
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	if err != nil {
		return s.reply("-ERR [AUTH] malformed response")
	}
	var user, token string
	for _, field := range strings.Split(string(raw), "\x01") {
		switch {
		case strings.HasPrefix(field, "user="):
			user = strings.TrimPrefix(field, "user=")
		case strings.HasPrefix(field, "auth=Bearer "):
			token = strings.TrimPrefix(field, "auth=Bearer ")
		case strings.HasPrefix(field, "n,"):
			for _, attr := range strings.Split(field, ",") {
				if strings.HasPrefix(attr, "a=") {
					user = strings.TrimPrefix(attr, "a=")
				}
			}
		}
	}
	if user == "" || token == "" {
		return s.reply("-ERR [AUTH] malformed response")
	}
	msgs, err := s.srv.loginToken(user, token)
	return s.finishLogin(user, msgs, err)
}

// errCut ends a session that CutRETR cut short.
var errCut = errors.New("pop3server: connection cut by CutRETR")

// cutRETR sends the first n bytes of a RETR reply and fails, which makes
// run drop the connection without applying deletions.
func (s *session) cutRETR(n int, data []byte) error {
	w := s.w
	s.w = bufio.NewWriter(&cutWriter{w: s.conn, left: n})
	s.writeMultiline("+OK "+strconv.Itoa(len(data))+" octets", data)
	s.w = w
	return errCut
}

// cutWriter passes on the first left bytes, then fails.
type cutWriter struct {
	w    io.Writer
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if len(p) > c.left {
		n, _ := c.w.Write(p[:c.left])
		c.left -= n
		return n, errCut
	}
	n, err := c.w.Write(p)
	c.left -= n
	return n, err
}
