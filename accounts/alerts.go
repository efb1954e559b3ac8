package accounts

import (
	"sync"

	"github.com/posta-mail/posta/sanitize"
)

// serverAlerts keeps what an account's servers said to the user outside
// any answer (IMAP ALERTs and warnings, from every connection: the two
// lanes and Watch's), until a sync reports them (SyncReport.Alerts).
type serverAlerts struct {
	mu   sync.Mutex
	list []string
}

// maxKeptAlerts bounds the alerts waiting for a sync; later ones are
// dropped until one takes them.
const maxKeptAlerts = 8

// add keeps text, on one line and sanitized for a terminal, and reports
// whether it did (not when empty or maxKeptAlerts wait already). It is
// called on a connection's reading goroutine, and only takes a lock no
// one holds for long.
func (s *serverAlerts) add(text string) bool {
	line := sanitize.Line(text)
	if line == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.list) >= maxKeptAlerts {
		return false
	}
	s.list = append(s.list, line)
	return true
}

// keep is add for imap.Options.OnAlert.
func (s *serverAlerts) keep(text string) { s.add(text) }

// take returns the alerts kept, oldest first, and forgets them.
func (s *serverAlerts) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.list
	s.list = nil
	return l
}
