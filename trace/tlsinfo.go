package trace

import (
	"crypto/tls"
	"net"
)

// isTLS reports whether c is a TLS connection, looking through wrappers
// that expose their connection with NetConn.
func isTLS(c net.Conn) bool {
	for i := 0; i < 8 && c != nil; i++ {
		if _, ok := c.(*tls.Conn); ok {
			return true
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return false
		}
		c = u.NetConn()
	}
	return false
}
