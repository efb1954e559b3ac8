package keymap

import (
	"strings"
	"testing"
)

func TestDefaultsHaveNoConflicts(t *testing.T) {
	if _, problems := Build(nil); len(problems) != 0 {
		t.Fatalf("default bindings conflict: %v", problems)
	}
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name      string
		overrides map[string]map[string][]string
		wantPath  string
		wantMsg   string
		check     func(t *testing.T, m Map)
	}{
		{name: "rebind", overrides: map[string]map[string][]string{"index": {"compose": {"c"}}},
			check: func(t *testing.T, m Map) {
				if got := m.Action(Index, "compose").Keys; len(got) != 1 || got[0] != "c" {
					t.Errorf("compose keys = %v, want [c]", got)
				}
			}},
		{name: "unknown context", overrides: map[string]map[string][]string{"inbox": {"compose": {"c"}}},
			wantPath: "keys.inbox", wantMsg: "unknown context"},
		{name: "unknown action", overrides: map[string]map[string][]string{"index": {"explode": {"x"}}},
			wantPath: "keys.index.explode", wantMsg: "unknown action"},
		{name: "empty", overrides: map[string]map[string][]string{"pager": {"back": {}}},
			wantPath: "keys.pager.back", wantMsg: "no keys"},
		{name: "conflict in a context", overrides: map[string]map[string][]string{"index": {"compose": {"d"}}},
			wantMsg: `key "d" is also bound to`},
		{name: "conflict index and sidebar", overrides: map[string]map[string][]string{"sidebar": {"next_account": {"j"}}},
			wantMsg: `key "j" is also bound to index.down`},
		{name: "same key in two scopes is fine", overrides: map[string]map[string][]string{"pager": {"back": {"x"}}, "compose": {"discard": {"z"}}, "index": {"sync": {"z"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, problems := Build(tt.overrides)
			if tt.wantMsg == "" && tt.wantPath == "" {
				if len(problems) != 0 {
					t.Fatalf("problems = %v, want none", problems)
				}
			} else {
				found := false
				for _, p := range problems {
					if (tt.wantPath == "" || p.Path == tt.wantPath) && strings.Contains(p.Message, tt.wantMsg) {
						found = true
					}
				}
				if !found {
					t.Fatalf("problems = %v, want one at %q containing %q", problems, tt.wantPath, tt.wantMsg)
				}
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}
