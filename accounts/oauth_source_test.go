package accounts

import (
	"strings"
	"testing"
)

const oauthConfigHead = `
[[account]]
name = "gmail"
address = "me@gmail.example"

[account.smtp]
host = "smtp.gmail.example"
port = 465
`

func TestOAuth2ProviderConfig(t *testing.T) {
	tests := []struct {
		name     string
		fetch    string
		wantAuth string
		problems []string // substrings, one per expected problem
	}{
		{"gmail preset sets xoauth2", `oauth2_provider = "gmail"
oauth2_client_id = "id.apps"`, "xoauth2", nil},
		{"explicit oauthbearer kept", `oauth2_provider = "microsoft"
oauth2_client_id = "id"
auth = "oauthbearer"`, "oauthbearer", nil},
		{"missing client id", `oauth2_provider = "gmail"`, "", []string{"fetch.oauth2_client_id"}},
		{"unknown provider", `oauth2_provider = "aol"
oauth2_client_id = "id"`, "", []string{"fetch.oauth2_provider"}},
		{"password auth with provider", `oauth2_provider = "gmail"
oauth2_client_id = "id"
auth = "plain"`, "", []string{"fetch.auth"}},
		{"provider and token command", `oauth2_provider = "gmail"
oauth2_client_id = "id"
oauth2_token_command = ["tok"]`, "", []string{"fetch.oauth2_token_command"}},
		{"custom without endpoints", `oauth2_provider = "custom"
oauth2_client_id = "id"`, "", []string{"fetch.oauth2_auth_url", "fetch.oauth2_scopes", "fetch.oauth2_token_url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := oauthConfigHead + "\n[account.fetch]\nkind = \"imap\"\nhost = \"imap.gmail.example\"\nport = 993\n" + tt.fetch + "\n"
			cfg, err := ParseConfig(text)
			if tt.problems == nil {
				if err != nil {
					t.Fatalf("ParseConfig() = %v", err)
				}
				if got := cfg.Accounts[0].Fetch.Auth; got != tt.wantAuth {
					t.Errorf("fetch auth = %q, want %q", got, tt.wantAuth)
				}
				if s, ok := cfg.Accounts[0].OAuth2Server(); !ok || s != &cfg.Accounts[0].Fetch.ServerConfig {
					t.Error("OAuth2Server() does not return the fetch server")
				}
				return
			}
			if err == nil {
				t.Fatal("ParseConfig() = nil, want problems")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.problems) {
				t.Errorf("ParseConfig() = %d problems, want %d:\n%v", len(lines), len(tt.problems), err)
			}
			for _, want := range tt.problems {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("ParseConfig() = %v, want a problem with %s", err, want)
				}
			}
		})
	}
}
