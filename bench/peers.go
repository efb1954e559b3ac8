package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// peerNames are the readers posta is compared with, in report order.
var peerNames = []string{"neomutt", "aerc"}

// installPeers makes sure neomutt and aerc are installed, with Debian's
// packages when they are missing (as root), and returns why each one that
// is still missing could not be installed.
func installPeers() map[string]string {
	missing := map[string]string{}
	var pkgs []string
	for _, p := range peerNames {
		if _, err := exec.LookPath(p); err != nil {
			pkgs = append(pkgs, p)
		}
	}
	if len(pkgs) == 0 {
		return missing
	}
	if os.Geteuid() != 0 {
		for _, p := range pkgs {
			missing[p] = "not installed, and the harness is not root to install it"
		}
		return missing
	}
	logf("installing %s with apt-get", strings.Join(pkgs, " and "))
	apt := func(args ...string) (string, error) {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return lines[len(lines)-1], err
	}
	updated := false
	for _, p := range pkgs {
		// One package at a time: one that is not available must not keep
		// the other out. Stale package lists are updated once.
		why := ""
		last, err := apt("install", "-y", "-q", "--no-install-recommends", p)
		if err != nil && !updated {
			updated = true
			if _, uerr := apt("update", "-q"); uerr == nil {
				last, err = apt("install", "-y", "-q", "--no-install-recommends", p)
			}
		}
		if err != nil {
			why = fmt.Sprintf("apt-get install %s failed (%v): %s", p, err, last)
		}
		if _, err := exec.LookPath(p); err != nil {
			if why == "" {
				why = "apt-get installed no " + p + " program"
			}
			missing[p] = why
		}
	}
	return missing
}

// peerVersion returns the first line the program prints about its
// version, for the report.
func peerVersion(name string) string {
	out, err := exec.Command(name, "-v").CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown version"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line)
}

// peerClients returns the peers that are installed, set up for box.
func peerClients(st *mailstack, box mailbox, missing map[string]string) []*client {
	var out []*client
	if missing["neomutt"] == "" {
		out = append(out, neomuttClient(st, box))
	}
	if missing["aerc"] == "" {
		out = append(out, aercClient(st, box))
	}
	return out
}

// neomuttClient runs neomutt on the user's INBOX over IMAPS, trusting the
// stack's CA, with its header cache (and body cache) in the cache folder,
// no system configuration (-n), no pause after messages (sleep_time = 0),
// newest first (reverse-date, so the newest subject is on the first
// screen, where its cursor starts), and no question on quitting.
func neomuttClient(st *mailstack, box mailbox) *client {
	return &client{
		name: "neomutt",
		setup: func(conf, cache string) ([]string, []string, error) {
			hcache := filepath.Join(cache, "hcache") + "/"
			if err := os.MkdirAll(hcache, 0o700); err != nil {
				return nil, nil, err
			}
			rc := strings.Join([]string{
				fmt.Sprintf("set folder = %q", "imaps://"+st.imapAddr+"/"),
				`set spoolfile = "+INBOX"`,
				fmt.Sprintf("set imap_user = %q", box.user),
				fmt.Sprintf("set imap_pass = %q", box.password),
				fmt.Sprintf("set ssl_ca_certificates_file = %q", st.caFile),
				fmt.Sprintf("set certificate_file = %q", filepath.Join(conf, "certificates")),
				fmt.Sprintf("set header_cache = %q", hcache),
				fmt.Sprintf("set message_cachedir = %q", filepath.Join(cache, "bodies")+"/"),
				"set sleep_time = 0",
				"set sort = reverse-date",
				"set quit = yes",
				"set move = no",
				"set imap_check_subscribed = no",
				"set mail_check_stats = no",
			}, "\n") + "\n"
			path := filepath.Join(conf, "muttrc")
			if err := os.WriteFile(path, []byte(rc), 0o600); err != nil {
				return nil, nil, err
			}
			return []string{"neomutt", "-n", "-F", path}, nil, nil
		},
		quit: [][]string{{"q"}},
		// neomutt shows the index once every header is fetched and in its
		// header cache: nothing more to wait for before quitting.
	}
}

// aercClient runs aerc on one account whose source is the user's INBOX
// over IMAPS, with cache-headers on and XDG_CACHE_HOME in the cache folder
// (its header cache), the system's default key bindings, an otherwise
// empty aerc.conf, SSL_CERT_FILE pointing at the stack's CA, and a
// harmless outgoing command (nothing is sent).
func aercClient(st *mailstack, box mailbox) *client {
	return &client{
		name: "aerc",
		setup: func(conf, cache string) ([]string, []string, error) {
			dir := filepath.Join(conf, "aerc")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, nil, err
			}
			user := strings.ReplaceAll(box.user, "@", "%40")
			accounts := fmt.Sprintf("[bench]\nsource = imaps://%s:%s@%s\noutgoing = /bin/true\ndefault = INBOX\nfrom = Bench <%s>\ncache-headers = true\n",
				user, box.password, st.imapAddr, box.user)
			if err := os.WriteFile(filepath.Join(dir, "accounts.conf"), []byte(accounts), 0o600); err != nil {
				return nil, nil, err
			}
			if err := os.WriteFile(filepath.Join(dir, "aerc.conf"), nil, 0o600); err != nil {
				return nil, nil, err
			}
			// Without binds.conf aerc copies the system's on its first
			// start, printing a line first: give it that copy up front.
			binds, err := os.ReadFile("/usr/share/aerc/binds.conf")
			if err != nil {
				return nil, nil, fmt.Errorf("aerc's default key bindings: %w", err)
			}
			if err := os.WriteFile(filepath.Join(dir, "binds.conf"), binds, 0o600); err != nil {
				return nil, nil, err
			}
			return []string{"aerc"}, []string{"XDG_CONFIG_HOME=" + conf, "XDG_CACHE_HOME=" + cache, "SSL_CERT_FILE=" + st.caFile}, nil
		},
		quit: [][]string{{":quit"}, {"Enter"}},
		// aerc fetches the headers of the rows it shows, in the
		// background: let it finish those before quitting.
		settle: 2 * time.Second,
	}
}

// versionOrMissing describes a peer for the machine section: its version,
// or why it is not installed.
func versionOrMissing(name string, missing map[string]string) string {
	if _, err := exec.LookPath(name); err == nil {
		return peerVersion(name)
	}
	if why := missing[name]; why != "" && why != notRun {
		return why
	}
	return "not installed"
}
