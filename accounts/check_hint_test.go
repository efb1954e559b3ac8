package accounts

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCheckNamesTheFix checks that posta config check gives the same
// hint as posta sync: security = "tls" on a STARTTLS port fails the
// handshake and should say to try starttls (issue 17, bug 6).
func TestCheckNamesTheFix(t *testing.T) {
	f := startDemoFixture(t, 1)
	ac := f.cfg.Accounts[0]
	ac.Fetch.Host, ac.Fetch.Port = splitFixtureAddr(t, f.srv.IMAPStartTLSAddr)
	ac.Fetch.Security = "tls"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fetch, _ := CheckAccount(ctx, ac)
	if fetch == nil {
		t.Fatal("CheckAccount: no error for TLS on a STARTTLS port")
	}
	if !strings.Contains(fetch.Error(), `try security = "starttls"`) {
		t.Errorf("CheckAccount error = %q, want the hint to try starttls", fetch)
	}
	// The caller names the account and the server: the error must not
	// repeat them.
	if strings.HasPrefix(fetch.Error(), ac.Name+":") {
		t.Errorf("CheckAccount error = %q repeats the account name", fetch)
	}
}
