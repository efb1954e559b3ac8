package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/posta-mail/posta/protocols"
)

// The sync rows compare `posta sync`, a process of its own timed from its
// start to its exit, with a raw loop over the same wire. The raw loop is
// run the same way: this program re-executed with -raw-child, timed from
// its start to its exit. Run inside this process instead, which also
// holds the demo servers, the loop and the server share one Go runtime:
// a request wakes the server's goroutine without the kernel switching
// processes, which no client of a server gets. For a loop of 10,000
// round trips (POP3's RETR, one at a time) that made the baseline about
// half as long as the same loop in a process of its own (181-366 ms
// against 305-535 ms on this machine), and set posta, which is a process,
// against a client that cannot exist. The note of each row still gives
// the loop inside this process (rawTimes.note).

// rawSpec says which raw loop a child runs, against what.
type rawSpec struct {
	Kind     string `json:"kind"` // "imap": UID FETCH 1:* of posta's header items; "pop3": RETR of every message
	Host     string `json:"host"`
	Port     int    `json:"port"`
	CAFile   string `json:"ca_file"`
	Username string `json:"username"`
	Password string `json:"password"`
	Want     int    `json:"want"` // messages the server holds
}

// rawChildReport is what the child prints.
type rawChildReport struct {
	LoopMillis float64 `json:"loop_ms"` // the loop alone, login included
	Error      string  `json:"error,omitempty"`
}

// rawSpecFor describes the loop of kind against ep.
func rawSpecFor(kind string, ep protocols.Endpoint, caFile string, want int) (rawSpec, error) {
	pw, err := ep.Password(context.Background())
	if err != nil {
		return rawSpec{}, err
	}
	return rawSpec{Kind: kind, Host: ep.Host, Port: ep.Port, CAFile: caFile, Username: ep.Username, Password: pw, Want: want}, nil
}

// rawProcess runs spec's loop in a child process and returns the child's
// time from its start to its exit, and the loop's own time in it.
func rawProcess(ctx context.Context, spec rawSpec) (wall, loop time.Duration, err error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	in, err := json.Marshal(spec)
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, exe, "-raw-child")
	cmd.Stdin = bytes.NewReader(in)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if err != nil {
		return wall, 0, fmt.Errorf("raw %s child: %v: %s", spec.Kind, err, firstLine(errOut.String()))
	}
	var rep rawChildReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return wall, 0, fmt.Errorf("raw %s child said %q: %w", spec.Kind, out.String(), err)
	}
	if rep.Error != "" {
		return wall, 0, fmt.Errorf("raw %s child: %s", spec.Kind, rep.Error)
	}
	return wall, time.Duration(rep.LoopMillis * float64(time.Millisecond)), nil
}

// runRawChild is the child's side: it reads a rawSpec from stdin, runs
// the loop and prints a rawChildReport.
func runRawChild(stdin io.Reader) rawChildReport {
	var spec rawSpec
	if err := json.NewDecoder(stdin).Decode(&spec); err != nil {
		return rawChildReport{Error: "bad spec: " + err.Error()}
	}
	ep, err := spec.endpoint()
	if err != nil {
		return rawChildReport{Error: err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var d time.Duration
	switch spec.Kind {
	case "imap":
		d, err = rawFetchAt(ctx, ep, spec.Want)
	case "pop3":
		d, err = rawRetrAt(ctx, ep, spec.Want)
	default:
		err = fmt.Errorf("unknown loop %q", spec.Kind)
	}
	if err != nil {
		return rawChildReport{Error: err.Error()}
	}
	return rawChildReport{LoopMillis: ms(d)}
}

// endpoint is the server of spec over implicit TLS, trusting exactly the
// certificates of its CA file.
func (s rawSpec) endpoint() (protocols.Endpoint, error) {
	pool, err := caPool(s.CAFile)
	if err != nil {
		return protocols.Endpoint{}, err
	}
	return tlsEndpoint(s.Host, s.Port, pool, s.Username, s.Password), nil
}

// caPool reads the certificates of a CA file, the only ones a benchmark
// client trusts.
func caPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %s", file)
	}
	return pool, nil
}

// tlsEndpoint is host:port over implicit TLS, trusting pool, logging in
// as user with password.
func tlsEndpoint(host string, port int, pool *x509.CertPool, user, password string) protocols.Endpoint {
	return protocols.Endpoint{Host: host, Port: port, Security: protocols.SecurityTLS, Username: user,
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12},
		Password:  func(context.Context) (string, error) { return password, nil }}
}

// rawTimes are a row's raw loop figures besides the baseline (the
// loop's process, start to exit): the loop alone in that process, and
// the same loop inside this process.
type rawTimes struct {
	loop, inside samples
	last         time.Duration // the loop of the last child run
	// demo says the server runs in this process (the demo servers): the
	// loop inside this process then shares the server's Go runtime.
	demo bool
}

// child returns what cpuMeter.pair times for the baseline: spec's loop in
// a child process, from its start to its exit.
func (r *rawTimes) child(ctx context.Context, spec rawSpec) func() (time.Duration, error) {
	return func() (time.Duration, error) {
		wall, loop, err := rawProcess(ctx, spec)
		r.last = loop
		return wall, err
	}
}

// keep records the loop of the pair's kept child run, then times the
// same loop inside this process (inside).
func (r *rawTimes) keep(inside func() (time.Duration, error)) error {
	r.loop = append(r.loop, ms(r.last))
	d, err := inside()
	if err != nil {
		return fmt.Errorf("raw loop inside the benchmark's process: %w", err)
	}
	r.inside = append(r.inside, ms(d))
	return nil
}

// note says them for the row's note; raw and posta are the medians of
// the baseline and of posta sync.
func (r rawTimes) note(raw, posta float64) string {
	s := fmt.Sprintf("the raw loop's process took %.0f ms from its start to its exit (the loop alone in it %.0f ms)", raw, r.loop.median())
	if in := r.inside.median(); in > 0 {
		s += fmt.Sprintf("; the same loop inside the benchmark's process took %.0f ms", in)
		if posta > 0 {
			s += fmt.Sprintf(" (posta sync %.2f× that)", posta/in)
		}
		if r.demo {
			s += ", sharing the demo server's Go runtime as no client process does (see bench/rawchild.go)"
		}
	}
	return s
}
