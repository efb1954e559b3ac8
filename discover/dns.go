package discover

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// srv reads RFC 6186 (and RFC 8314 _submissions) SRV records.
func srv(ctx context.Context, o *Options, domain string) (*Result, error) {
	look := func(service string, sec string) *Server {
		_, addrs, err := o.Resolver.LookupSRV(ctx, service, "tcp", domain)
		if err != nil || len(addrs) == 0 {
			return nil
		}
		// LookupSRV sorts by priority and randomizes by weight.
		a := addrs[0]
		target := strings.TrimSuffix(a.Target, ".")
		if target == "" || a.Port == 0 { // "." means: not offered here
			return nil
		}
		return &Server{Host: target, Port: int(a.Port), Security: sec}
	}
	first := func(servers ...*Server) *Server {
		for _, s := range servers {
			if s != nil {
				return s
			}
		}
		return nil
	}
	r := &Result{Source: "DNS SRV records of " + domain}
	r.IMAP = first(look("imaps", TLS), look("imap", StartTLS))
	r.POP3 = first(look("pop3s", TLS), look("pop3", StartTLS))
	r.SMTP = first(look("submissions", TLS), look("submission", StartTLS))
	if r.IMAP == nil && r.POP3 == nil {
		return nil, fmt.Errorf("no _imaps, _imap, _pop3s or _pop3 record for %s", domain)
	}
	return r, nil
}

// mxProvider maps the domain's MX hosts to a provider of the table.
func mxProvider(ctx context.Context, o *Options, domain string) (*Result, error) {
	mxs, err := o.Resolver.LookupMX(ctx, domain)
	if err != nil {
		return nil, err
	}
	sort.Slice(mxs, func(i, j int) bool { return mxs[i].Pref < mxs[j].Pref })
	for _, mx := range mxs {
		if p, ok := providerForMX(mx.Host); ok {
			return p.result(fmt.Sprintf("MX host %s (%s)", strings.TrimSuffix(mx.Host, "."), p.Name)), nil
		}
	}
	if len(mxs) == 0 {
		return nil, errors.New("no MX record")
	}
	return nil, fmt.Errorf("MX host %s is not a known provider's", strings.TrimSuffix(mxs[0].Host, "."))
}

// probeTargets are the host name prefixes and ports tried last, best
// first within each kind.
var probeTargets = []struct {
	kind   string
	prefix []string
	port   int
	sec    string
}{
	{"imap", []string{"imap.", "mail.", ""}, 993, TLS},
	{"imap", []string{"imap.", "mail.", ""}, 143, StartTLS},
	{"pop3", []string{"pop.", "pop3.", "mail.", ""}, 995, TLS},
	{"pop3", []string{"pop.", "pop3.", "mail.", ""}, 110, StartTLS},
	{"smtp", []string{"smtp.", "mail.", ""}, 465, TLS},
	{"smtp", []string{"smtp.", "mail.", ""}, 587, StartTLS},
}
