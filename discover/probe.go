package discover

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// probeTimeout bounds one probed connection.
const probeTimeout = 4 * time.Second

// probe tries the usual host names on the standard ports, each kind in
// parallel, and keeps the first server of each kind that completes a
// verified TLS handshake (after STARTTLS or STLS on the plain ports).
func probe(ctx context.Context, o *Options, domain string) (*Result, error) {
	found := map[string]*Server{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, kind := range []string{"imap", "pop3", "smtp"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, t := range probeTargets {
				if t.kind != kind {
					continue
				}
				for _, p := range t.prefix {
					host := p + domain
					if ctx.Err() != nil {
						return
					}
					if err := probeOne(ctx, o, kind, host, t.port, t.sec); err == nil {
						mu.Lock()
						found[kind] = &Server{Host: host, Port: t.port, Security: t.sec}
						mu.Unlock()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	r := &Result{Source: "probing the usual host names of " + domain,
		IMAP: found["imap"], POP3: found["pop3"], SMTP: found["smtp"]}
	if r.IMAP == nil && r.POP3 == nil {
		return nil, errors.New("no IMAP or POP3 server answered with a valid certificate")
	}
	return r, nil
}

func probeOne(ctx context.Context, o *Options, kind, host string, port int, sec string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := o.Dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return err
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	if sec == StartTLS {
		if err := startTLS(conn, kind); err != nil {
			return err
		}
	}
	tc := tls.Client(conn, &tls.Config{ServerName: host, RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12})
	return tc.HandshakeContext(ctx)
}

// startTLS asks a plain server to start TLS, in its protocol.
func startTLS(conn net.Conn, kind string) error {
	br := bufio.NewReader(conn)
	line := func() (string, error) {
		l, err := br.ReadString('\n')
		if len(l) > 1000 {
			return "", errors.New("line too long")
		}
		return strings.TrimRight(l, "\r\n"), err
	}
	send := func(s string) error {
		_, err := conn.Write([]byte(s + "\r\n"))
		return err
	}
	switch kind {
	case "imap":
		if l, err := line(); err != nil || !strings.HasPrefix(l, "* OK") {
			return fmt.Errorf("no IMAP greeting")
		}
		if err := send("p STARTTLS"); err != nil {
			return err
		}
		for i := 0; i < 20; i++ {
			l, err := line()
			if err != nil {
				return err
			}
			if strings.HasPrefix(l, "p ") {
				if strings.HasPrefix(strings.ToUpper(l), "P OK") {
					return nil
				}
				return fmt.Errorf("STARTTLS refused")
			}
		}
	case "pop3":
		if l, err := line(); err != nil || !strings.HasPrefix(l, "+OK") {
			return fmt.Errorf("no POP3 greeting")
		}
		if err := send("STLS"); err != nil {
			return err
		}
		if l, err := line(); err != nil || !strings.HasPrefix(l, "+OK") {
			return fmt.Errorf("STLS refused")
		}
		return nil
	case "smtp":
		reply := func() (string, error) {
			for i := 0; i < 100; i++ {
				l, err := line()
				if err != nil {
					return "", err
				}
				if len(l) < 4 || l[3] != '-' {
					return l, nil
				}
			}
			return "", errors.New("reply too long")
		}
		if l, err := reply(); err != nil || !strings.HasPrefix(l, "220") {
			return fmt.Errorf("no SMTP greeting")
		}
		if err := send("EHLO posta"); err != nil {
			return err
		}
		if l, err := reply(); err != nil || !strings.HasPrefix(l, "250") {
			return fmt.Errorf("EHLO refused")
		}
		if err := send("STARTTLS"); err != nil {
			return err
		}
		if l, err := reply(); err != nil || !strings.HasPrefix(l, "220") {
			return fmt.Errorf("STARTTLS refused")
		}
		return nil
	}
	return errors.New("no answer")
}
