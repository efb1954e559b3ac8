// Package discovertest runs the servers discovery talks to, on
// 127.0.0.1, for tests: a DNS server answering A, SRV and MX questions
// from a table, and certificates for HTTPS servers with any host names.
package discovertest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/posta-mail/posta/discover"
)

// SRV is one SRV answer.
type SRV struct {
	Target   string
	Port     uint16
	Priority uint16
}

// MX is one MX answer.
type MX struct {
	Host string
	Pref uint16
}

// DNS is a small authoritative DNS server over UDP on 127.0.0.1. Names
// are written without the final dot. Every A question for a name it does
// not know is answered NXDOMAIN.
type DNS struct {
	Addr string // host:port

	mu   sync.Mutex
	a    map[string]net.IP
	srv  map[string][]SRV
	mx   map[string][]MX
	conn net.PacketConn
}

// StartDNS starts a DNS server; Close stops it.
func StartDNS() (*DNS, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &DNS{Addr: pc.LocalAddr().String(), conn: pc,
		a: map[string]net.IP{}, srv: map[string][]SRV{}, mx: map[string][]MX{}}
	go d.serve()
	return d, nil
}

// A adds an A record.
func (d *DNS) A(name string, ip net.IP) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.a[strings.ToLower(name)] = ip
}

// AddSRV adds an SRV record for name ("_imaps._tcp.example.test").
func (d *DNS) AddSRV(name string, s SRV) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.srv[strings.ToLower(name)] = append(d.srv[strings.ToLower(name)], s)
}

// AddMX adds an MX record.
func (d *DNS) AddMX(name string, m MX) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.mx[strings.ToLower(name)] = append(d.mx[strings.ToLower(name)], m)
}

// Close stops the server.
func (d *DNS) Close() error { return d.conn.Close() }

// Resolver returns a pure-Go resolver that asks only this server.
func (d *DNS) Resolver() *net.Resolver {
	return discover.ResolverAt(d.Addr)
}

func (d *DNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if out, err := d.answer(buf[:n]); err == nil {
			d.conn.WriteTo(out, from)
		}
	}
}

func (d *DNS) answer(req []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(req)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	d.mu.Lock()
	ip, srvs, mxs := d.a[name], d.srv[name], d.mx[name]
	d.mu.Unlock()
	known := ip != nil || len(srvs) > 0 || len(mxs) > 0
	rcode := dnsmessage.RCodeSuccess
	if !known {
		rcode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RCode: rcode})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	switch q.Type {
	case dnsmessage.TypeA:
		if ip4 := ip.To4(); ip4 != nil {
			var a [4]byte
			copy(a[:], ip4)
			if err := b.AResource(rh, dnsmessage.AResource{A: a}); err != nil {
				return nil, err
			}
		}
	case dnsmessage.TypeSRV:
		for _, s := range srvs {
			if err := b.SRVResource(rh, dnsmessage.SRVResource{
				Priority: s.Priority, Weight: 1, Port: s.Port, Target: dnsmessage.MustNewName(fqdn(s.Target)),
			}); err != nil {
				return nil, err
			}
		}
	case dnsmessage.TypeMX:
		for _, m := range mxs {
			if err := b.MXResource(rh, dnsmessage.MXResource{Pref: m.Pref, MX: dnsmessage.MustNewName(fqdn(m.Host))}); err != nil {
				return nil, err
			}
		}
	}
	return b.Finish()
}

func fqdn(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// Cert is a self-signed certificate for HTTPS test servers.
type Cert struct {
	TLS  tls.Certificate
	PEM  []byte
	Pool *x509.CertPool
}

// NewCert makes a certificate, its own CA, for the host names given and
// 127.0.0.1.
func NewCert(hosts ...string) (Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Cert{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "posta discovery test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              hosts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Cert{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return Cert{}, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return Cert{
		TLS:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		PEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Pool: pool,
	}, nil
}
