package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/internal/cputime"
	"github.com/posta-mail/posta/internal/selfsigned"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// The first-sync benchmarks time the client side of fetching 10,000
// headers from the demo server (go-imap's in-memory server over TLS on
// 127.0.0.1, seeded with generated mail), run in a child process so that
// the CPU time this process uses (cpu-ns/op, from getrusage) is the
// client's alone:
//
//	go test -run '^$' -bench FirstSync -count 5 ./protocols/imap
//
// BenchmarkFirstSyncHeaders10k is the Fetcher's Sync of the INBOX into
// a fresh state (as bench/breakdown.go's "fetcher alone"),
// BenchmarkFirstSyncRawGoIMAP10k the baseline: go-imap's client alone,
// UID FETCH 1:* of the same items, discarded.

const (
	benchServerEnv  = "POSTA_IMAP_BENCH_SERVER"
	benchMessages   = 10_000
	benchServerUser = "alice"
)

// TestBenchServerProcess is the child process of the first-sync
// benchmarks: it runs the demo servers with the number of messages in
// the environment variable, prints the IMAPS address and the CA
// certificate (base64) on one line, and exits when its input closes.
func TestBenchServerProcess(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(benchServerEnv))
	if err != nil {
		t.Skip("the first-sync benchmarks' server process")
	}
	srv, err := demo.Start(demo.Options{Messages: n})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Printf("server %s %s\n", srv.IMAPAddr, base64.StdEncoding.EncodeToString(srv.CACertPEM))
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
	os.Exit(0)
}

// startBenchServer starts the server process with n messages and returns
// an endpoint for alice's account on it.
func startBenchServer(b *testing.B, n int) protocols.Endpoint {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchServerProcess$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"="+strconv.Itoa(n), "GOMAXPROCS=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	var addr string
	pool := x509.NewCertPool()
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "server" {
			pem, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				b.Fatalf("server process: bad certificate %q", f[2])
			}
			addr = f[1]
			break
		}
	}
	if addr == "" {
		b.Fatalf("server process gave no address: %v", sc.Err())
	}
	go io.Copy(io.Discard, stdout)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return protocols.Endpoint{
		Host:      host,
		Port:      p,
		Security:  protocols.SecurityTLS,
		TLSConfig: &tls.Config{RootCAs: pool},
		Username:  benchServerUser,
		Password:  func(context.Context) (string, error) { return "password", nil },
		Timeout:   30 * time.Second,
	}
}

// benchCPU runs run b.N times and reports this process's CPU time per
// run beside the wall time.
func benchCPU(b *testing.B, run func() error) {
	b.Helper()
	if err := run(); err != nil { // warm up: the server's caches, TLS, the heap
		b.Fatal(err)
	}
	b.ReportAllocs()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gcs := ms.NumGC
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; i < b.N; i++ {
		if err := run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/op")
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.NumGC-gcs)/float64(b.N), "gcs/op")
}

// postaSync is the Fetcher's first sync of ep's INBOX (as bench's
// "fetcher alone"), headers counted and dropped.
func postaSync(ep protocols.Endpoint) error {
	f := New(Options{Endpoint: ep, RawFieldsOnly: true})
	defer f.Close()
	got := 0
	_, err := f.Sync(context.Background(), protocols.SyncRequest{Folder: "INBOX",
		Headers: func(batch []mail.Header) error { got += len(batch); return nil }})
	if err == nil && got != benchMessages {
		err = fmt.Errorf("Sync delivered %d headers, want %d", got, benchMessages)
	}
	return err
}

// rawFetch is go-imap's client alone (as bench's raw loop): LOGIN,
// SELECT and UID FETCH 1:* of the header sync's items, discarded.
func rawFetch(ep protocols.Endpoint) error {
	c, err := imapclient.DialTLS(ep.Addr(), &imapclient.Options{TLSConfig: ep.TLS()})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(ep.Username, "password").Wait(); err != nil {
		return err
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return err
	}
	fc := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, HeaderFetchOptions())
	got := 0
	for m := fc.Next(); m != nil; m = fc.Next() {
		for it := m.Next(); it != nil; it = m.Next() {
		}
		got++
	}
	if err := fc.Close(); err != nil {
		return err
	}
	if got != benchMessages {
		return fmt.Errorf("raw fetch got %d messages, want %d", got, benchMessages)
	}
	return c.Logout().Wait()
}

func BenchmarkFirstSyncHeaders10k(b *testing.B) {
	ep := startBenchServer(b, benchMessages)
	benchCPU(b, func() error { return postaSync(ep) })
}

func BenchmarkFirstSyncRawGoIMAP10k(b *testing.B) {
	ep := startBenchServer(b, benchMessages)
	benchCPU(b, func() error { return rawFetch(ep) })
}

// The canned benchmarks fetch the same 10,000 messages' data from a
// server in this process that answers each UID FETCH with responses
// rendered beforehand, over TLS on 127.0.0.1, one write (one TLS record)
// per message as a server flushing each response sends them: the server
// costs little beside the client (its encryption, a few percent), so
// ns/op and cpu-ns/op are nearly the client's alone, with less noise
// than the demo server's.
//
//	go test -run '^$' -bench Canned -count 5 ./protocols/imap

// cannedServer answers LOGIN, SELECT/EXAMINE, UID FETCH of UID ranges
// and LOGOUT, from msgs (UIDs 1 to len(msgs)).
type cannedServer struct {
	data []byte // every message's FETCH response, by UID
	at   []int  // where each UID's response starts in data (1-based); at[len] = len(data)
	cert selfsigned.Cert
}

// cannedMessages fetches the demo INBOX's messages' header-sync items
// once and renders them as a server answers them.
func newCannedServer(b *testing.B, n int) *cannedServer {
	b.Helper()
	ep := startBenchServer(b, n)
	c, err := imapclient.DialTLS(ep.Addr(), &imapclient.Options{TLSConfig: ep.TLS()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(ep.Username, "password").Wait(); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		b.Fatal(err)
	}
	msgs, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, HeaderFetchOptions()).Collect()
	if err != nil {
		b.Fatal(err)
	}
	if len(msgs) != n {
		b.Fatalf("the demo INBOX holds %d messages, want %d", len(msgs), n)
	}
	cert, err := selfsigned.New("posta bench")
	if err != nil {
		b.Fatal(err)
	}
	s := &cannedServer{at: make([]int, n+2), cert: cert}
	names := strings.ToUpper(strings.Join(fieldsSection.HeaderFields, " "))
	for i, m := range msgs {
		uid := i + 1
		if m.UID != imap.UID(uid) {
			b.Fatalf("message %d has UID %d", uid, m.UID)
		}
		flags := make([]string, len(m.Flags))
		for j, f := range m.Flags {
			flags[j] = string(f)
		}
		fields := m.FindBodySection(fieldsSection)
		s.at[uid] = len(s.data)
		s.data = fmt.Appendf(s.data, "* %d FETCH (UID %d FLAGS (%s) INTERNALDATE \"%s\" RFC822.SIZE %d BODY[HEADER.FIELDS (%s)] {%d}\r\n%s)\r\n",
			uid, uid, strings.Join(flags, " "), m.InternalDate.Format("02-Jan-2006 15:04:05 -0700"), m.RFC822Size, names, len(fields), fields)
	}
	s.at[n+1] = len(s.data)
	return s
}

// start listens on 127.0.0.1 and serves each connection; it returns the
// endpoint to log in with.
func (s *cannedServer) start(b *testing.B) protocols.Endpoint {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{s.cert.TLS}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	return protocols.Endpoint{
		Host: "127.0.0.1", Port: addr.Port, Security: protocols.SecurityTLS,
		TLSConfig: &tls.Config{RootCAs: s.cert.Pool},
		Username:  "alice", Password: func(context.Context) (string, error) { return "password", nil },
		Timeout: 30 * time.Second,
	}
}

func (s *cannedServer) serve(conn net.Conn) {
	defer conn.Close()
	n := len(s.at) - 2
	w := bufio.NewWriterSize(conn, 64<<10)
	r := bufio.NewReader(conn)
	w.WriteString("* OK [CAPABILITY IMAP4rev1] canned\r\n")
	w.Flush()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return
		}
		tag, name := f[0], strings.ToUpper(f[1])
		switch {
		case name == "LOGIN":
			fmt.Fprintf(w, "%s OK [CAPABILITY IMAP4rev1] logged in\r\n", tag)
		case name == "SELECT" || name == "EXAMINE":
			fmt.Fprintf(w, "* %d EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n* OK [UIDNEXT %d] ok\r\n%s OK [READ-ONLY] done\r\n", n, n+1, tag)
		case name == "UID" && len(f) > 3 && strings.EqualFold(f[2], "FETCH"):
			for _, r := range strings.Split(f[3], ",") {
				lo, hi, ok := strings.Cut(r, ":")
				a, _ := strconv.Atoi(lo)
				z := a
				if ok {
					if hi == "*" {
						z = n
					} else {
						z, _ = strconv.Atoi(hi)
					}
				}
				a, z = max(1, min(a, z)), min(n, max(a, z))
				for uid := a; uid <= z; uid++ {
					w.Write(s.data[s.at[uid]:s.at[uid+1]])
					w.Flush()
				}
			}
			fmt.Fprintf(w, "%s OK done\r\n", tag)
		case name == "LOGOUT":
			fmt.Fprintf(w, "* BYE bye\r\n%s OK done\r\n", tag)
			w.Flush()
			return
		default:
			fmt.Fprintf(w, "%s OK done\r\n", tag)
		}
		if r.Buffered() == 0 {
			w.Flush()
		}
	}
}

func BenchmarkFirstSyncHeadersCanned10k(b *testing.B) {
	ep := newCannedServer(b, benchMessages).start(b)
	benchCPU(b, func() error { return postaSync(ep) })
}

func BenchmarkFirstSyncRawGoIMAPCanned10k(b *testing.B) {
	ep := newCannedServer(b, benchMessages).start(b)
	benchCPU(b, func() error { return rawFetch(ep) })
}

// BenchmarkFirstSyncCannedPostaVsRaw10k runs posta's sync and go-imap's
// raw fetch in turn against the canned server, so that both see the
// same machine load, and reports the CPU time of each (this process,
// the canned server's share included) and posta's over go-imap's. Its
// CPU profile splits the clients' own goroutines by the label "kind":
//
//	go test -run '^$' -bench PostaVsRaw -benchtime 20x -cpuprofile cpu.out ./protocols/imap
//	go tool pprof -tags protocols/imap.test cpu.out
func BenchmarkFirstSyncCannedPostaVsRaw10k(b *testing.B) {
	ep := newCannedServer(b, benchMessages).start(b)
	ctx := context.Background()
	var cpu [2]time.Duration
	for i := -1; i < b.N; i++ { // one turn to warm up
		for k, kind := range []string{"posta", "raw"} {
			start := cputime.Process()
			var err error
			pprof.Do(ctx, pprof.Labels("kind", kind), func(context.Context) {
				if kind == "posta" {
					err = postaSync(ep)
				} else {
					err = rawFetch(ep)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			if i >= 0 {
				cpu[k] += cputime.Process() - start
			}
		}
	}
	b.ReportMetric(float64(cpu[0])/float64(b.N), "posta-cpu-ns/op")
	b.ReportMetric(float64(cpu[1])/float64(b.N), "raw-cpu-ns/op")
	b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "posta/raw")
}
