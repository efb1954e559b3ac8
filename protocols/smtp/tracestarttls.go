package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/protocols"
)

// maxTraceReplyLines bounds one reply read by startTLSTraced.
const maxTraceReplyLines = 200

// startTLSTraced does STARTTLS itself when the endpoint is traced: go-smtp
// upgrades the connection inside its client, where a tracer cannot reach
// the cleartext after the upgrade. It says what go-smtp would (greeting,
// EHLO localhost, STARTTLS), traces that on the plain connection, then
// hands go-smtp the traced TLS connection with a greeting of its own
// (not traced), so the EHLO after TLS, AUTH and the rest are traced too.
func startTLSTraced(ctx context.Context, conn net.Conn, ep protocols.Endpoint) (*smtp.Client, error) {
	plain := ep.Traced("smtp", conn)
	// The exchange before TLS is a few lines: bound what is read.
	br := bufio.NewReader(io.LimitReader(plain, 1<<20))
	// reply reads a whole reply and returns its last line; ehlo notes
	// whether STARTTLS is among the lines.
	offered := false
	reply := func(ehlo bool) (string, error) {
		for i := 0; i < maxTraceReplyLines; i++ {
			line, err := br.ReadString('\n')
			if err != nil {
				return "", err
			}
			line = strings.TrimRight(line, "\r\n")
			if ehlo && len(line) > 4 && strings.EqualFold(strings.Fields(line[4:] + " x")[0], "STARTTLS") {
				offered = true
			}
			if len(line) < 4 || line[3] != '-' {
				return line, nil
			}
		}
		return "", errors.New("reply too long")
	}
	send := func(cmd string) error {
		_, err := io.WriteString(plain, cmd+"\r\n")
		return err
	}
	fail := func(err error) (*smtp.Client, error) {
		return nil, fmt.Errorf("smtp: starttls %s: %w", ep.Addr(), err)
	}
	if greeting, err := reply(false); err != nil {
		return fail(err)
	} else if !strings.HasPrefix(greeting, "220") {
		return fail(fmt.Errorf("unexpected greeting %q", greeting))
	}
	if err := send("EHLO localhost"); err != nil {
		return fail(err)
	}
	if answer, err := reply(true); err != nil {
		return fail(err)
	} else if !strings.HasPrefix(answer, "250") {
		return fail(fmt.Errorf("EHLO refused: %s", answer))
	}
	if !offered {
		return fail(errors.New("smtp: server doesn't support STARTTLS"))
	}
	if err := send("STARTTLS"); err != nil {
		return fail(err)
	}
	if answer, err := reply(false); err != nil {
		return fail(err)
	} else if !strings.HasPrefix(answer, "220") {
		return fail(fmt.Errorf("server refused: %s", answer))
	}
	if br.Buffered() > 0 {
		return fail(errors.New("server sent data after its STARTTLS answer, before TLS began"))
	}
	tc := tls.Client(conn, ep.TLS())
	if err := tc.HandshakeContext(ctx); err != nil {
		return fail(err)
	}
	traced := ep.Traced("smtp", tc)
	return smtp.NewClient(&greetedConn{Conn: traced, r: io.MultiReader(strings.NewReader("220 TLS started (posta)\r\n"), traced)}), nil
}

// greetedConn reads r (a greeting, then the connection) instead of Conn.
type greetedConn struct {
	net.Conn
	r io.Reader
}

func (c *greetedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
