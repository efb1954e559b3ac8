package accounts

import (
	"time"

	"github.com/posta-mail/posta/protocols/pop3"
)

// popPolicy is an account's choice of when POP3 mail leaves the server:
// never (leave_on_server, the default), right after it is stored
// (leave_on_server = false), or delete_after_days after it was stored
// (which wins over leave_on_server).
type popPolicy struct {
	deleteStored bool // delete after download
	afterDays    int  // delete this many days after download; 0: never
	// now is the clock the age of local copies is measured with.
	now func() time.Time
}

// popPolicyFor reads an account's POP3 deletion policy from its
// configuration.
func popPolicyFor(cfg FetchConfig) popPolicy {
	p := popPolicy{now: time.Now}
	if cfg.DeleteAfterDays > 0 {
		p.afterDays = cfg.DeleteAfterDays
		return p
	}
	p.deleteStored = cfg.LeaveOnServer != nil && !*cfg.LeaveOnServer
	return p
}

// fetcherPolicy turns the policy into the fetcher's, given when each
// UIDL's local copy was stored (fsynced and indexed). Only UIDLs in
// stored are ever deleted among those already known.
func (p popPolicy) fetcherPolicy(stored map[string]time.Time) pop3.Policy {
	switch {
	case p.deleteStored:
		return pop3.Policy{DeleteStored: true, DeleteKnown: func(uid string) bool {
			_, ok := stored[uid]
			return ok
		}}
	case p.afterDays > 0:
		cutoff := p.now().Add(-time.Duration(p.afterDays) * 24 * time.Hour)
		return pop3.Policy{DeleteKnown: func(uid string) bool {
			at, ok := stored[uid]
			return ok && at.Before(cutoff)
		}}
	}
	return pop3.Policy{}
}
