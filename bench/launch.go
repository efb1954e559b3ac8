package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// client is a mail reader the harness launches in a terminal and times
// from launch to the newest subject on screen.
type client struct {
	name string
	// setup writes the client's configuration under conf and returns its
	// command line and extra environment, with every cache it keeps in
	// cache (an empty folder for a cold run).
	setup func(conf, cache string) (argv, env []string, err error)
	// quit are the send-keys calls that quit it, in order.
	quit [][]string
	// settled, when not nil, is the screen text that says the client's
	// first sync ended: the run that fills the warm cache waits for it
	// before quitting. Without it that run lingers for settle after the
	// subject appeared.
	settled *regexp.Regexp
	settle  time.Duration
	// closed, when not nil, checks the cache after a quit.
	closed func(cache string) error
}

// launchFigures are one client's launch times.
type launchFigures struct {
	cold, warm samples
	poll       samples // mean time between two screen captures, per run
	err        error   // why it could not be measured (further runs skipped)
	warning    string  // about the warm cache
}

// launchPlan is what measureLaunches runs.
type launchPlan struct {
	label   string // "demo 10000", for the log
	dir     string // scratch folder for the runs' configuration and caches
	want    string // the newest subject
	runs    int
	timeout time.Duration // for one launch to show want
	// settleTimeout bounds the wait for the first sync's end (0: timeout).
	settleTimeout time.Duration
}

// measureLaunches times each client's launch until the newest subject is
// on screen. First each client runs once on an empty cache until its
// first sync settled and quits: that run is not timed; it warms the
// server (Dovecot's caches) and fills the cache the warm runs start from.
// Then come the cold runs (each in a new, empty cache folder, killed once
// the subject shows) and the warm runs (each on the filled cache, quit
// with the client's key and waited for, so the next starts from a cache
// closed cleanly). Clients take turns run by run, so a slow moment of the
// shared machine does not fall on one client only.
func measureLaunches(t *tmuxServer, clients []*client, p launchPlan) map[string]*launchFigures {
	figs := map[string]*launchFigures{}
	filled := map[string]string{}
	for _, c := range clients {
		f := &launchFigures{}
		figs[c.name] = f
		run := filepath.Join(p.dir, c.name, "warm")
		r, err := launchOnce(t, c, run, p, true)
		if f.err = err; err != nil {
			f.err = fmt.Errorf("first run (fills the cache): %w", f.err)
			logf("%s: %s: %v", p.label, c.name, f.err)
			continue
		}
		filled[c.name] = run
		if r.unsettled {
			f.warning = fmt.Sprintf("its first sync did not say it ended (%s) within %v of the launch; it was quit then, "+
				"so the warm cache may lack what that sync had not stored yet", c.settled, r.settled.Round(time.Second))
			logf("%s: %s: %s", p.label, c.name, f.warning)
		}
		logf("%s: %s filled its cache: subject after %.0f ms, first sync settled after %.1f s, exited %.0f ms after the quit keys",
			p.label, c.name, ms(r.subject), r.settled.Seconds(), ms(r.exited))
	}
	for i := range p.runs {
		for _, c := range clients {
			f := figs[c.name]
			if f.err != nil {
				continue
			}
			run := filepath.Join(p.dir, c.name, "cold"+strconv.Itoa(i+1))
			r, err := launchOnce(t, c, run, p, false)
			os.RemoveAll(run)
			if err != nil {
				f.err = fmt.Errorf("cold run %d: %w", i+1, err)
				logf("%s: %s: %v", p.label, c.name, f.err)
				continue
			}
			f.cold = append(f.cold, ms(r.subject))
			if r.poll > 0 {
				f.poll = append(f.poll, ms(r.poll))
			}
			logf("%s: %s cold launch → newest subject %.0f ms", p.label, c.name, ms(r.subject))
		}
	}
	for i := range p.runs {
		for _, c := range clients {
			f := figs[c.name]
			if f.err != nil {
				continue
			}
			r, err := launchOnce(t, c, filled[c.name], p, true)
			if err != nil {
				f.err = fmt.Errorf("warm run %d: %w", i+1, err)
				logf("%s: %s: %v", p.label, c.name, f.err)
				continue
			}
			f.warm = append(f.warm, ms(r.subject))
			if r.poll > 0 {
				f.poll = append(f.poll, ms(r.poll))
			}
			logf("%s: %s warm launch → newest subject %.0f ms (exited %.0f ms after the quit keys)", p.label, c.name, ms(r.subject), ms(r.exited))
		}
	}
	for _, run := range filled {
		os.RemoveAll(filepath.Dir(run))
	}
	return figs
}

// launchRun is what one launch took: until the subject showed (the
// figure), until the first sync settled (filling runs) and until the
// client exited after the quit keys (runs that keep their cache); poll is
// the mean time between two screen captures (0: the first showed it).
type launchRun struct {
	subject, settled, exited, poll time.Duration
	// unsettled says the first sync did not say it ended in time; the run
	// quit anyway.
	unsettled bool
}

// launchOnce starts c with its configuration and caches under run and
// times it until p.want is on screen. A run that keeps its cache quits
// with the client's keys (the first one waits for its sync to settle
// first, when the cache folder was empty) and must exit cleanly; any
// other run is killed.
func launchOnce(t *tmuxServer, c *client, run string, p launchPlan, keep bool) (launchRun, error) {
	var r launchRun
	conf, cache, home := filepath.Join(run, "conf"), filepath.Join(run, "cache"), filepath.Join(run, "home")
	fresh := !exists(cache)
	for _, d := range []string{conf, cache, home} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return r, err
		}
	}
	argv, env, err := c.setup(conf, cache)
	if err != nil {
		return r, err
	}
	if !keep {
		if f := firstFile(cache); f != "" {
			return r, fmt.Errorf("the cache folder of a cold run is not empty: %s", f)
		}
	}
	env = append([]string{"HOME=" + home, "LANG=C.UTF-8", "LC_ALL=C.UTF-8"}, env...)
	start := time.Now()
	s, err := t.launch(env, argv)
	if err != nil {
		return r, err
	}
	defer s.kill()
	r.subject, r.poll, err = s.waitFor(start, fmt.Sprintf("%q", p.want), func(screen string) bool { return strings.Contains(screen, p.want) }, p.timeout)
	if err != nil || !keep {
		return r, err
	}
	if fresh {
		if c.settled != nil {
			wait := p.settleTimeout
			if wait == 0 {
				wait = p.timeout
			}
			if _, _, err := s.waitFor(start, "the end of the first sync", c.settled.MatchString, wait); err != nil {
				if !errors.Is(err, errNotShown) {
					return r, err
				}
				r.unsettled = true
			}
		} else {
			time.Sleep(c.settle)
		}
		r.settled = time.Since(start)
	}
	quit := time.Now()
	for _, k := range c.quit {
		if err := s.keys(k...); err != nil {
			return r, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, err := s.waitExit(time.Minute)
	r.exited = time.Since(quit)
	if err != nil {
		return r, err
	}
	if code > 0 {
		return r, fmt.Errorf("exit status %d after quitting", code)
	}
	if c.closed != nil {
		if err := c.closed(cache); err != nil {
			return r, err
		}
	}
	return r, nil
}

// firstFile returns the first file (not folder) under dir, or "".
func firstFile(dir string) string {
	found := ""
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			found = path
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// postaBinary builds posta once into dir, as a user would run it.
func postaBinary(dir string) (string, error) {
	bin := filepath.Join(dir, "posta")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/posta-mail/posta").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build posta: %v: %s", err, strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; "))
	}
	return bin, nil
}

// postaServer is what posta's configuration file says about one IMAP
// account and its SMTP server.
type postaServer struct {
	imapAddr, smtpAddr, user, password, address, caFile string
}

// postaClient runs the posta binary in the reader on one IMAP account
// "work": a configuration file (private, with the password and the CA
// file), and --cache-dir and --data-dir in the run's cache folder.
func postaClient(bin string, srv postaServer) *client {
	return &client{
		name: "posta",
		setup: func(conf, cache string) ([]string, []string, error) {
			path := filepath.Join(conf, "config.toml")
			if err := writePostaConfig(path, srv); err != nil {
				return nil, nil, err
			}
			return []string{bin, "--config", path, "--cache-dir", filepath.Join(cache, "cache"),
				"--data-dir", filepath.Join(cache, "data")}, nil, nil
		},
		quit:    [][]string{{"q"}},
		settled: regexp.MustCompile(`work: (\d+ new|up to date)`),
		closed: func(cache string) error {
			if !exists(filepath.Join(cache, "cache", "index.clean")) {
				return fmt.Errorf("posta quit without marking its cache closed cleanly (no index.clean)")
			}
			return nil
		},
	}
}

func writePostaConfig(path string, s postaServer) error {
	ih, ip, err := splitAddr(s.imapAddr)
	if err != nil {
		return err
	}
	sh, sp, err := splitAddr(s.smtpAddr)
	if err != nil {
		return err
	}
	text := fmt.Sprintf(`# Written by posta's benchmark harness.
default_account = "work"

[[account]]
name = "work"
address = %q

[account.fetch]
kind = "imap"
host = %q
port = %d
security = "tls"
username = %q
password = %q
ca_file = %q

[account.smtp]
host = %q
port = %d
security = "starttls"
username = %q
password = %q
ca_file = %q
`, s.address, ih, ip, s.user, s.password, s.caFile, sh, sp, s.user, s.password, s.caFile)
	return os.WriteFile(path, []byte(text), 0o600)
}

func splitAddr(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("address %q has no port", addr)
	}
	port, err := strconv.Atoi(addr[i+1:])
	return addr[:i], port, err
}
