package accounts

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
	"github.com/posta-mail/posta/protocols/pop3"
	"github.com/posta-mail/posta/protocols/smtp"
)

// Account is one configured mail account, live: its fetch lanes, its
// sender and the cache. Its methods may be called from any goroutine:
// background syncs run on one lane, what the user waits for on the other
// (lanes.go), sending under a lock of its own; cache reads take no lock.
type Account struct {
	// alerts is what the servers said to the user, for the next sync.
	alerts serverAlerts
	cfg    AccountConfig
	cache  *cache.Cache
	caps   protocols.Caps // what the fetcher can do, read once
	bg, fg *lane          // the sync lane and the interactive lane
	sender protocols.Sender
	// idSenders are the SMTP servers of the identities that have their
	// own, by lower-cased address (identity.go).
	idSenders map[string]*identitySender
	sendMu    sync.Mutex         // held while a sender is in use
	syncMu    sync.Mutex         // one sync of the account at a time
	in        protocols.Endpoint // the fetcher's server, for watchers
	// inToken and outToken hold OAuth2 tokens from a token command (nil
	// for passwords), to be forgotten when the server refuses them.
	inToken, outToken *tokenCache
}

// Name returns the account's name from the configuration.
func (a *Account) Name() string { return a.cfg.Name }

// Kind returns "imap" or "pop3".
func (a *Account) Kind() string { return a.cfg.Fetch.Kind }

// Address returns the account's own address.
func (a *Account) Address() string { return a.cfg.Address }

// From returns the From header value for mail sent from the account.
func (a *Account) From() string {
	return mail.Address{Name: a.cfg.DisplayName, Addr: a.cfg.Address}.String()
}

// Server returns the fetch server's "host:port", for saying what is
// being waited for.
func (a *Account) Server() string {
	if a.in.Port == 0 {
		return a.in.Host
	}
	return net.JoinHostPort(a.in.Host, strconv.Itoa(a.in.Port))
}

// Signature returns the account's signature text, "" if none.
func (a *Account) Signature() string { return a.cfg.Signature }

// Caps reports what the account's fetcher can do.
func (a *Account) Caps() protocols.Caps { return a.caps }

// Close logs out of the servers, waiting for the work in progress on
// each lane.
func (a *Account) Close() error {
	err := a.bg.close()
	if a.fg != a.bg {
		err = errors.Join(err, a.fg.close())
	}
	return err
}

// newAccount builds the fetcher and sender for one configured account.
func newAccount(cfg AccountConfig, c *cache.Cache) (*Account, error) {
	in, inToken, err := endpoint(cfg.Name, cfg.Fetch.ServerConfig)
	if err != nil {
		return nil, fmt.Errorf("account %s: fetch: %w", cfg.Name, err)
	}
	out, outToken, err := endpoint(cfg.Name, cfg.SMTP)
	if err != nil {
		return nil, fmt.Errorf("account %s: smtp: %w", cfg.Name, err)
	}
	a := &Account{cfg: cfg, cache: c, in: in, inToken: inToken, outToken: outToken}
	var mk func() protocols.Fetcher
	switch cfg.Fetch.Kind {
	case "imap":
		mk = func() protocols.Fetcher {
			return imap.New(imap.Options{Endpoint: in, SubscribedOnly: cfg.Fetch.SubscribedOnly, RawFieldsOnly: true,
				OnAlert: a.alerts.keep})
		}
	case "pop3":
		leave := cfg.Fetch.LeaveOnServer == nil || *cfg.Fetch.LeaveOnServer
		mk = func() protocols.Fetcher { return pop3.New(pop3.Options{Endpoint: in, LeaveOnServer: leave}) }
	default:
		return nil, fmt.Errorf("account %s: unknown fetch kind %q", cfg.Name, cfg.Fetch.Kind)
	}
	a.bg, a.fg = newLanes(mk)
	a.caps = a.bg.f.Caps()
	a.sender = smtp.New(smtp.Options{Endpoint: out})
	if a.idSenders, err = newIdentitySenders(cfg); err != nil {
		return nil, err
	}
	return a, nil
}

// endpoint turns a server's configuration into a protocols.Endpoint.
func endpoint(account string, s ServerConfig) (protocols.Endpoint, *tokenCache, error) {
	password, tokens := secret(account, s)
	e := protocols.Endpoint{
		Host:           s.Host,
		Port:           s.Port,
		Security:       protocols.Security(s.Security),
		Username:       s.Username,
		Auth:           s.Auth,
		AllowPlainAuth: s.AllowPlainAuth,
		Password:       password,
		Tracer:         s.Tracer,
	}
	if e.Security == "" {
		e.Security = protocols.SecurityTLS
	}
	tc, err := tlsConfig(s)
	if err != nil {
		// A missing or broken ca_file must not keep the cached mail from
		// being read: the account opens, and every connection to this
		// server fails with the reason instead.
		tc = refusingTLS(fmt.Errorf("%s: %w", account, err))
	}
	e.TLSConfig = tc
	return e, tokens, nil
}

// Set is every configured account, in configuration order.
type Set struct {
	Accounts []*Account
	Default  *Account
	cache    *cache.Cache
}

// Open builds the accounts of cfg over an open cache. No network
// connection is made until the first sync or send (or Preconnect).
//
// c may be nil: the Set is then built before its cache is open, to
// connect to the servers meanwhile (Preconnect), and gets the cache from
// AttachCache (preconnect.go) before it is used for anything else.
func Open(cfg *Config, c *cache.Cache) (*Set, error) {
	if len(cfg.Accounts) == 0 {
		return nil, errors.New("the configuration has no [[account]]")
	}
	s := &Set{cache: c}
	for _, ac := range cfg.Accounts {
		a, err := newAccount(ac, c)
		if err != nil {
			return nil, err
		}
		s.Accounts = append(s.Accounts, a)
		if ac.Name == cfg.DefaultAccount {
			s.Default = a
		}
	}
	if s.Default == nil {
		s.Default = s.Accounts[0]
	}
	return s, nil
}

// Get returns the named account, or an error listing the known names.
func (s *Set) Get(name string) (*Account, error) {
	if name == "" {
		return s.Default, nil
	}
	var names []string
	for _, a := range s.Accounts {
		if a.Name() == name {
			return a, nil
		}
		names = append(names, a.Name())
	}
	return nil, fmt.Errorf("no account %q (accounts: %v)", name, names)
}

// Close logs every account out.
func (s *Set) Close() error {
	var errs []error
	for _, a := range s.Accounts {
		errs = append(errs, a.Close())
	}
	return errors.Join(errs...)
}
