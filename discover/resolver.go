package discover

import (
	"context"
	"net"
)

// ResolverAt returns a pure-Go resolver that sends every question to the
// DNS server at addr (host:port), over UDP.
func ResolverAt(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "udp", addr)
		},
	}
}
