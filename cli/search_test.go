package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func (e *env) search(args ...string) []messageJSON {
	e.t.Helper()
	out := e.mustRun("", append([]string{"search", "--json"}, args...)...)
	var rows []messageJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		e.t.Fatalf("search --json: %v\n%s", err, out)
	}
	return rows
}

func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

func ids(rows []messageJSON) []int64 {
	out := make([]int64, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// senderAddr is the bare address of a row's From.
func senderAddr(r messageJSON) string {
	if i := strings.LastIndexByte(r.From, '<'); i >= 0 {
		return strings.TrimSuffix(r.From[i+1:], ">")
	}
	return r.From
}

func TestSearchAcrossAccounts(t *testing.T) {
	e := newEnv(t, 30)
	e.mustRun("", "sync")
	all := e.list()

	// A word of a subject that is in no address and not in every subject.
	inAddress := map[string]bool{}
	for _, r := range all {
		for _, a := range append(append([]string{r.From}, r.To...), r.Cc...) {
			for _, w := range words(a) {
				inAddress[w] = true
			}
		}
	}
	var word string
	var want []messageJSON
	for _, r := range all {
		for _, w := range words(r.Subject) {
			if len(w) < 4 || inAddress[w] || word != "" {
				continue
			}
			var hits []messageJSON
			for _, s := range all {
				if slices.Contains(words(s.Subject), w) {
					hits = append(hits, s)
				}
			}
			if len(hits) < len(all) {
				word, want = w, hits
			}
		}
	}
	if word == "" {
		t.Fatalf("no usable subject word in %d messages", len(all))
	}
	accounts := map[string]bool{}
	for _, r := range want {
		accounts[r.Account] = true
	}
	t.Logf("searching %q: %d of %d messages, accounts %v", word, len(want), len(all), accounts)

	// list is newest first, and so is search: the id sequences must agree.
	if got := ids(e.search("subject:" + word)); !slices.Equal(got, ids(want)) {
		t.Errorf("search subject:%s = %v, want %v", word, got, ids(want))
	}
	// A bare word also searches addresses (none has it) and downloaded
	// body text, so it finds at least the same messages.
	bare := ids(e.search(strings.ToUpper(word)))
	for _, id := range ids(want) {
		if !slices.Contains(bare, id) {
			t.Errorf("search %s misses message %d (its subject has the word); got %v", word, id, bare)
		}
	}

	// from: narrows to the rows of one sender, in every account.
	sender := senderAddr(want[0])
	var fromWant []int64
	for _, r := range want {
		if senderAddr(r) == sender {
			fromWant = append(fromWant, r.ID)
		}
	}
	if got := ids(e.search("subject:"+word, "from:"+sender)); !slices.Equal(got, fromWant) {
		t.Errorf("search subject:%s from:%s = %v, want %v", word, sender, got, fromWant)
	}

	// --account narrows to one account; --limit cuts the list.
	var homeWant []int64
	for _, r := range want {
		if r.Account == "home" {
			homeWant = append(homeWant, r.ID)
		}
	}
	if got := ids(e.search("--account", "home", "subject:"+word)); !slices.Equal(got, homeWant) {
		t.Errorf("search --account home subject:%s = %v, want %v", word, got, homeWant)
	}
	if got := ids(e.search("--limit", "1", "subject:"+word)); !slices.Equal(got, ids(want)[:1]) {
		t.Errorf("search --limit 1 = %v, want %v", got, ids(want)[:1])
	}

	// The table has list's header and one line per message.
	table := e.mustRun("", "search", "subject:"+word)
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) != len(want)+1 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "SUBJECT") {
		t.Errorf("search table has %d lines, want a header and %d rows:\n%s", len(lines), len(want), table)
	}

	// Nothing found is an empty array; an unknown operator is an error naming it.
	if got := e.search(`"`, "*", "NEAR(", "'; DROP TABLE messages; --"); len(got) != 0 {
		t.Errorf("hostile search found %d messages", len(got))
	}
	if _, _, err := e.run("", "search", "colour:red"); err == nil || !strings.Contains(err.Error(), "colour:") {
		t.Errorf("search colour:red: err = %v, want an error naming colour:", err)
	}
	if len(e.list()) != len(all) {
		t.Errorf("list changed after searches")
	}
}

// TestSearchAsksTheServerForUncachedBodies finds a word that only the
// body of an IMAP message holds, before that body was ever downloaded:
// the local index cannot know it, the server's UID SEARCH does.
func TestSearchAsksTheServerForUncachedBodies(t *testing.T) {
	e := newEnv(t, 3)
	raw := "From: Zed <zed@example.com>\r\nTo: alice@work.example\r\nSubject: nothing special\r\n\r\nthe xylophonic answer\r\n"
	if err := e.srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	e.mustRun("", "sync")
	var local, merged []messageJSON
	if err := json.Unmarshal([]byte(e.mustRun("", "search", "--local", "--json", "xylophonic")), &local); err != nil {
		t.Fatal(err)
	}
	if len(local) != 0 {
		t.Fatalf("local search found %d messages for a word only in an uncached body", len(local))
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "search", "--json", "xylophonic")), &merged); err != nil {
		t.Fatal(err)
	}
	if len(merged) != 1 || merged[0].Subject != "nothing special" || merged[0].Account != "work" {
		t.Errorf("search with the server = %+v, want the one work message", merged)
	}
}
