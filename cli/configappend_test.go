package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/discover"
)

// What discovery found goes into the comments of the account block, and
// a TOML comment may hold no control character but tab: a source or a
// note with a carriage return, an escape or a NUL (from DNS or a
// domain's document) must leave a configuration that still loads, and
// nothing raw for the terminal that shows the block.
func TestAccountBlockCommentsStayTOML(t *testing.T) {
	ac := accounts.AccountConfig{
		Name: "work", Address: "ann@work.example\x1b[2J",
		Fetch: accounts.FetchConfig{Kind: "imap", ServerConfig: accounts.ServerConfig{Host: "imap.work.example", Port: 993, Security: "tls", Username: "ann"}},
		SMTP:  accounts.ServerConfig{Host: "smtp.work.example", Port: 465, Security: "tls", Username: "ann"},
	}
	found := &discover.Result{
		Source: "autoconfig https://autoconfig.work.example/\r\x1b]0;pwned\x07 and more",
		Notes:  []string{"smtp server \x00smtp.work.example accepts only OAuth2.\x1b[31m"},
	}
	block := accountBlock(ac, found, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC))
	if i := strings.IndexFunc(block, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }); i >= 0 {
		t.Errorf("the block holds %q at %d:\n%s", block[i], i, block)
	}
	cfg, err := accounts.ParseConfig(block)
	if err != nil {
		t.Fatalf("the block does not load: %v\n%s", err, block)
	}
	if len(cfg.Accounts) != 1 || cfg.Accounts[0].Fetch.Host != "imap.work.example" {
		t.Errorf("loaded %+v", cfg.Accounts)
	}
}
