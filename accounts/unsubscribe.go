package accounts

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"fmt"

	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/unsubscribe"
)

// Unsubscription is what a message offers to leave its mailing list.
type Unsubscription struct {
	unsubscribe.Plan
	// Draft is the message to the list's mailto: address, From the
	// account, for the user to review; set when Plan.Method is Mailto.
	Draft *message.Draft
}

// Unsubscription reads the List-Unsubscribe and List-Unsubscribe-Post
// fields of message id (its body comes from the cache, else the
// server). Nothing is fetched from the list: see OneClickUnsubscribe.
func (a *Account) Unsubscription(ctx context.Context, id int64) (Unsubscription, error) {
	raw, err := a.Body(ctx, id)
	if err != nil {
		return Unsubscription{}, err
	}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil && h.Len() == 0 {
		return Unsubscription{}, fmt.Errorf("unsubscribe: read the header: %w", err)
	}
	plan, err := unsubscribe.Read(h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
	if err != nil {
		return Unsubscription{}, err
	}
	u := Unsubscription{Plan: plan}
	if plan.Method == unsubscribe.Mailto {
		d, err := message.ParseMailto(plan.Mailto)
		if err != nil {
			return Unsubscription{}, fmt.Errorf("unsubscribe: %w", err)
		}
		if d.Subject == "" {
			d.Subject = "unsubscribe"
		}
		d.From = a.From()
		u.Draft = &d
	}
	return u, nil
}

// OneClickUnsubscribe makes the one-click request of u (RFC 8058): call
// it only once the user agreed, after showing u.Host. roots, when not
// nil, replace the system's trusted certificates (the demo, tests).
func OneClickUnsubscribe(ctx context.Context, u Unsubscription, roots *x509.CertPool) (unsubscribe.Result, error) {
	if u.Method != unsubscribe.OneClick {
		return unsubscribe.Result{}, fmt.Errorf("unsubscribe: the message offers no one-click unsubscription (%s)", u.Method)
	}
	c := &unsubscribe.Client{RootCAs: roots}
	return c.OneClick(ctx, u.URL)
}
