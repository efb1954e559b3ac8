package cache

import (
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

func TestAddressesCompletesFromNamesAndAddresses(t *testing.T) {
	c := openTest(t, testOptions(t))
	h := func(uid string, from postamail.Address, to ...postamail.Address) postamail.Header {
		return postamail.Header{UID: uid, Folder: "INBOX", From: []postamail.Address{from}, To: to, Date: time.Unix(1700000000, 0)}
	}
	alice := postamail.Address{Name: "Alice Liddell", Addr: "alice@example.com"}
	albert := postamail.Address{Name: "Albert", Addr: "al@example.org"}
	bob := postamail.Address{Name: "Bob", Addr: "bob@example.net"}
	if err := c.PutHeaders("work", []postamail.Header{
		h("1", alice, bob), h("2", alice, bob), h("3", albert, bob), h("4", bob, alice),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Addresses("al", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Addr != "alice@example.com" || got[1].Addr != "al@example.org" {
		t.Errorf("Addresses(al) = %v, want alice (3 times) then albert", got)
	}
	if got, _ := c.Addresses("lidd", 10); len(got) != 1 || got[0].Addr != "alice@example.com" {
		t.Errorf("Addresses(lidd) = %v, want alice by her last name", got)
	}
	for _, hostile := range []string{"", `"`, "*", "NEAR(", "'; DROP TABLE messages; --"} {
		if _, err := c.Addresses(hostile, 10); err != nil {
			t.Errorf("Addresses(%q): %v", hostile, err)
		}
	}
}
