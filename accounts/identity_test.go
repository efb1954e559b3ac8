package accounts

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
)

// identityAccount opens an account with two more identities; nothing
// connects.
func identityAccount(t *testing.T) *Account {
	t.Helper()
	dir := t.TempDir()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "c"), DataDir: filepath.Join(dir, "d"), ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg := &Config{Accounts: []AccountConfig{{
		Name: "work", Address: "alice@work.example", DisplayName: "Alice", Signature: "Alice",
		Identities: []IdentityConfig{
			{Address: "sales@work.example", DisplayName: "Sales", Signature: "The sales team", SentFolder: "Sales/Sent"},
			{Address: "Alice.Private@Home.example"},
		},
		Fetch: FetchConfig{Kind: "imap", ServerConfig: ServerConfig{Host: "imap.invalid", Password: "x"}},
		SMTP:  ServerConfig{Host: "smtp.invalid", Password: "x"},
	}}}
	set, err := Open(cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return set.Accounts[0]
}

func TestIdentities(t *testing.T) {
	a := identityAccount(t)
	ids := a.Identities()
	var got []string
	for _, id := range ids {
		got = append(got, id.From())
	}
	want := []string{"Alice <alice@work.example>", "Sales <sales@work.example>", "Alice.Private@Home.example"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Identities() = %q, want %q", got, want)
	}
	if got := (Identity{DisplayName: `Alice (info desk), "A"`, Address: "info@x.example"}).From(); got != `"Alice (info desk), \"A\"" <info@x.example>` {
		t.Errorf("From() of a name with parentheses, a comma and quotes = %s, want it quoted", got)
	}
	if id, err := a.Identity("SALES@work.example"); err != nil || id.Signature != "The sales team" || id.SentFolder != "Sales/Sent" {
		t.Errorf("Identity(SALES@work.example) = %+v, %v; want the sales identity", id, err)
	}
	if id, err := a.Identity(`Someone <alice.private@home.example>`); err != nil || id.Address != "Alice.Private@Home.example" {
		t.Errorf("Identity(Name <addr>) = %+v, %v; want the private identity", id, err)
	}
	_, err := a.Identity("bob@home.example")
	if err == nil || !strings.Contains(err.Error(), "alice@work.example, sales@work.example, Alice.Private@Home.example") {
		t.Errorf("Identity(unknown) error = %v, want one naming the identities", err)
	}
}

func TestReplyIdentity(t *testing.T) {
	a := identityAccount(t)
	tests := []struct {
		name, header, want string
	}{
		{"to an identity", "To: Sales <SALES@work.example>\r\n", "sales@work.example"},
		{"cc an identity", "To: list@lists.example\r\nCc: x@y.example, alice.private@home.EXAMPLE\r\n", "Alice.Private@Home.example"},
		{"delivered to an identity", "To: list@lists.example\r\nDelivered-To: sales@work.example\r\n", "sales@work.example"},
		{"to comes before delivered-to", "To: alice@work.example\r\nDelivered-To: sales@work.example\r\n", "alice@work.example"},
		{"to nobody of ours", "To: list@lists.example\r\n", "alice@work.example"},
		{"no header at all", "", "alice@work.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte("From: bob@home.example\r\n" + tt.header + "Subject: hi\r\n\r\nbody\r\n")
			if got := a.ReplyIdentity(raw); got.Address != tt.want {
				t.Errorf("ReplyIdentity() = %s, want %s", got.Address, tt.want)
			}
		})
	}
}

// TestIdentitySMTPAndSentFolder: an identity with its own SMTP server
// sends through it (the account's is down here), and its Sent copy goes
// to its sent_folder; the account's own address still uses the account's
// server (and so stays queued).
func TestIdentitySMTPAndSentFolder(t *testing.T) {
	f := startDemoFixture(t, 2)
	good := f.cfg.Accounts[0].SMTP
	f.cfg.Accounts[0].SMTP.Host, f.cfg.Accounts[0].SMTP.Port = deadAddr(t)
	f.cfg.Accounts[0].Identities = []IdentityConfig{{Address: "sales@work.example", SMTP: good, SentFolder: "Archive"}}
	set := f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	subject := fmt.Sprintf("from sales %d", time.Now().UnixNano())
	raw := []byte("From: sales@work.example\r\nTo: bob@home.example\r\nSubject: " + subject + "\r\n\r\nhello\r\n")
	if err := work.Send(ctx, "sales@work.example", []string{"bob@home.example"}, raw); err != nil {
		t.Fatalf("Send() from the identity with its own server: %v", err)
	}
	var queued *QueuedError
	if err := work.Send(ctx, "alice@work.example", []string{"bob@home.example"}, raw); !errors.As(err, &queued) {
		t.Fatalf("Send() from the account's address (its server down): error = %v, want *QueuedError", err)
	}
	home, _ := set.Get("home")
	if _, err := home.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := countSubject(t, set, "home", "INBOX", subject); n != 1 {
		t.Errorf("home received the identity's message %d times, want once", n)
	}
	// The account's own message fails again in this sync (its server is
	// down); only the folders matter here.
	work.SyncWith(ctx, SyncOptions{Full: true})
	if n := countSubject(t, set, "work", "Archive", subject); n != 1 {
		t.Errorf("the identity's sent_folder (Archive) has %d copies, want 1", n)
	}
	if n := countSubject(t, set, "work", "Sent", subject); n != 0 {
		t.Errorf("Sent has %d copies of the identity's message, want 0 (it has a sent_folder)", n)
	}
}

func countSubject(t *testing.T, set *Set, account, folder, subject string) int {
	t.Helper()
	msgs, err := set.cache.List(cache.Query{Account: account, Folder: folder})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

// TestCheckIdentitySMTP: config check logs in to an identity's own SMTP
// server too, and names the identity when it fails.
func TestCheckIdentitySMTP(t *testing.T) {
	f := startDemoFixture(t, 1)
	cfg := f.cfg.Accounts[0]
	good := cfg.SMTP
	cfg.Identities = []IdentityConfig{{Address: "sales@work.example", SMTP: good}}
	if _, send := CheckAccount(context.Background(), cfg); send != nil {
		t.Fatalf("CheckAccount() send = %v, want nil", send)
	}
	bad := good
	bad.Password = "n0t-the-pa55"
	cfg.Identities = []IdentityConfig{{Address: "sales@work.example", SMTP: bad}}
	_, send := CheckAccount(context.Background(), cfg)
	if send == nil || !strings.Contains(send.Error(), "identity sales@work.example") || strings.Contains(send.Error(), "n0t-the-pa55") {
		t.Errorf("CheckAccount() with an identity's wrong password: send = %v, want an error naming the identity, without the password", send)
	}
}
