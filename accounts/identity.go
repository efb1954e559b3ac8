package accounts

import (
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/smtp"
)

// Identity is one From address an account sends as: the account's own
// (always the first) or an [[account.identity]].
type Identity struct {
	Address     string
	DisplayName string
	// Signature goes under a "-- " line; "" means none.
	Signature string
	// SentFolder is the IMAP folder this identity's sent mail is filed
	// in; "" means the account's Sent folder.
	SentFolder string
	// OwnSMTP is set when this identity's mail goes through a server of
	// its own ([account.identity.smtp]).
	OwnSMTP bool
	// PGPKey, SMIMECert and SMIMEKey choose the identity's signing key;
	// "" means the one found for its address.
	PGPKey, SMIMECert, SMIMEKey string
}

// From returns the identity as a From header value: "Name <addr>", the
// name quoted when it holds characters that would otherwise be read as
// address syntax (a comma, parentheses, a dot…).
func (id Identity) From() string {
	name := strings.Join(strings.Fields(id.DisplayName), " ")
	if strings.ContainsAny(name, `()<>[]:;@\,."`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return mail.Address{Name: name, Addr: id.Address}.String()
}

// identitySender is the SMTP server of an identity that has its own.
type identitySender struct {
	cfg    ServerConfig
	sender protocols.Sender
	token  *tokenCache
}

// newIdentitySenders builds the senders of the identities that have
// their own SMTP server, keyed by lower-cased address.
func newIdentitySenders(cfg AccountConfig) (map[string]*identitySender, error) {
	out := map[string]*identitySender{}
	for _, id := range cfg.Identities {
		if id.SMTP.Host == "" {
			continue
		}
		e, tok, err := endpoint(cfg.Name, id.SMTP)
		if err != nil {
			return nil, fmt.Errorf("account %s: identity %s: smtp: %w", cfg.Name, id.Address, err)
		}
		out[strings.ToLower(id.Address)] = &identitySender{cfg: id.SMTP, sender: smtp.New(smtp.Options{Endpoint: e}), token: tok}
	}
	return out, nil
}

// Identities returns the addresses the account sends as: its own first,
// then its [[account.identity]] tables in configuration order.
func (a *Account) Identities() []Identity {
	out := []Identity{{Address: a.cfg.Address, DisplayName: a.cfg.DisplayName, Signature: a.cfg.Signature,
		PGPKey: a.cfg.PGPKey, SMIMECert: a.cfg.SMIMECert, SMIMEKey: a.cfg.SMIMEKey}}
	for _, c := range a.cfg.Identities {
		if strings.EqualFold(c.Address, a.cfg.Address) {
			// The account's own address written again: its table's
			// settings win, in the first place.
			out[0] = identityOf(c)
			continue
		}
		out = append(out, identityOf(c))
	}
	return out
}

func identityOf(c IdentityConfig) Identity {
	return Identity{Address: c.Address, DisplayName: c.DisplayName, Signature: c.Signature,
		SentFolder: c.SentFolder, OwnSMTP: c.SMTP.Host != "",
		PGPKey: c.PGPKey, SMIMECert: c.SMIMECert, SMIMEKey: c.SMIMEKey}
}

// Identity returns the account's identity with the address addr (a bare
// address or "Name <addr>", compared case-insensitively), or an error
// naming the account's identities.
func (a *Account) Identity(addr string) (Identity, error) {
	bare := addr
	if p, err := netmail.ParseAddress(addr); err == nil {
		bare = p.Address
	}
	ids := a.Identities()
	var names []string
	for _, id := range ids {
		if strings.EqualFold(id.Address, strings.TrimSpace(bare)) {
			return id, nil
		}
		names = append(names, id.Address)
	}
	return Identity{}, fmt.Errorf("%s is not an identity of account %s (its identities: %s)",
		addr, a.Name(), strings.Join(names, ", "))
}

// ReplyIdentity returns the identity a reply to raw is sent from: the
// first of the message's To, Cc and Delivered-To addresses that is one
// of the account's identities, else the account's own.
func (a *Account) ReplyIdentity(raw []byte) Identity {
	ids := a.Identities()
	for _, addr := range message.AddressedTo(raw) {
		for _, id := range ids {
			if strings.EqualFold(id.Address, addr) {
				return id
			}
		}
	}
	return ids[0]
}

// SignaturePosition says where a reply's signature goes
// (signature_position: below, the default, or above the quote).
func (a *Account) SignaturePosition() message.SignaturePosition {
	if a.cfg.SignaturePosition == string(message.SignatureAbove) {
		return message.SignatureAbove
	}
	return message.SignatureBelow
}

// identityFor returns the identity whose address is from (an outbox
// item's envelope sender), the account's own when none is.
func (a *Account) identityFor(from string) Identity {
	if id, err := a.Identity(from); err == nil {
		return id
	}
	return a.Identities()[0]
}

// senderFor returns the SMTP sender of mail from the envelope address
// from, with the server configuration and token cache that go with it:
// the identity's own server when it has one, else the account's.
func (a *Account) senderFor(from string) (protocols.Sender, ServerConfig, *tokenCache) {
	if s, ok := a.idSenders[strings.ToLower(strings.TrimSpace(from))]; ok {
		return s.sender, s.cfg, s.token
	}
	return a.sender, a.cfg.SMTP, a.outToken
}
