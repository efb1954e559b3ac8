package oauth

import (
	"slices"
	"strings"
	"testing"
)

func TestPresets(t *testing.T) {
	tests := []struct {
		provider, authHost, scope string
	}{
		{"gmail", "accounts.google.com", "https://mail.google.com/"},
		{"microsoft", "login.microsoftonline.com", "https://outlook.office.com/IMAP.AccessAsUser.All"},
		{"Microsoft", "login.microsoftonline.com", "offline_access"},
	}
	for _, tt := range tests {
		t.Run(tt.provider, func(t *testing.T) {
			cfg, p, err := Settings{Provider: tt.provider, ClientID: "id"}.Config()
			if err != nil {
				t.Fatalf("Config() = %v", err)
			}
			if !strings.Contains(cfg.Endpoint.AuthURL, tt.authHost) || !strings.HasPrefix(cfg.Endpoint.TokenURL, "https://") {
				t.Errorf("endpoints %s %s, want %s over https", cfg.Endpoint.AuthURL, cfg.Endpoint.TokenURL, tt.authHost)
			}
			if !slices.Contains(cfg.Scopes, tt.scope) {
				t.Errorf("scopes %v lack %s", cfg.Scopes, tt.scope)
			}
			if p.Mechanism != "xoauth2" {
				t.Errorf("mechanism %q, want xoauth2", p.Mechanism)
			}
		})
	}
}

func TestSettingsProblems(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		keys []string
	}{
		{"preset needs a client id", Settings{Provider: "gmail"}, []string{"oauth2_client_id"}},
		{"unknown provider", Settings{Provider: "yahoo", ClientID: "x"}, []string{"oauth2_provider"}},
		{"custom needs endpoints and scopes", Settings{Provider: "custom", ClientID: "x"}, []string{"oauth2_auth_url", "oauth2_scopes", "oauth2_token_url"}},
		{"plain http to another host", Settings{Provider: "custom", ClientID: "x", AuthURL: "http://idp.example/a", TokenURL: "https://idp.example/t", Scopes: []string{"s"}}, []string{"oauth2_auth_url"}},
		{"custom complete, loopback http", Settings{Provider: "custom", ClientID: "x", AuthURL: "http://127.0.0.1:9/a", TokenURL: "https://idp.example/t", Scopes: []string{"s"}}, nil},
		{"preset with overridden scopes", Settings{Provider: "microsoft", ClientID: "x", Scopes: []string{"offline_access"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var keys []string
			for k := range tt.s.Problems() {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("Problems() keys = %v, want %v", keys, tt.keys)
			}
		})
	}
}
