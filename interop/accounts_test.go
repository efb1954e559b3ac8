//go:build interop

package interop

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/accounts"
)

// serverConfig points a posta server configuration at addr, trusting
// only the stack's CA (MAILSTACK_CA).
func serverConfig(t *testing.T, addr, security, user, pass string) accounts.ServerConfig {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("bad address %q: %v", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("bad port in %q: %v", addr, err)
	}
	return accounts.ServerConfig{Host: host, Port: port, Security: security, Username: user,
		Password: pass, CAFile: os.Getenv("MAILSTACK_CA")}
}

// imapAccount is alice (IMAPS, submission with STARTTLS) restricted to
// the given folders.
func (s *stack) imapAccount(t *testing.T, folders ...string) accounts.AccountConfig {
	t.Helper()
	return accounts.AccountConfig{
		Name: "alice", Address: alice, DisplayName: "Alice",
		Fetch: accounts.FetchConfig{Kind: "imap", Folders: folders,
			ServerConfig: serverConfig(t, s.imapTLS, "tls", alice, alicePass)},
		SMTP: serverConfig(t, s.submission, "starttls", alice, alicePass),
	}
}

// pop3Account is bob over POP3S.
func (s *stack) pop3Account(t *testing.T, leaveOnServer bool) accounts.AccountConfig {
	t.Helper()
	return accounts.AccountConfig{
		Name: "bob", Address: bob, DisplayName: "Bob",
		Fetch: accounts.FetchConfig{Kind: "pop3", LeaveOnServer: &leaveOnServer,
			ServerConfig: serverConfig(t, s.pop3TLS, "tls", bob, bobPass)},
		SMTP: serverConfig(t, s.submission, "starttls", bob, bobPass),
	}
}

// openAccounts opens a posta cache in dir (a fresh one per test unless
// the test reuses dir) and the accounts of cfgs over it.
func openAccounts(t *testing.T, dir string, cfgs ...accounts.AccountConfig) *accounts.Set {
	t.Helper()
	set, _ := openAccountsCache(t, dir, cfgs...)
	return set
}

// openAccountsCache is openAccounts also returning the cache, for tests
// that check what it stores below what accounts shows.
func openAccountsCache(t *testing.T, dir string, cfgs ...accounts.AccountConfig) (*accounts.Set, *accounts.Cache) {
	t.Helper()
	c, err := accounts.OpenCache(filepath.Join(dir, "cache"), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := accounts.Open(&accounts.Config{Accounts: cfgs}, c)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close(); c.Close() })
	return set, c
}

// cachedSubjects counts the cached messages of an account's folder by
// subject.
func cachedSubjects(t *testing.T, set *accounts.Set, account, folder string) map[string]int {
	t.Helper()
	msgs, err := set.List(account, folder, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int)
	for _, m := range msgs {
		out[m.Subject]++
	}
	return out
}

// cachedBySubject returns the one cached message with subject.
func cachedBySubject(t *testing.T, set *accounts.Set, account, folder, subject string) accounts.Message {
	t.Helper()
	msgs, err := set.List(account, folder, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Subject == subject {
			return m
		}
	}
	t.Fatalf("no cached message %q in %s/%s (%d cached)", subject, account, folder, len(msgs))
	return accounts.Message{}
}

// rawIMAP is a second IMAP client (go-imap directly), standing for
// another mail program working on the same mailbox.
func (s *stack) rawIMAP(t *testing.T, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.imapTLS, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.roots}})
	if err != nil {
		t.Fatalf("second client: dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("second client: login: %v", err)
	}
	return c
}

// appendRaw appends messages with the given subjects to folder through c.
func appendRaw(t *testing.T, c *imapclient.Client, folder string, subjects ...string) {
	t.Helper()
	for _, subj := range subjects {
		raw := "From: Alice <" + alice + ">\r\nTo: <" + alice + ">\r\nSubject: " + subj +
			"\r\nMessage-ID: <" + strings.ReplaceAll(subj, " ", ".") + "@example.test>\r\nDate: " +
			time.Now().Format(time.RFC1123Z) + "\r\n\r\nbody of " + subj + "\r\n"
		cmd := c.Append(folder, int64(len(raw)), nil)
		if _, err := cmd.Write([]byte(raw)); err != nil {
			t.Fatalf("append to %s: %v", folder, err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatalf("append to %s: %v", folder, err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append to %s: %v", folder, err)
		}
	}
}

func uidValidity(t *testing.T, c *imapclient.Client, folder string) uint32 {
	t.Helper()
	st, err := c.Status(folder, &goimap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS %s: %v", folder, err)
	}
	return st.UIDValidity
}

// mailstack runs a verb of scripts/mailstack.sh against the running stack.
func mailstack(t *testing.T, verb string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "mailstack.sh"), verb)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mailstack.sh %s: %v\n%s", verb, err, out)
	}
}

func uniqueName(t *testing.T, prefix string) string {
	t.Helper()
	return prefix + strconv.FormatInt(time.Now().UnixNano(), 36)
}
