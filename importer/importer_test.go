package importer

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// summary is an account in one line, for comparisons.
func summary(a Account) string {
	f, o := a.Fetch, a.SMTP
	return strings.Join([]string{
		a.Name, a.DisplayName, a.Address,
		f.Kind, f.Host, itoa(f.Port), f.Security, f.Username, f.Auth, strings.Join(f.PasswordCommand, " "), a.FetchPassword,
		o.Host, itoa(o.Port), o.Security, o.Username, o.Auth, strings.Join(o.PasswordCommand, " "), a.SMTPPassword,
	}, "|")
}

func itoa(n int) string { return strconv.Itoa(n) }

func check(t *testing.T, got []Account, want []string) {
	t.Helper()
	if len(got) != len(want) {
		for _, a := range got {
			t.Logf("%s", summary(a))
		}
		t.Fatalf("got %d accounts, want %d", len(got), len(want))
	}
	for i := range want {
		if s := summary(got[i]); s != want[i] {
			t.Errorf("account %d =\n  %s\nwant\n  %s", i, s, want[i])
		}
	}
}

func TestAerc(t *testing.T) {
	f, err := os.Open("testdata/aerc-accounts.conf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, skipped, err := Aerc(f)
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, []string{
		"work|Alice Liddell|alice@work.example|imap|imap.work.example|993|tls|alice@work.example||sh -c pass show mail/work||smtp.work.example|587|starttls|alice@work.example||sh -c pass show mail/work|",
		"personal|Alice|alice@example.org|imap|mail.example.org|993|tls|alice|||hunter2|mail.example.org|465|tls|alice|login||hunter2",
		"gmail|Alice|alice@gmail.com|imap|imap.gmail.com|993|tls|alice@gmail.com|oauthbearer|||smtp.gmail.com|465|tls|alice@gmail.com|oauthbearer||",
		"lists||alice@lists.example|imap|imap.lists.example|993|tls|alice@lists.example|||||0|||||",
	})
	if len(skipped) != 1 || !strings.Contains(skipped[0], "[Local]") {
		t.Errorf("skipped = %q, want [Local]", skipped)
	}
	if len(got[2].Notes) == 0 || len(got[3].Notes) == 0 {
		t.Errorf("the OAuth2 account or the one sending with msmtp has no note")
	}
}

func TestNeomuttFollowsSource(t *testing.T) {
	got, err := Neomutt("testdata/neomutt/neomuttrc", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, []string{
		"home|Bob Example|bob@home.example|imap|imap.home.example|993|tls|bob||sh -c pass show mail/home||smtp.home.example|465|tls|bob||sh -c pass show mail/home|",
	})
}

func TestNeomuttPOP(t *testing.T) {
	got, err := Neomutt("testdata/muttrc-pop", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	check(t, got, []string{
		"pop|Carol|carol@pop.example|pop3|pop.pop.example|995|tls|carol|||clear-secret|smtp.pop.example|587|starttls|carol|||clear-secret",
	})
}

func TestHimalaya(t *testing.T) {
	for _, tt := range []struct {
		file    string
		want    []string
		skipped int
	}{
		{"testdata/himalaya.toml", []string{
			"work|Dana|dana@work.example|imap|imap.work.example|993|tls|dana||sh -c pass show work||smtp.work.example|587|starttls|dana|||raw-secret",
		}, 1},
		{"testdata/himalaya-old.toml", []string{
			"erin|Erin|erin@old.example|imap|imap.old.example|993|tls|erin||sh -c pass show old||smtp.old.example|587|starttls|erin||sh -c pass show old|",
		}, 0},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, skipped, err := Himalaya(string(data))
			if err != nil {
				t.Fatal(err)
			}
			check(t, got, tt.want)
			if len(skipped) != tt.skipped {
				t.Errorf("skipped = %q", skipped)
			}
		})
	}
}

func TestMuttWords(t *testing.T) {
	w := muttWords(`set imap_pass="` + "`pass show x`" + `" # comment`)
	if len(w) != 4 || w[1].text != "imap_pass" || !w[3].command || w[3].text != "pass show x" {
		t.Errorf("muttWords = %+v", w)
	}
}
