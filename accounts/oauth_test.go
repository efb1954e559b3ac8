package accounts

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestOAuth2TokenRefusedIsFetchedAnew logs in to POP3 with XOAUTH2 and a
// token command whose first token the server refuses: posta must run the
// command again, log in with the fresh token, and keep it for the next
// login instead of running the command every time.
func TestOAuth2TokenRefusedIsFetchedAnew(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the token command is a shell script")
	}
	f := startDemoFixture(t, 3)
	var mu sync.Mutex
	var seen []string
	f.srv.POP3.AcceptToken = func(user, token string) bool {
		mu.Lock()
		seen = append(seen, token)
		mu.Unlock()
		return user == "bob" && token == "fresh-token"
	}
	dir := t.TempDir()
	counter := filepath.Join(dir, "runs")
	script := filepath.Join(dir, "token.sh")
	// First run prints a stale token, later runs a fresh one.
	body := "#!/bin/sh\necho run >> " + counter + "\nif [ $(wc -l < " + counter + ") -eq 1 ]; then echo stale-token; else echo fresh-token; fi\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	home := &f.cfg.Accounts[1].Fetch
	home.Auth = "xoauth2"
	home.Password = ""
	home.OAuth2TokenCommand = []string{script}
	set := f.open(t)
	a, _ := set.Get("home")
	if _, err := a.Sync(context.Background(), nil); err != nil {
		t.Fatalf("Sync with a refused first token: %v", err)
	}
	if n, _ := a.Count("INBOX"); n != 3 {
		t.Errorf("INBOX has %d messages, want 3", n)
	}
	if _, err := a.Sync(context.Background(), nil); err != nil {
		t.Fatalf("second Sync: %v", err)
	}
	runs, _ := os.ReadFile(counter)
	if got := strings.Count(string(runs), "run"); got != 2 {
		t.Errorf("token command ran %d times, want 2 (stale, then fresh kept for the next login)", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || seen[0] != "stale-token" || seen[1] != "fresh-token" || seen[2] != "fresh-token" {
		t.Errorf("server saw tokens %v, want stale, fresh, fresh", seen)
	}
}
