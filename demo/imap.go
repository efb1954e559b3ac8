package demo

import (
	"bytes"
	"crypto/tls"
	"sort"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// imapDelim is imapmemserver's hierarchy delimiter.
const imapDelim = '/'

// imapUser is an imapmemserver user plus the folder list with its
// special-use attributes, which imapmemserver cannot set itself.
type imapUser struct {
	name, password string
	mem            *imapmemserver.User

	mu      sync.Mutex
	folders map[string][]imap.MailboxAttr // name → special-use attributes
}

func newIMAPUser(name, password string) *imapUser {
	return &imapUser{name: name, password: password,
		mem:     imapmemserver.NewUser(name, password),
		folders: make(map[string][]imap.MailboxAttr)}
}

func (u *imapUser) create(name string, attrs ...imap.MailboxAttr) error {
	if err := u.mem.Create(name, nil); err != nil {
		return err
	}
	u.mu.Lock()
	u.folders[name] = attrs
	u.mu.Unlock()
	return nil
}

// appendRaw stores one message in a folder.
func (u *imapUser) appendRaw(folder string, g Generated) error {
	var flags []imap.Flag
	if g.Seen {
		flags = append(flags, imap.FlagSeen)
	}
	if g.Draft {
		flags = append(flags, imap.FlagDraft)
	}
	if g.Flagged {
		flags = append(flags, imap.FlagFlagged)
	}
	_, err := u.mem.Append(folder, literal{bytes.NewReader(g.Raw)}, &imap.AppendOptions{Flags: flags, Time: g.Date})
	return err
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return l.Reader.Size() }

// imapSession overrides login and the folder commands of
// imapmemserver.UserSession so that LIST returns special-use attributes.
type imapSession struct {
	*imapmemserver.UserSession
	users map[string]*imapUser
	user  *imapUser
}

var _ imapserver.SessionIMAP4rev2 = (*imapSession)(nil)

func (s *imapSession) Login(username, password string) error {
	u, ok := s.users[username]
	if !ok {
		return imapserver.ErrAuthFailed
	}
	if err := u.mem.Login(username, password); err != nil {
		return err
	}
	s.user = u
	s.UserSession = imapmemserver.NewUserSession(u.mem)
	return nil
}

func (s *imapSession) Close() error {
	if s.UserSession == nil {
		return nil
	}
	return s.UserSession.Close()
}

func (s *imapSession) Create(name string, options *imap.CreateOptions) error {
	var attrs []imap.MailboxAttr
	if options != nil {
		attrs = options.SpecialUse
	}
	return s.user.create(name, attrs...)
}

func (s *imapSession) Delete(name string) error {
	if err := s.UserSession.Delete(name); err != nil {
		return err
	}
	s.user.mu.Lock()
	delete(s.user.folders, name)
	s.user.mu.Unlock()
	return nil
}

func (s *imapSession) Rename(name, newName string, options *imap.RenameOptions) error {
	if err := s.UserSession.Rename(name, newName, options); err != nil {
		return err
	}
	s.user.mu.Lock()
	s.user.folders[newName] = s.user.folders[name]
	delete(s.user.folders, name)
	s.user.mu.Unlock()
	return nil
}

// List answers LIST from the folder registry. Special-use attributes are
// always included (RFC 6154 permits it), and RETURN (STATUS) is honoured.
func (s *imapSession) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 {
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: imapDelim})
	}
	s.user.mu.Lock()
	var names []string
	attrs := make(map[string][]imap.MailboxAttr)
	for name, a := range s.user.folders {
		for _, p := range patterns {
			if imapserver.MatchList(name, imapDelim, ref, p) {
				names = append(names, name)
				attrs[name] = a
				break
			}
		}
	}
	s.user.mu.Unlock()
	sort.Strings(names)
	for _, name := range names {
		if options.SelectSpecialUse && len(attrs[name]) == 0 {
			continue
		}
		data := imap.ListData{Mailbox: name, Delim: imapDelim, Attrs: append([]imap.MailboxAttr(nil), attrs[name]...)}
		if options.ReturnStatus != nil {
			st, err := s.user.mem.Status(name, options.ReturnStatus)
			if err != nil {
				continue // deleted meanwhile
			}
			data.Status = st
		}
		if err := w.WriteList(&data); err != nil {
			return err
		}
	}
	return nil
}

// newIMAPServer returns an IMAP server for users, offering STARTTLS with
// tlsConfig on plain listeners.
func newIMAPServer(users map[string]*imapUser, tlsConfig *tls.Config) *imapserver.Server {
	return imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{users: users}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {},
			imap.CapSpecialUse: {}, imap.CapCreateSpecialUse: {},
		},
		TLSConfig: tlsConfig,
		Logger:    discardLogger{},
	})
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
