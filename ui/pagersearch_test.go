package ui

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/accounts"
)

func pagerWith(t *testing.T, raw string, width, height int) pager {
	t.Helper()
	p := newPager(accounts.Message{}, width, height)
	p.setRaw(DefaultTheme(), []byte(raw))
	return p
}

// / finds text in the message: a query without capitals ignores case,
// one with capitals does not; n and N go round; the match scrolls into
// view and is shown in reverse video, the line's colours kept.
func TestPagerFind(t *testing.T) {
	var body strings.Builder
	for i := range 200 {
		fmt.Fprintf(&body, "line %d\r\n", i)
	}
	body.WriteString("The Delay was long.\r\n")
	for i := range 50 {
		fmt.Fprintf(&body, "more %d\r\n", i)
	}
	body.WriteString("delay again, and DELAY.\r\n")
	p := pagerWith(t, "From: a@example.org\r\nSubject: about the delay\r\n\r\n"+body.String(), 80, 20)

	p.find("delay")
	if got := len(p.search.matches); got != 4 {
		t.Fatalf("delay: %d matches, want 4 (the subject, Delay, delay, DELAY)", got)
	}
	if p.search.cur != 0 || p.vp.YOffset != 0 {
		t.Errorf("first match %d at offset %d, want the subject's, on the first screen", p.search.cur, p.vp.YOffset)
	}
	p.nextMatch(1)
	view := p.vp.View()
	if !strings.Contains(view, "The "+matchOn+"Delay"+matchOff+" was long.") {
		t.Errorf("the second match is not on screen in reverse video:\n%q", view)
	}
	if !strings.Contains(ansi.Strip(view), "The Delay was long.") {
		t.Errorf("the match's line is not on screen:\n%s", ansi.Strip(view))
	}
	for range 2 { // to the third match, then the fourth and last
		if p.nextMatch(1) {
			t.Errorf("went round before the last match (at %d)", p.search.cur)
		}
	}
	if !p.nextMatch(1) || p.search.cur != 0 {
		t.Errorf("n after the last match: at %d, want round to the first", p.search.cur)
	}
	if !p.nextMatch(-1) || p.search.cur != 3 {
		t.Errorf("N before the first match: at %d, want round to the last", p.search.cur)
	}

	p.find("Delay")
	if got := len(p.search.matches); got != 1 {
		t.Errorf("Delay: %d matches, want 1 (capitals: case matters)", got)
	}
	p.find("nowhere")
	if got := p.search.status(); got != `Not found: "nowhere"` {
		t.Errorf("status %q", got)
	}
}

// highlight works on the styled line: the styles' escape sequences are
// kept, a match in a styled span keeps its style, and a reset inside the
// match does not end the reverse video.
func TestHighlightStyledLine(t *testing.T) {
	styled := "\x1b[1mSubject:\x1b[0m about the delay"
	plain := stripStyle(styled)
	if plain != "Subject: about the delay" {
		t.Fatalf("stripStyle = %q", plain)
	}
	ms := findMatches([]string{plain}, "ject: ab")
	got := highlight(styled, ms)
	want := "\x1b[1mSub" + matchOn + "ject:\x1b[0m" + matchOn + " ab" + matchOff + "out the delay"
	if got != want {
		t.Errorf("highlight = %q\nwant        %q", got, want)
	}
	if ansi.Strip(got) != plain {
		t.Errorf("highlight changed the text: %q", ansi.Strip(got))
	}
}

// A line wider than the screen (a long Subject or To, a link, a field of
// the full header) is wrapped, not cut at the screen's edge.
func TestPagerWrapsLongLines(t *testing.T) {
	subject := strings.TrimSpace(strings.Repeat("very long subject ", 30))
	p := pagerWith(t, "From: a@example.org\r\nSubject: "+subject+"\r\nX-Long: "+strings.Repeat("q", 500)+"\r\n\r\nline\r\nEND-OF-BODY\r\n", 60, 40)
	p.full = true
	p.render(DefaultTheme())
	for i, l := range p.lines {
		if w := ansi.StringWidth(l); w > 60 {
			t.Errorf("line %d is %d wide, wider than the screen", i, w)
		}
	}
	view := ansi.Strip(p.vp.View())
	if n := strings.Count(view, "q"); n != 500 {
		t.Errorf("%d of the 500 q of X-Long are on screen:\n%s", n, view)
	}
	if n := strings.Count(view, "subject"); n != 30 {
		t.Errorf("%d of the 30 words subject are on screen:\n%s", n, view)
	}
	if !strings.Contains(view, "END-OF-BODY") {
		t.Errorf("the end of the message is not on screen:\n%s", view)
	}
}

// h shows every header field, and h again the main ones.
func TestPagerFullHeaders(t *testing.T) {
	raw := "From: a@example.org\r\nMessage-ID: <1@example.org>\r\nX-Spam-Score: 0.1\r\nSubject: hi\r\n\r\nbody\r\n"
	p := pagerWith(t, raw, 80, 20)
	if view := ansi.Strip(p.vp.View()); strings.Contains(view, "X-Spam-Score") {
		t.Fatalf("the main header shows X-Spam-Score:\n%s", view)
	}
	p.full = true
	p.render(DefaultTheme())
	view := ansi.Strip(p.vp.View())
	for _, want := range []string{"Subject: hi", "Message-ID: <1@example.org>", "X-Spam-Score: 0.1"} {
		if !strings.Contains(view, want) {
			t.Errorf("the full header lacks %q:\n%s", want, view)
		}
	}
}

// | pipes the raw message to a command; what it writes is shown as text,
// the escape sequences a stranger's message holds made visible, and how
// it ended is said.
func TestPipeShowsSanitizedOutput(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh")
	}
	raw := []byte("Subject: \x1b]0;owned\x07hi\r\n\r\nbody \x1b[2J\r\n")
	msg := pipeCmd(context.Background(), raw, "cat; echo done >&2; exit 3")().(pipeDoneMsg)
	m := Model{theme: DefaultTheme(), width: 80, height: 24, mode: modePager}
	m = m.handlePipeDone(msg)
	if m.mode != modeHelp || m.back != modePager {
		t.Fatalf("mode %v back %v, want the output view over the pager", m.mode, m.back)
	}
	view := m.help.View()
	if strings.Contains(view, "\x1b]") || strings.Contains(view, "\x1b[2J") || strings.Contains(view, "\a") {
		t.Errorf("the output reached the screen raw: %q", view)
	}
	for _, want := range []string{"exit status 3", "␛]0;owned␇hi", "body ␛[2J", "done"} {
		if !strings.Contains(view, want) {
			t.Errorf("the output view lacks %q:\n%s", want, view)
		}
	}
	if m.status != "cat; echo done >&2; exit 3: exit status 3" {
		t.Errorf("status %q", m.status)
	}

	quiet := pipeCmd(context.Background(), raw, "cat >/dev/null")().(pipeDoneMsg)
	m = Model{theme: DefaultTheme(), width: 80, height: 24, mode: modePager}.handlePipeDone(quiet)
	if m.mode != modePager || m.status != "cat >/dev/null: done, no output" || m.isError {
		t.Errorf("a quiet command: mode %v, status %q (error %v)", m.mode, m.status, m.isError)
	}
}

// What a command writes is kept to maxPipeOutput, and the command is
// never blocked on a full pipe.
func TestPipeOutputCapped(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh")
	}
	msg := pipeCmd(context.Background(), nil, "head -c 3000000 /dev/zero | tr '\\0' a")().(pipeDoneMsg)
	if msg.err != nil || len(msg.output) != maxPipeOutput || !msg.cut {
		t.Errorf("err %v, kept %d bytes (cut %v), want %d and cut", msg.err, len(msg.output), msg.cut, maxPipeOutput)
	}
}

// The keys, as a user presses them: / finds, n goes on, h shows the
// whole header, | pipes the message and shows what the command wrote.
func TestPagerFindHeadersAndPipeKeys(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh")
	}
	tm := openFirstDemoMessage(t)
	typeFind(t, tm, "a")
	waitFor(t, tm, `"a": match 1 of`)
	tm.Type("n")
	waitFor(t, tm, `"a": match 2 of`)
	// The next message starts without a search.
	tm.Type("J")
	tm.Type("n")
	waitFor(t, tm, "No search yet")
	tm.Type("K")
	typeFind(t, tm, "a")
	waitFor(t, tm, `"a": match 1 of`)
	tm.Type("n")
	waitFor(t, tm, `"a": match 2 of`)
	tm.Type("h") // (the matches' reverse video would cut a field's name with an a)
	waitFor(t, tm, "MIME-Version:")
	tm.Type("|")
	waitFor(t, tm, "Pipe to command:")
	tm.Type("grep -c '^MIME-Version:'")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Output of grep -c '^MIME-Version:' (done):")
	tm.Type("q")
	waitFor(t, tm, "q back · r reply")
	tm.Type("q")
	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !fm.fullHeaders || fm.lastPipe != "grep -c '^MIME-Version:'" {
		t.Errorf("fullHeaders %v, lastPipe %q", fm.fullHeaders, fm.lastPipe)
	}
}

// The status line no longer speaks of a search once the next message is
// open (J): that message has none.
func TestNextMessageForgetsSearchStatus(t *testing.T) {
	tm := openFirstDemoMessage(t)
	typeFind(t, tm, "zzzz")
	waitFor(t, tm, `Not found: "zzzz"`)
	tm.Type("J")
	tm.Type("qq")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if strings.Contains(fm.status, "zzzz") {
		t.Errorf("status after J: %q", fm.status)
	}
}

// openFirstDemoMessage opens the newest message of the demo's work INBOX
// (5 messages) in the pager.
func openFirstDemoMessage(t *testing.T) *teatest.TestModel {
	t.Helper()
	set, _ := demoSet(t, 5)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 5 messages")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Subject:")
	return tm
}

// typeFind presses / in the pager and searches for query.
func typeFind(t *testing.T, tm *teatest.TestModel, query string) {
	t.Helper()
	tm.Type("/")
	waitFor(t, tm, "Find:")
	tm.Type(query)
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
}
