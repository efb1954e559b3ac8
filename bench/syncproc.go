package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// syncServers is what the configuration file of a `posta sync` run says:
// an IMAP account "work" limited to its INBOX and a POP3 account "home"
// (mail left on the server), over implicit TLS trusting caFile.
type syncServers struct {
	imapAddr, pop3Addr, smtpAddr string
	imapUser, pop3User, password string
	caFile                       string
}

func writeSyncConfig(path string, s syncServers) error {
	ih, ip, err := splitAddr(s.imapAddr)
	if err != nil {
		return err
	}
	ph, pp, err := splitAddr(s.pop3Addr)
	if err != nil {
		return err
	}
	sh, sp, err := splitAddr(s.smtpAddr)
	if err != nil {
		return err
	}
	account := func(name, kind, host string, port int, user, extra string) string {
		return fmt.Sprintf(`
[[account]]
name = %q
address = %q

[account.fetch]
kind = %q
host = %q
port = %d
security = "tls"
username = %q
password = %q
ca_file = %q
%s
[account.smtp]
host = %q
port = %d
security = "starttls"
username = %q
password = %q
ca_file = %q
`, name, user+"@bench.example", kind, host, port, user, s.password, s.caFile, extra, sh, sp, user, s.password, s.caFile)
	}
	text := "# Written by posta's benchmark harness.\ndefault_account = \"work\"\n" +
		account("work", "imap", ih, ip, s.imapUser, "folders = [\"INBOX\"]\n") +
		account("home", "pop3", ph, pp, s.pop3User, "")
	return os.WriteFile(path, []byte(text), 0o600)
}

// syncSummary is the line `posta sync` prints for an account.
var syncSummary = regexp.MustCompile(`(?m)^(\w+): (\d+) new`)

// syncProcess runs `posta sync --account account` as a user does, with
// the configuration file conf, into cacheDir and dataDir, and times it
// from the start of the process to its exit, with the process's CPU time
// and what the machine's cores did meanwhile. It checks that the sync added
// want messages.
func syncProcess(ctx context.Context, bin, conf, account, cacheDir, dataDir string, want int) (procRun, error) {
	cmd := exec.CommandContext(ctx, bin, "--config", conf, "--cache-dir", cacheDir, "--data-dir", dataDir,
		"sync", "--account", account)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "HOME="+filepath.Dir(cacheDir))
	var run procRun
	var err error
	run.wall, run.machine, err = during(func() (time.Duration, error) {
		start := time.Now()
		err := cmd.Run()
		return time.Since(start), err
	})
	if cmd.ProcessState != nil {
		run.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return run, fmt.Errorf("posta sync --account %s: %v: %s", account, err, firstLine(errOut.String()+out.String()))
	}
	for _, m := range syncSummary.FindAllStringSubmatch(errOut.String()+out.String(), -1) { // progress and summary go to stderr
		if m[1] == account {
			if n, _ := strconv.Atoi(m[2]); n != want {
				return run, fmt.Errorf("posta sync --account %s added %d messages, want %d", account, n, want)
			}
			return run, nil
		}
	}
	return run, fmt.Errorf("posta sync --account %s printed no summary: %q", account, errOut.String()+out.String())
}
