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

func TestMessagesByIDAndSortByDate(t *testing.T) {
	c := openTest(t, testOptions(t))
	if err := c.PutHeaders("a", []postamail.Header{
		header("INBOX", "1", time.Unix(100, 0)), header("INBOX", "2", time.Unix(300, 0)), header("INBOX", "3", time.Unix(200, 0)),
	}); err != nil {
		t.Fatal(err)
	}
	all, _ := c.List(Query{Account: "a"})
	ids := map[string]int64{}
	for _, m := range all {
		ids[m.UID] = m.ID
	}
	sorted, err := c.SortByDate([]int64{ids["1"], ids["3"], ids["2"], 999999})
	if err != nil {
		t.Fatal(err)
	}
	if len(sorted) != 3 || sorted[0] != ids["2"] || sorted[1] != ids["3"] || sorted[2] != ids["1"] {
		t.Errorf("SortByDate = %v, want uids 2, 3, 1", sorted)
	}
	msgs, err := c.MessagesByID([]int64{ids["3"], ids["1"]})
	if err != nil || len(msgs) != 2 || msgs[0].UID != "3" || msgs[1].UID != "1" {
		t.Errorf("MessagesByID = %v, %v; want uids 3 then 1", msgs, err)
	}
}
