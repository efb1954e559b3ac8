package pop3

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/posta-mail/posta/protocols"
)

// maxSASLRounds bounds the challenges one AUTH exchange may take.
const maxSASLRounds = 8

// login authenticates the session as Endpoint.Auth asks: "" and "login"
// use USER/PASS (through go-pop3); "plain" uses AUTH PLAIN when CAPA lists it under SASL
// and USER/PASS otherwise; "xoauth2" and "oauthbearer" need the server to
// offer that SASL mechanism.
func (s *session) login(ep protocols.Endpoint, secret string) error {
	auth := strings.ToLower(ep.Auth)
	if auth == "" || auth == "login" {
		return s.userPass(ep.Username, secret)
	}
	mechs := map[string]bool{}
	for _, m := range s.caps["SASL"] {
		mechs[strings.ToUpper(m)] = true
	}
	var client sasl.Client
	switch auth {
	case "plain":
		if !mechs[sasl.Plain] {
			return s.userPass(ep.Username, secret)
		}
		client = sasl.NewPlainClient("", ep.Username, secret)
	case "xoauth2":
		client = protocols.NewXOAuth2Client(ep.Username, secret)
	case "oauthbearer":
		client = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: ep.Username, Token: secret, Host: ep.Host, Port: ep.Port})
	}
	mech, _, _ := client.Start()
	if !mechs[mech] {
		return fmt.Errorf("pop3: %s: server does not offer SASL %s: %w", s.c.addr, mech, protocols.ErrUnsupported)
	}
	return s.authenticate(client)
}

func (s *session) userPass(user, pass string) error {
	if err := s.pop.User(user); err != nil {
		return s.wrapAuth(err)
	}
	if err := s.pop.Pass(pass); err != nil {
		return s.wrapAuth(err)
	}
	return nil
}

// authenticate runs one AUTH exchange with an initial response.
func (s *session) authenticate(client sasl.Client) error {
	mech, ir, err := client.Start()
	if err != nil {
		return fmt.Errorf("pop3: auth %s: %w", mech, err)
	}
	line := "AUTH " + mech
	if ir != nil {
		line += " " + encodeSASL(ir)
	}
	c := s.c
	c.send(line)
	for range maxSASLRounds {
		b, err := c.line()
		if err != nil {
			return c.wrap("AUTH", err)
		}
		st := string(b)
		switch {
		case strings.HasPrefix(st, "+OK"):
			if c.r.Buffered() > 0 {
				return c.wrap("AUTH", fmt.Errorf("%w: unexpected data after a reply", errProtocol))
			}
			return nil
		case strings.HasPrefix(st, "-ERR"):
			return s.wrapAuth(errors.New(strings.TrimSpace(strings.TrimPrefix(st, "-ERR"))))
		case st == "+" || strings.HasPrefix(st, "+ "):
			challenge, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st[1:]))
			if err != nil {
				return c.wrap("AUTH", fmt.Errorf("%w: bad SASL challenge", errProtocol))
			}
			resp, err := client.Next(challenge)
			if err != nil { // cancel the exchange; the session is dropped
				c.send("*")
				c.flush()
				return fmt.Errorf("pop3: auth %s: %w", mech, err)
			}
			c.send(encodeSASL(resp))
		default:
			return c.wrap("AUTH", fmt.Errorf("%w: unexpected AUTH reply", errProtocol))
		}
	}
	return s.c.wrap("AUTH", fmt.Errorf("%w: too many SASL challenges", errProtocol))
}

// encodeSASL encodes a response; "=" stands for an empty one (RFC 5034).
func encodeSASL(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}
