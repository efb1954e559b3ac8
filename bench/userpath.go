package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// userPath holds what the launch measurements need, made once per run of
// the harness: "launch → newest subject painted" as a user sees it, the
// posta binary in a real pseudo-terminal.
type userPath struct {
	dir    string
	tmux   *tmuxServer // nil when it could not start
	noTmux string      // why not
	posta  string      // the binary
	// stack is the Dovecot stack, nil without -dovecot or when it is not up
	// (noStack says why).
	stack   *mailstack
	noStack string
	// peers says -peers was given; missing names the peers that are not
	// installed, and why.
	peers   bool
	missing map[string]string
	// settleTimeout, when not 0, bounds the wait for a first sync's end
	// (tests); otherwise launchTimeout does.
	settleTimeout time.Duration
}

// newUserPath builds posta and starts tmux; with dovecot it finds the
// mail stack, with peers it installs neomutt and aerc when missing.
func newUserPath(rep *report, dir string, dovecot, peers bool) *userPath {
	u := &userPath{dir: dir, peers: peers, missing: map[string]string{}}
	t, err := startTmux(dir)
	if err != nil {
		u.noTmux = err.Error()
		rep.problem("launch rows not measured: %v", err)
	} else {
		u.tmux = t
		// An interrupted harness must not leave the tmux server and the
		// program it measures running.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		go func() {
			s := <-sig
			t.Close()
			os.RemoveAll(dir)
			fmt.Fprintf(os.Stderr, "bench: %v: stopped\n", s)
			os.Exit(1)
		}()
	}
	if u.tmux != nil {
		if u.posta, err = postaBinary(dir); err != nil {
			u.noTmux = err.Error()
			rep.problem("launch rows not measured: %v", err)
			u.tmux.Close()
			u.tmux = nil
		}
	}
	switch {
	case !dovecot:
		u.noStack = "run with -dovecot (and the stack of scripts/mailstack.sh up)"
	default:
		if u.stack, err = findMailstack(); err != nil {
			u.noStack = err.Error()
			rep.problem("Dovecot rows not measured: %v", err)
		}
	}
	if peers {
		u.missing = installPeers()
		for _, p := range peerNames {
			if why := u.missing[p]; why != "" {
				rep.problem("%s not measured: %s", p, why)
			}
		}
	} else {
		for _, p := range peerNames {
			u.missing[p] = notRun
		}
	}
	rep.Machine.Neomutt = versionOrMissing("neomutt", u.missing)
	rep.Machine.Aerc = versionOrMissing("aerc", u.missing)
	rep.PeersRun = peers && u.stack != nil
	return u
}

func (u *userPath) Close() {
	if u.tmux != nil {
		u.tmux.Close()
	}
}

// notRun is why a peer is missing from the Dovecot rows without -peers.
const notRun = "not run (-peers)"

// launchTimeout bounds one launch at n messages (today a cold posta shows
// the newest subject only after its whole first sync).
func launchTimeout(n int) time.Duration {
	return 2*time.Minute + time.Duration(n)*3*time.Millisecond
}

// demo measures posta's launch against the fixture's demo servers. It
// delivers the marker to alice's INBOX first, so run it after everything
// that counts her messages.
func (u *userPath) demo(rep *report, f *fixture, p sizePlan) {
	if u.tmux == nil {
		addLaunchRows(rep, "demo", p.n, nil, nil, "not measured: "+u.noTmux)
		return
	}
	marker := markerMessage("Alice Example <alice@work.example>", p.n, time.Now().Add(time.Minute))
	if err := f.srv.Deliver("alice@work.example", marker); err != nil {
		rep.problem("launch rows at %d messages: deliver the marker: %v", p.n, err)
		addLaunchRows(rep, "demo", p.n, nil, nil, "not measured: the marker message could not be delivered")
		return
	}
	posta := postaClient(u.posta, postaServer{imapAddr: f.srv.IMAPAddr, smtpAddr: f.srv.SMTPAddr,
		user: "alice", password: "password", address: "alice@work.example", caFile: f.caFile})
	figs := measureLaunches(u.tmux, []*client{posta}, launchPlan{label: fmt.Sprintf("demo %d", p.n),
		dir: filepath.Join(u.dir, fmt.Sprintf("demo%d", p.n)), want: markerSubject(p.n), runs: p.runs, timeout: launchTimeout(p.n),
		settleTimeout: u.settleTimeout})
	u.problems(rep, "demo", p.n, figs)
	addLaunchRows(rep, "demo", p.n, figs, nil, "")
}

// dovecot measures posta, and with -peers neomutt and aerc, against the
// mail stack's Dovecot over IMAPS, on a user seeded with p.n messages.
func (u *userPath) dovecot(rep *report, p sizePlan) {
	var peers map[string]string
	if u.peers {
		peers = u.missing
	}
	switch {
	case u.tmux == nil:
		addLaunchRows(rep, "dovecot", p.n, nil, peers, "not measured: "+u.noTmux)
		return
	case u.stack == nil:
		addLaunchRows(rep, "dovecot", p.n, nil, peers, "not measured: "+u.noStack)
		return
	}
	box, err := u.stack.seed(p.n)
	if err != nil {
		rep.problem("Dovecot rows at %d messages: seeding: %v", p.n, err)
		addLaunchRows(rep, "dovecot", p.n, nil, peers, "not measured: seeding Dovecot failed")
		return
	}
	clients := []*client{postaClient(u.posta, postaServer{imapAddr: u.stack.imapAddr, smtpAddr: u.stack.smtpAddr,
		user: box.user, password: box.password, address: box.user, caFile: u.stack.caFile})}
	if u.peers {
		clients = append(clients, peerClients(u.stack, box, u.missing)...)
	}
	figs := measureLaunches(u.tmux, clients, launchPlan{label: fmt.Sprintf("Dovecot %d", p.n),
		dir: filepath.Join(u.dir, fmt.Sprintf("dovecot%d", p.n)), want: box.marker, runs: p.runs, timeout: launchTimeout(p.n),
		settleTimeout: u.settleTimeout})
	u.problems(rep, "Dovecot", p.n, figs)
	addLaunchRows(rep, "dovecot", p.n, figs, peers, "")
}

// problems reports every client that could not be measured.
func (u *userPath) problems(rep *report, server string, n int, figs map[string]*launchFigures) {
	for _, name := range append([]string{"posta"}, peerNames...) {
		if f := figs[name]; f != nil && f.err != nil {
			rep.problem("%s launch at %d messages (%s): %s", name, n, server, firstLine(f.err.Error()))
		}
		if f := figs[name]; f != nil && f.warning != "" {
			rep.problem("%s launch at %d messages (%s): %s", name, n, server, f.warning)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// launchWhat is the text of a launch row.
func launchWhat(server, state string) string {
	cache := "empty cache"
	if state == "warm" {
		cache = "warm cache (filled, then closed cleanly with q, by an earlier run)"
	}
	if server == "demo" {
		return "launch → newest subject painted, " + cache + ": posta binary in tmux 200×50, demo IMAPS server"
	}
	peerCache := "empty header caches"
	if state == "warm" {
		peerCache = "warm header caches"
	}
	return "launch → newest subject painted, " + cache + ": posta binary in tmux 200×50, Dovecot IMAPS; " +
		"baseline: the faster of neomutt and aerc (" + peerCache + ")"
}

// addLaunchRows adds the cold and warm launch rows of one server and
// size. figs nil means nothing was measured (skipped says why); peers,
// when not nil, are the compared readers with why each one is missing.
func addLaunchRows(rep *report, server string, n int, figs map[string]*launchFigures, peers map[string]string, skipped string) {
	for _, state := range []string{"cold", "warm"} {
		res := result{ID: "launch_" + state + "_" + server, What: launchWhat(server, state), Messages: n, Unit: "ms"}
		if figs == nil {
			res.Skipped = skipped
			res.Note = launchNote(res)
			rep.add(res)
			continue
		}
		pick := func(f *launchFigures) samples {
			if state == "cold" {
				return f.cold
			}
			return f.warm
		}
		pf := figs["posta"]
		if pf == nil || pf.err != nil || len(pick(pf)) == 0 {
			res.Skipped = "not measured: posta failed (see the problems)"
		} else {
			res.Samples = pick(pf)
			res.Value = res.Samples.median()
			res.PollMillis = pf.poll.median()
		}
		if peers != nil {
			measured := 0
			for _, name := range peerNames {
				pr := peerResult{Name: name}
				f := figs[name]
				switch {
				case peers[name] != "":
					pr.Error = peers[name]
				case f == nil:
					pr.Error = "not run"
				case f.err != nil:
					pr.Error = firstLine(f.err.Error())
				case len(pick(f)) == 0:
					pr.Error = "no run finished"
				default:
					pr.Samples = pick(f)
					pr.Median = pr.Samples.median()
					measured++
				}
				res.Peers = append(res.Peers, pr)
			}
			// Cold: the target is against the better peer, so one is
			// enough; warm: against both, so both must be there.
			if measured > 0 && (state == "cold" || measured == len(peerNames)) {
				for _, pr := range res.Peers {
					if pr.Error == "" && (res.Baseline == 0 || pr.Median < res.Baseline) {
						res.Baseline, res.BaselineSamples, res.BaselineName = pr.Median, pr.Samples, pr.Name
					}
				}
			}
		}
		res.Note = launchNote(res)
		rep.add(res)
	}
}

// launchNote describes a launch row's peers and polling.
func launchNote(res result) string {
	var parts []string
	if res.Skipped != "" {
		parts = append(parts, res.Skipped)
	}
	for _, pr := range res.Peers {
		if pr.Error != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", pr.Name, pr.Error))
			continue
		}
		s := fmt.Sprintf("%s %s (%d runs)", pr.Name, formatValue(pr.Median, res.Unit), len(pr.Samples))
		if res.Skipped == "" && pr.Median > 0 {
			s += fmt.Sprintf(", posta/%s %.2f×", pr.Name, res.Value/pr.Median)
		}
		parts = append(parts, s)
	}
	if res.PollMillis > 0 {
		parts = append(parts, fmt.Sprintf("screen captured every %.1f ms on average", res.PollMillis))
	}
	return strings.Join(parts, "; ")
}
