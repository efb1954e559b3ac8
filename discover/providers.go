package discover

import "strings"

// Provider is one entry of the provider table.
type Provider struct {
	Name    string
	Domains []string // mail domains served
	// MX lists suffixes of MX hosts that mean this provider serves a
	// domain of its customers' (Google Workspace, Microsoft 365).
	MX             []string
	IMAP, POP3     *Server
	SMTP           *Server
	OAuth2Provider string
	Notes          []string
}

func (p Provider) result(source string) *Result {
	return &Result{
		IMAP: p.IMAP, POP3: p.POP3, SMTP: p.SMTP,
		OAuth2Provider: p.OAuth2Provider,
		Provider:       p.Name,
		Source:         source,
		Notes:          p.Notes,
	}
}

func tlsServer(host string, port int) *Server { return &Server{host, port, TLS} }
func stlsServer(host string, port int) *Server {
	return &Server{host, port, StartTLS}
}

// Providers is the table posta ships: the large providers whose
// settings are stable and well known.
var Providers = []Provider{
	{
		Name:           "Gmail",
		Domains:        []string{"gmail.com", "googlemail.com"},
		MX:             []string{".google.com", ".googlemail.com"},
		IMAP:           tlsServer("imap.gmail.com", 993),
		POP3:           tlsServer("pop.gmail.com", 995),
		SMTP:           tlsServer("smtp.gmail.com", 465),
		OAuth2Provider: "gmail",
		Notes:          []string{"Gmail wants an OAuth2 sign-in (posta oauth ACCOUNT) or an app password."},
	},
	{
		Name:           "Microsoft 365 / Outlook.com",
		Domains:        []string{"outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.fr", "hotmail.co.uk", "hotmail.fr", "live.co.uk"},
		MX:             []string{".mail.protection.outlook.com", ".olc.protection.outlook.com"},
		IMAP:           tlsServer("outlook.office365.com", 993),
		POP3:           tlsServer("outlook.office365.com", 995),
		SMTP:           stlsServer("smtp.office365.com", 587),
		OAuth2Provider: "microsoft",
		Notes:          []string{"Microsoft accepts only OAuth2 sign-in (posta oauth ACCOUNT)."},
	},
	{
		Name:    "Fastmail",
		Domains: []string{"fastmail.com", "fastmail.fm", "messagingengine.com"},
		MX:      []string{".messagingengine.com"},
		IMAP:    tlsServer("imap.fastmail.com", 993),
		POP3:    tlsServer("pop.fastmail.com", 995),
		SMTP:    tlsServer("smtp.fastmail.com", 465),
		Notes:   []string{"Fastmail needs an app password (Settings → Privacy & Security)."},
	},
	{
		Name:    "Yahoo",
		Domains: []string{"yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "rocketmail.com"},
		MX:      []string{".yahoodns.net"},
		IMAP:    tlsServer("imap.mail.yahoo.com", 993),
		POP3:    tlsServer("pop.mail.yahoo.com", 995),
		SMTP:    tlsServer("smtp.mail.yahoo.com", 465),
		Notes:   []string{"Yahoo needs an app password (Account security → Generate app password)."},
	},
	{
		Name:    "iCloud",
		Domains: []string{"icloud.com", "me.com", "mac.com"},
		IMAP:    tlsServer("imap.mail.me.com", 993),
		SMTP:    stlsServer("smtp.mail.me.com", 587),
		Notes:   []string{"iCloud needs an app-specific password (appleid.apple.com); the login name is the part before the @."},
	},
	{
		Name:    "GMX",
		Domains: []string{"gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.com"},
		IMAP:    tlsServer("imap.gmx.net", 993),
		POP3:    tlsServer("pop.gmx.net", 995),
		SMTP:    tlsServer("mail.gmx.net", 465),
		Notes:   []string{"GMX: turn on POP3/IMAP access in the web settings first."},
	},
	{
		Name:    "mailbox.org",
		Domains: []string{"mailbox.org"},
		IMAP:    tlsServer("imap.mailbox.org", 993),
		POP3:    tlsServer("pop3.mailbox.org", 995),
		SMTP:    tlsServer("smtp.mailbox.org", 465),
	},
	{
		Name:    "Proton Mail (through Proton Mail Bridge)",
		Domains: []string{"proton.me", "protonmail.com", "protonmail.ch", "pm.me"},
		IMAP:    stlsServer("127.0.0.1", 1143),
		SMTP:    stlsServer("127.0.0.1", 1025),
		Notes: []string{"Proton Mail is reached through Proton Mail Bridge on this machine: use the password the Bridge shows, " +
			"and its certificate (export it from the Bridge and set ca_file, or tls_fingerprint)."},
	},
	{
		Name:    "Zoho Mail",
		Domains: []string{"zoho.com", "zohomail.com"},
		MX:      []string{".zoho.com"},
		IMAP:    tlsServer("imap.zoho.com", 993),
		POP3:    tlsServer("pop.zoho.com", 995),
		SMTP:    tlsServer("smtp.zoho.com", 465),
	},
}

func lookupProvider(domain string) (Provider, bool) {
	for _, p := range Providers {
		for _, d := range p.Domains {
			if d == domain {
				return p, true
			}
		}
	}
	return Provider{}, false
}

// providerForMX returns the provider whose MX hosts end like host.
func providerForMX(host string) (Provider, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range Providers {
		for _, suffix := range p.MX {
			if strings.HasSuffix(host, suffix) {
				return p, true
			}
		}
	}
	return Provider{}, false
}
