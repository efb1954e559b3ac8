package demo

import (
	"bytes"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// extraFolders are alice's folders besides INBOX, with their special use
// and whether their mail was written by her.
var extraFolders = []struct {
	name     string
	attr     imap.MailboxAttr
	outgoing bool
	count    int
}{
	{"Sent", imap.MailboxAttrSent, true, 12},
	{"Drafts", imap.MailboxAttrDrafts, true, 4},
	{"Trash", imap.MailboxAttrTrash, false, 6},
	{"Archive", imap.MailboxAttrArchive, false, 15},
	{"Projects/posta", "", false, 8},
}

// seed creates alice's folders and fills them and bob's maildrop.
func (s *Servers) seed(opts Options) error {
	now := time.Now()
	alice, bob := s.Accounts[0], s.Accounts[1]
	u := s.imapUsers[alice.Username]
	if err := u.create("INBOX"); err != nil {
		return fmt.Errorf("demo: create INBOX: %w", err)
	}
	if err := u.create("Projects"); err != nil {
		return fmt.Errorf("demo: create Projects: %w", err)
	}
	// Bob's maildrop is filled on the side: big seeds use both cores.
	pop3Done := make(chan error, 1)
	go func() {
		g := Generator{Seed: opts.Seed, Now: now, Total: opts.Messages, Folder: "bob-INBOX", Owner: "Bob <" + bob.Address + ">"}
		for i := 0; i < g.Total; i++ {
			if _, err := s.POP3.Deliver(bob.Username, g.Message(i).Raw); err != nil {
				pop3Done <- fmt.Errorf("demo: seed POP3: %w", err)
				return
			}
		}
		pop3Done <- nil
	}()
	owner := "Alice Example <" + alice.Address + ">"
	fill := func(folder string, g Generator) error {
		for i := 0; i < g.Total; i++ {
			if err := u.appendRaw(folder, g.Message(i)); err != nil {
				return fmt.Errorf("demo: seed %s: %w", folder, err)
			}
		}
		return nil
	}
	if err := fill("INBOX", Generator{Seed: opts.Seed, Now: now, Total: opts.Messages, Folder: "INBOX", Owner: owner}); err != nil {
		return err
	}
	for _, f := range extraFolders {
		var attrs []imap.MailboxAttr
		if f.attr != "" {
			attrs = append(attrs, f.attr)
		}
		if err := u.create(f.name, attrs...); err != nil {
			return fmt.Errorf("demo: create %s: %w", f.name, err)
		}
		g := Generator{Seed: opts.Seed, Now: now, Total: f.count, Folder: f.name, Owner: owner,
			Outgoing: f.outgoing, Drafts: f.attr == imap.MailboxAttrDrafts}
		if err := fill(f.name, g); err != nil {
			return err
		}
	}
	return <-pop3Done
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
