package protocols

import "github.com/emersion/go-sasl"

// NewXOAuth2Client returns a SASL client for XOAUTH2, the non-standard
// mechanism Gmail and Outlook use for OAuth2 bearer tokens (go-sasl has
// OAUTHBEARER but not this one).
func NewXOAuth2Client(user, token string) sasl.Client { return xoauth2Client{user, token} }

type xoauth2Client struct{ user, token string }

func (x xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers an error challenge with an empty response, as the
// mechanism requires; the server then fails the exchange.
func (x xoauth2Client) Next([]byte) ([]byte, error) { return []byte{}, nil }
