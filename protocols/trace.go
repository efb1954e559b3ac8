package protocols

import "net"

// Tracer records the conversation on a connection (see the trace
// package). Conn wraps c, whose bytes are the protocol's cleartext:
// implementations call Endpoint.Traced above TLS.
type Tracer interface {
	Conn(proto, addr string, c net.Conn) net.Conn
}

// Traced returns c wrapped by the endpoint's Tracer, or c itself when
// there is none. proto is "imap", "pop3" or "smtp".
func (e Endpoint) Traced(proto string, c net.Conn) net.Conn {
	if e.Tracer == nil {
		return c
	}
	return e.Tracer.Conn(proto, e.Addr(), c)
}
