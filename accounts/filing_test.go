package accounts

import (
	"context"
	"errors"
	"testing"

	"github.com/posta-mail/posta/protocols"
)

// noAppendFetcher is a server-side mailbox (not POP3) that cannot store
// messages: it has no Append. Only Caps is ever called.
type noAppendFetcher struct{ protocols.Fetcher }

func (noAppendFetcher) Caps() protocols.Caps { return protocols.Caps{Folders: true, ServerFlags: true} }

// noAppendAccount is an account of cfg over noAppendFetchers.
func noAppendAccount(cfg AccountConfig) *Account {
	bg, fg := newLanes(func() protocols.Fetcher { return noAppendFetcher{} })
	return &Account{cfg: cfg, caps: bg.f.Caps(), bg: bg, fg: fg}
}

func TestKeepSentWithoutAppend(t *testing.T) {
	no := false
	tests := []struct {
		name       string
		appendSent *bool
		wantErr    error
	}{
		{"append_sent unset", nil, errNoAppend},
		{"append_sent = false", &no, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := noAppendAccount(AccountConfig{Name: "work", Fetch: FetchConfig{Kind: "imap", AppendSent: tt.appendSent}})
			err := a.keepSent(context.Background(), Identity{}, []byte("Subject: hi\r\n\r\nhello\r\n"))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("keepSent() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestSaveDraftWithoutAppend(t *testing.T) {
	a := noAppendAccount(AccountConfig{Name: "work", Fetch: FetchConfig{Kind: "imap"}})
	err := a.SaveDraft(context.Background(), []byte("Subject: later\r\n\r\ndraft\r\n"))
	if !errors.Is(err, errNoAppend) {
		t.Errorf("SaveDraft() = %v, want %v", err, errNoAppend)
	}
}
