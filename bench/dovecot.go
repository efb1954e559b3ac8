package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/demo"
)

// mailstack is the Dovecot + Postfix stack of scripts/mailstack.sh, found
// through the MAILSTACK_* variables that `mailstack.sh env` prints.
type mailstack struct {
	script   string // scripts/mailstack.sh
	imapAddr string // IMAPS
	smtpAddr string // submission, STARTTLS
	caFile   string
}

const mailstackScript = "scripts/mailstack.sh"

// findMailstack returns the running stack, or why there is none.
func findMailstack() (*mailstack, error) {
	s := &mailstack{script: mailstackScript, imapAddr: os.Getenv("MAILSTACK_IMAP"),
		smtpAddr: os.Getenv("MAILSTACK_SMTP"), caFile: os.Getenv("MAILSTACK_CA")}
	if s.imapAddr == "" || s.smtpAddr == "" || s.caFile == "" {
		return nil, errors.New("the MAILSTACK_* variables are not set: run `bash scripts/mailstack.sh up` (as root) " +
			"and `eval \"$(bash scripts/mailstack.sh env)\"` first")
	}
	if _, err := os.Stat(s.script); err != nil {
		return nil, fmt.Errorf("%s not found: run the harness from the repository's root", s.script)
	}
	c, err := net.DialTimeout("tcp", s.imapAddr, 2*time.Second)
	if err != nil {
		return nil, fmt.Errorf("no Dovecot answering on %s: %v", s.imapAddr, err)
	}
	c.Close()
	return s, nil
}

// mailbox is a Dovecot user whose INBOX holds n generated messages and,
// newest of all, one marker message: the subject the harness waits for.
type mailbox struct {
	user, password, marker string
	n                      int
}

const benchPassword = "benchpw"

// markerSubject is the subject of the newest message of a folder of n
// generated messages: unique, ASCII, short enough for every client's
// subject column.
func markerSubject(n int) string { return fmt.Sprintf("bench-marker-%d-newest", n) }

// markerMessage is the marker message for to, dated date.
func markerMessage(to string, n int, date time.Time) []byte {
	return []byte("Date: " + date.Format(time.RFC1123Z) + "\r\n" +
		"From: Posta Bench <bench@posta.example>\r\n" +
		"To: " + to + "\r\n" +
		"Subject: " + markerSubject(n) + "\r\n" +
		"Message-ID: <bench-marker-" + strconv.Itoa(n) + "@posta.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
		"The newest message: the benchmark waits for its subject to be painted.\r\n")
}

// seed makes the user bench<n>@example.test with an INBOX of n messages
// from posta's demo generator plus the marker, written straight into its
// Maildir (about 1 KB each; UIDs in date order, INTERNALDATE = Date) and
// indexed by Dovecot before any client connects. A mailbox seeded the
// same way by an earlier run is kept.
func (s *mailstack) seed(n int) (mailbox, error) {
	box := mailbox{user: fmt.Sprintf("bench%d@example.test", n), password: benchPassword, marker: markerSubject(n), n: n}
	out, err := s.run("add-user", box.user, box.password)
	if err != nil {
		return box, err
	}
	maildir := strings.TrimSpace(out)
	stampPath := filepath.Join(filepath.Dir(maildir), "posta-bench-seed")
	stamp := fmt.Sprintf("%d messages from demo.Generator seed %d, then %q\n", n, demo.DefaultSeed, box.marker)
	if old, err := os.ReadFile(stampPath); err == nil && string(old) == stamp {
		if err := s.verify(box); err == nil {
			logf("Dovecot: %s already holds %d messages + marker", box.user, n)
			return box, nil
		}
	}
	start := time.Now()
	if err := os.RemoveAll(maildir); err != nil {
		return box, err
	}
	if err := writeMaildir(maildir, box, n); err != nil {
		return box, err
	}
	if _, err := s.run("index", box.user); err != nil {
		return box, err
	}
	if err := os.WriteFile(stampPath, []byte(stamp), 0o644); err != nil {
		return box, err
	}
	if err := s.verify(box); err != nil {
		return box, err
	}
	logf("Dovecot: seeded %s with %d messages + marker in %.1f s", box.user, n, time.Since(start).Seconds())
	return box, nil
}

// writeMaildir writes the folder's messages into a new Maildir, flags in
// the file names, modification times set to the Date (Dovecot's
// INTERNALDATE) and the time in the name, so that Dovecot, which numbers
// new files by that time, gives UIDs in date order.
func writeMaildir(maildir string, box mailbox, n int) error {
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, d), 0o700); err != nil {
			return err
		}
	}
	now := time.Now().Truncate(time.Second)
	g := demo.Generator{Seed: demo.DefaultSeed, Now: now.Add(-time.Minute), Total: n, Folder: "INBOX",
		Owner: "Bench <" + box.user + ">"}
	pid := os.Getpid()
	write := func(i int, raw []byte, date time.Time, flags string) error {
		lf := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
		name := fmt.Sprintf("%d.M%dP%d.posta-bench,S=%d,W=%d:2,%s", date.Unix(), i, pid, len(lf), len(raw), flags)
		path := filepath.Join(maildir, "cur", name)
		if err := os.WriteFile(path, lf, 0o600); err != nil {
			return err
		}
		return os.Chtimes(path, date, date)
	}
	for i := range n {
		m := g.Message(i)
		flags := ""
		if m.Flagged {
			flags += "F"
		}
		if m.Seen {
			flags += "S"
		}
		if err := write(i, m.Raw, m.Date, flags); err != nil {
			return err
		}
	}
	return write(n, markerMessage(box.user, n, now), now, "")
}

// verify logs in to Dovecot as the user and checks the INBOX holds n+1
// messages, the marker last.
func (s *mailstack) verify(box mailbox) error {
	pool, err := caPool(s.caFile)
	if err != nil {
		return err
	}
	c, err := imapclient.DialTLS(s.imapAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(box.user, box.password).Wait(); err != nil {
		return err
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return err
	}
	if int(sel.NumMessages) != box.n+1 {
		return fmt.Errorf("dovecot: %s's INBOX holds %d messages, want %d", box.user, sel.NumMessages, box.n+1)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(sel.NumMessages), &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		return err
	}
	if len(msgs) != 1 || msgs[0].Envelope == nil || msgs[0].Envelope.Subject != box.marker {
		return fmt.Errorf("dovecot: %s's last message is not the marker %q", box.user, box.marker)
	}
	return c.Logout().Wait()
}

// run runs a mailstack.sh subcommand and returns its standard output.
func (s *mailstack) run(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{s.script}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", s.script, args[0], err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}
