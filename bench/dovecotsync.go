package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gopop3 "github.com/knadh/go-pop3"

	"github.com/posta-mail/posta/protocols"
	postaimap "github.com/posta-mail/posta/protocols/imap"
)

// dovecotSyncs measures the first IMAP header sync and the POP3 download
// against the Dovecot of scripts/mailstack.sh (its user benchN, seeded as
// for the launch rows: n messages and the marker), each against its raw
// loop on the same server, as measureIMAP and measurePOP3 do on the demo
// servers. POP3 leaves the mail on the server, so the maildrop stays.
func dovecotSyncs(ctx context.Context, rep *report, stack *mailstack, p sizePlan, scratch, bin string) error {
	box, err := stack.seed(p.n)
	if err != nil {
		return fmt.Errorf("seeding Dovecot: %w", err)
	}
	pop3Addr := os.Getenv("MAILSTACK_POP3")
	pool, err := caPool(stack.caFile)
	if err != nil {
		return err
	}
	endpoint := func(addr string) protocols.Endpoint {
		host, port, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(port)
		return tlsEndpoint(host, n, pool, box.user, box.password)
	}
	cfg, err := demoConfig(stack.imapAddr, pop3Addr, stack.smtpAddr, stack.caFile)
	if err != nil {
		return err
	}
	for i := range cfg.Accounts {
		cfg.Accounts[i].Fetch.Username, cfg.Accounts[i].Fetch.Password = box.user, box.password
	}
	dir := filepath.Join(scratch, fmt.Sprintf("dovecot-sync%d", p.n))
	defer os.RemoveAll(dir)
	want := p.n + 1 // and the marker
	runs := 0
	fresh := func() (string, string) {
		runs++
		base := filepath.Join(dir, "run"+strconv.Itoa(runs))
		return filepath.Join(base, "cache"), filepath.Join(base, "data")
	}
	conf := filepath.Join(dir, "posta.toml")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := writeSyncConfig(conf, syncServers{imapAddr: stack.imapAddr, pop3Addr: pop3Addr, smtpAddr: stack.smtpAddr,
		imapUser: box.user, pop3User: box.user, password: box.password, caFile: stack.caFile}); err != nil {
		return err
	}
	process := func(account string) (procRun, error) {
		if bin == "" {
			return procRun{}, nil
		}
		cacheDir, dataDir := fresh() // removed with dir, at the end (see fixture.syncProcessFresh)
		return syncProcess(ctx, bin, conf, account, cacheDir, dataDir, want)
	}
	sync := func(account string) (time.Duration, error) {
		cacheDir, dataDir := fresh() // removed with dir, at the end (see fixture.syncProcessFresh)
		c, set, err := openSet(cfg, cacheDir, dataDir)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		defer set.Close()
		a, err := set.Get(account)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		r, err := a.Sync(ctx, nil)
		d := time.Since(start)
		if err == nil && r.Added != want {
			err = fmt.Errorf("%s sync added %d messages, want %d", account, r.Added, want)
		}
		return d, err
	}
	imapEP, pop3EP := endpoint(stack.imapAddr), endpoint(pop3Addr)
	imapSpec, err := rawSpecFor("imap", imapEP, stack.caFile, want)
	if err != nil {
		return err
	}
	pop3Spec, err := rawSpecFor("pop3", pop3EP, stack.caFile, want)
	if err != nil {
		return err
	}

	if _, err := rawFetchAt(ctx, imapEP, want); err != nil { // warms Dovecot up; not counted
		return fmt.Errorf("raw fetch: %w", err)
	}
	var posta, inproc, raw samples
	var cpu cpuMeter
	var rt rawTimes
	// measure times posta sync, the accounts layer's Sync in this process
	// and the raw loop in a process of its own, once each (the raw loop
	// and posta sync again when the hypervisor took the cores meanwhile:
	// cpuMeter.pair), then the raw loop inside this process, for the note.
	measure := func(account string, spec rawSpec, rawLoop func() (time.Duration, error)) error {
		d, run, err := cpu.pair("raw loop", rt.child(ctx, spec), func() (procRun, error) { return process(account) })
		if err != nil {
			return err
		}
		raw = append(raw, ms(d))
		e := run.wall
		if bin != "" {
			posta = append(posta, ms(e))
		}
		if err := rt.keep(rawLoop); err != nil {
			return err
		}
		in, err := sync(account)
		if err != nil {
			return err
		}
		inproc = append(inproc, ms(in))
		logf("Dovecot %d, %s: posta sync %.0f ms, accounts Sync in process %.0f ms, raw loop process %.0f ms (in this process %.0f ms)%s",
			p.n, account, ms(e), ms(in), ms(d), rt.inside[len(rt.inside)-1], cpu.lastSteal())
		return nil
	}
	steady := cpuQuiet(ctx, targetFor("imap_sync_dovecot", p.n) != nil)
	for range p.syncRuns {
		if err := measure("work", imapSpec, func() (time.Duration, error) { return rawFetchAt(ctx, imapEP, want) }); err != nil {
			return err
		}
	}
	res := syncRow("imap_sync_dovecot", "IMAP first header sync", "raw UID FETCH 1:* of the same items in a process of its own, Dovecot over IMAPS", p.n, posta, inproc, raw)
	res.CPU = cpu.use()
	res.Note = joinNote(joinNote(joinNote(res.Note, rt.note(raw.median(), posta.median())), steady), stealNote(res.CPU))
	runs++
	if b, err := medianBreakdown(breakdownRuns, filepath.Join(dir, "breakdown"+strconv.Itoa(runs)), func(dir string) (*breakdown, error) {
		return imapBreakdown(ctx, imapEP, dir, want)
	}); err != nil {
		rep.problem("Dovecot IMAP breakdown at %d messages: %v", p.n, err)
	} else {
		res.Breakdown = b.parts()
		logf("Dovecot %d: IMAP breakdown: %s", p.n, b.text())
	}
	rep.add(res)

	if pop3Addr == "" {
		rep.problem("Dovecot POP3 row at %d messages: MAILSTACK_POP3 is not set", p.n)
		return nil
	}
	posta, inproc, raw, cpu, rt = nil, nil, nil, cpuMeter{}, rawTimes{}
	quiet := fsQuiet(ctx, dir, p.n, targetFor("pop3_download_dovecot", p.n) != nil)
	steady = cpuQuiet(ctx, targetFor("pop3_download_dovecot", p.n) != nil)
	for range max(p.pop3Runs, 1) {
		if err := measure("home", pop3Spec, func() (time.Duration, error) { return rawRetrAt(ctx, pop3EP, want) }); err != nil {
			return err
		}
	}
	res = syncRow("pop3_download_dovecot", "POP3 download", "raw RETR loop in a process of its own, Dovecot over POP3S", p.n, posta, inproc, raw)
	res.CPU = cpu.use()
	res.Note = joinNote(joinNote(joinNote(joinNote(res.Note, rt.note(raw.median(), posta.median())), quiet), steady), stealNote(res.CPU))
	runs++
	if b, err := medianBreakdown(breakdownRuns, filepath.Join(dir, "breakdown"+strconv.Itoa(runs)), func(dir string) (*breakdown, error) {
		return pop3Breakdown(ctx, pop3EP, dir, want)
	}); err != nil {
		rep.problem("Dovecot POP3 breakdown at %d messages: %v", p.n, err)
	} else {
		res.Breakdown = b.parts()
		logf("Dovecot %d: POP3 breakdown: %s", p.n, b.text())
	}
	rep.add(res)
	return nil
}

// rawFetchAt is rawFetchAll against any IMAPS endpoint holding want
// messages in its INBOX.
func rawFetchAt(ctx context.Context, ep protocols.Endpoint, want int) (time.Duration, error) {
	start := time.Now()
	c, err := imapclient.DialTLS(ep.Addr(), &imapclient.Options{TLSConfig: ep.TLS()})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	pw, _ := ep.Password(ctx)
	if err := c.Login(ep.Username, pw).Wait(); err != nil {
		return 0, err
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	fc := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}}, postaimap.HeaderFetchOptions())
	got := 0
	for m := fc.Next(); m != nil; m = fc.Next() {
		for it := m.Next(); it != nil; it = m.Next() {
		}
		got++
	}
	if err := fc.Close(); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if got != want {
		return d, fmt.Errorf("raw fetch got %d messages, want %d", got, want)
	}
	return d, c.Logout().Wait()
}

// rawRetrAt is rawRetrAll against any POP3S endpoint holding want
// messages.
func rawRetrAt(ctx context.Context, ep protocols.Endpoint, want int) (time.Duration, error) {
	start := time.Now()
	c, err := gopop3.New(gopop3.Opt{Host: ep.Host, Port: ep.Port, Dialer: tlsDialer{ep.TLS()}}).NewConn()
	if err != nil {
		return 0, err
	}
	defer c.Quit()
	pw, _ := ep.Password(ctx)
	if err := c.Auth(ep.Username, pw); err != nil {
		return 0, err
	}
	n, _, err := c.Stat()
	if err != nil {
		return 0, err
	}
	if n != want {
		return 0, fmt.Errorf("STAT says %d messages, want %d", n, want)
	}
	for k := 1; k <= n; k++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if _, err := c.RetrRaw(k); err != nil {
			return 0, fmt.Errorf("RETR %d: %w", k, err)
		}
	}
	return time.Since(start), nil
}
