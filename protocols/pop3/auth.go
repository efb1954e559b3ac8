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
// use USER/PASS; "plain" uses AUTH PLAIN when CAPA lists it under SASL
// and USER/PASS otherwise; "xoauth2" and "oauthbearer" need the server to
// offer that SASL mechanism.
func (s *session) login(ep protocols.Endpoint, secret string) error {
	auth := strings.ToLower(ep.Auth)
	if auth == "" || auth == "login" {
		return s.userPass(ep.Username, secret)
	}
	mechs, err := s.saslMechanisms()
	if err != nil {
		return err
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
		return fmt.Errorf("pop3: server does not offer SASL %s: %w", mech, protocols.ErrUnsupported)
	}
	return s.authenticate(client)
}

func (s *session) userPass(user, pass string) error {
	if err := s.c.User(user); err != nil {
		return wrapAuth(err, s.tc)
	}
	if err := s.c.Pass(pass); err != nil {
		return wrapAuth(err, s.tc)
	}
	return nil
}

// saslMechanisms returns the mechanisms of CAPA's SASL line (RFC 5034),
// upper-cased; none when the server has no CAPA.
func (s *session) saslMechanisms() (map[string]bool, error) {
	mechs := map[string]bool{}
	s.tc.budget = 64 << 10
	buf, err := s.c.Cmd("CAPA", true)
	s.tc.budget = -1
	if err != nil {
		if s.tc.ioErr != nil {
			return nil, wrapErr("capa", err, s.tc)
		}
		return mechs, nil
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		fields := strings.Fields(line)
		if len(fields) > 0 && strings.EqualFold(fields[0], "SASL") {
			for _, m := range fields[1:] {
				mechs[strings.ToUpper(m)] = true
			}
		}
	}
	return mechs, nil
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
	if err := s.w.send(line); err != nil {
		return wrapErr("auth", err, s.tc)
	}
	for range maxSASLRounds {
		st, err := s.w.status()
		if err != nil {
			return wrapErr("auth", err, s.tc)
		}
		switch {
		case strings.HasPrefix(st, "+OK"):
			return s.w.idle()
		case strings.HasPrefix(st, "-ERR"):
			return wrapAuth(errors.New(strings.TrimSpace(strings.TrimPrefix(st, "-ERR"))), s.tc)
		case st == "+" || strings.HasPrefix(st, "+ "):
			challenge, err := base64.StdEncoding.DecodeString(strings.TrimSpace(st[1:]))
			if err != nil {
				return fmt.Errorf("%w: bad SASL challenge", errProtocol)
			}
			resp, err := client.Next(challenge)
			if err != nil { // cancel the exchange; the session is dropped
				s.w.send("*")
				return fmt.Errorf("pop3: auth %s: %w", mech, err)
			}
			if err := s.w.send(encodeSASL(resp)); err != nil {
				return wrapErr("auth", err, s.tc)
			}
		default:
			return fmt.Errorf("%w: unexpected AUTH reply", errProtocol)
		}
	}
	return fmt.Errorf("%w: too many SASL challenges", errProtocol)
}

// encodeSASL encodes a response; "=" stands for an empty one (RFC 5034).
func encodeSASL(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}
