package main

// The open rows (issues 11 and 15): a big message opened as the reader
// opens it. The message is delivered to the demo IMAP INBOX, the work
// account is synced into a fresh cache with the accounts layer, and the
// reader (ui.New on that cache, headless) opens it with Enter: the
// model's body command (accounts Body: the body cache, or the server the
// first time, which stores it in the body cache) runs, its message goes
// back to the model, whose pager renders it, until a frame shows the
// body. The parts are also measured alone in the same run: accounts Body
// (the bytes from the body cache) and message.Render of those bytes.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/ui"
)

// openFolder is how many other messages the INBOX of the open rows has.
const openFolder = 50

// bodyText is a line of the big message's first text part: the pager
// frame shows it once the message is rendered.
const bodyText = "Here is the archive."

// openCase is one message size of the open rows.
type openCase struct {
	id    string
	bytes int
	runs  int
	down  int // j presses from the top of the index to the message
}

// openFigures are one size's measurements.
type openFigures struct {
	size                   int // bytes of the message as delivered
	first, cached          []openStats
	bodyAlone, renderAlone []openStats
	bodyBytes              int
}

func measureOpen(rep *report, scratch string, runs int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	f, err := startFixture(openFolder, filepath.Join(scratch, "open"))
	if err != nil {
		return err
	}
	defer f.Close()
	// Dated after every demo message, the 50 MB one last: the index
	// shows it first and the 1 MB one under it.
	cases := []openCase{{"open_1mb", 1 << 20, runs, 1}, {"open_50mb", 50 << 20, max(runs-2, 3), 0}}
	now := time.Now()
	sizes := map[string]int{}
	for i, c := range cases {
		var b bytes.Buffer
		if err := writeBigMessage(&b, c.bytes, now.Add(time.Duration(i+1)*time.Hour)); err != nil {
			return err
		}
		sizes[c.id] = b.Len()
		if err := f.srv.Deliver("alice@work.example", b.Bytes()); err != nil {
			return fmt.Errorf("deliver the %d MB message: %w", c.bytes>>20, err)
		}
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	for _, c := range cases {
		fig := openFigures{size: sizes[c.id]}
		subject := bigSubject(c.bytes)
		var cacheDir, dataDir string
		for i := range c.runs {
			if i > 0 {
				os.RemoveAll(filepath.Dir(cacheDir))
			}
			cacheDir, dataDir = f.freshDirs()
			if _, _, err := f.timedSync(ctx, "work", cacheDir, dataDir, nil); err != nil {
				return fmt.Errorf("sync for the open rows: %w", err)
			}
			st, err := readerOpen(cfg, cacheDir, dataDir, c.down, subject)
			if err != nil {
				return fmt.Errorf("first open of the %d MB message: %w", c.bytes>>20, err)
			}
			fig.first = append(fig.first, st)
		}
		for range c.runs {
			st, err := readerOpen(cfg, cacheDir, dataDir, c.down, subject)
			if err != nil {
				return fmt.Errorf("open of the cached %d MB message: %w", c.bytes>>20, err)
			}
			fig.cached = append(fig.cached, st)
			b, r, n, err := openParts(ctx, cfg, cacheDir, dataDir, subject)
			if err != nil {
				return fmt.Errorf("the parts of the %d MB open: %w", c.bytes>>20, err)
			}
			fig.bodyAlone, fig.renderAlone, fig.bodyBytes = append(fig.bodyAlone, b), append(fig.renderAlone, r), n
		}
		os.RemoveAll(filepath.Dir(cacheDir))
		addOpenRows(rep, c, fig)
	}
	return nil
}

// readerOpen opens the message down rows from the top of the INBOX in
// the reader, as a user does with Enter, and measures it until the
// pager's frame shows the body.
func readerOpen(cfg *accounts.Config, cacheDir, dataDir string, down int, subject string) (openStats, error) {
	c, set, err := openSet(cfg, cacheDir, dataDir)
	if err != nil {
		return openStats{}, err
	}
	defer c.Close()
	defer set.Close()
	var m tea.Model = ui.New(set, ui.Options{NoSyncOnStart: true, NoWatch: true})
	_ = m.Init()
	m, _ = m.Update(screen)
	for range down {
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}})
	}
	_ = m.View()
	view := ""
	st, err := memUse(func() error {
		var cmd tea.Cmd
		m, cmd = m.Update(tea.KeyMsg{Type: tea.KeyEnter})
		msgs := make(chan tea.Msg, 64)
		runCmd(cmd, msgs)
		timeout := time.NewTimer(2 * time.Minute)
		defer timeout.Stop()
		for {
			select {
			case msg := <-msgs:
				// What the commands return goes back to the model, as
				// Bubble Tea does; the commands the model returns then
				// (marking the message seen on the server, the wait
				// line's tick) are not run.
				m, _ = m.Update(msg)
				if view = m.View(); strings.Contains(view, bodyText) {
					return nil
				}
			case <-timeout.C:
				return fmt.Errorf("no frame showed the body within 2 minutes; last frame:\n%s", view)
			}
		}
	})
	runtime.KeepAlive(m)
	if err != nil {
		return st, err
	}
	if !strings.Contains(view, subject) {
		return st, fmt.Errorf("the pager opened another message than %q:\n%s", subject, view)
	}
	return st, nil
}

// runCmd runs cmd as Bubble Tea does, each command of a batch on a
// goroutine of its own, and sends what they return to msgs.
func runCmd(cmd tea.Cmd, msgs chan<- tea.Msg) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				runCmd(c, msgs)
			}
			return
		}
		if msg != nil {
			select {
			case msgs <- msg:
			default:
			}
		}
	}()
}

// openParts measures the parts of a cached open alone: accounts Body
// (the bytes read from the body cache) and message.Render of them as
// the pager calls it, with the bytes already in memory.
func openParts(ctx context.Context, cfg *accounts.Config, cacheDir, dataDir, subject string) (body, render openStats, n int, err error) {
	c, set, err := openSet(cfg, cacheDir, dataDir)
	if err != nil {
		return body, render, 0, err
	}
	defer c.Close()
	defer set.Close()
	a, err := set.Get("work")
	if err != nil {
		return body, render, 0, err
	}
	msgs, err := a.List("INBOX", 5, 0)
	if err != nil {
		return body, render, 0, err
	}
	var id int64
	for _, m := range msgs {
		if m.Subject == subject {
			id = m.ID
		}
	}
	if id == 0 {
		return body, render, 0, fmt.Errorf("no message %q among the newest", subject)
	}
	var raw []byte
	if body, err = memUse(func() (err error) { raw, err = a.Body(ctx, id); return err }); err != nil {
		return body, render, 0, err
	}
	var res *message.Rendered
	render, err = memUse(func() (err error) {
		res, err = message.Render(bytes.NewReader(raw), message.Options{Width: max(screen.Width-1, 20)})
		return err
	})
	if err == nil && (len(res.Attachments) != 1 || !strings.Contains(res.Body, bodyText)) {
		err = fmt.Errorf("render: %d attachments, body %.60q", len(res.Attachments), res.Body)
	}
	runtime.KeepAlive(raw)
	return body, render, len(raw), err
}

// statSamples turns one field of each openStats into samples.
func statSamples(sts []openStats, field func(openStats) float64) samples {
	out := make(samples, 0, len(sts))
	for _, st := range sts {
		out = append(out, field(st))
	}
	return out
}

func stTime(st openStats) float64  { return ms(st.d) }
func stAlloc(st openStats) float64 { return mib(st.allocated) }
func stPeak(st openStats) float64  { return mib(st.peakHeap) }
func stHeld(st openStats) float64  { return mib(st.held) }

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// addOpenRows adds one size's rows; their notes and explanations are
// made of this run's figures.
func addOpenRows(rep *report, c openCase, fig openFigures) {
	mb := c.bytes >> 20
	size := float64(fig.size) / (1 << 20)
	times, allocs, peaks := statSamples(fig.cached, stTime), statSamples(fig.cached, stAlloc), statSamples(fig.cached, stPeak)
	held := statSamples(fig.cached, stHeld).median()
	bt, ba, bp := statSamples(fig.bodyAlone, stTime).median(), statSamples(fig.bodyAlone, stAlloc).median(), statSamples(fig.bodyAlone, stPeak).median()
	rt, ra, rp := statSamples(fig.renderAlone, stTime).median(), statSamples(fig.renderAlone, stAlloc).median(), statSamples(fig.renderAlone, stPeak).median()
	parts := fmt.Sprintf("Alone, in the same run (medians): accounts Body returned the %.1f MiB in %.0f ms, allocating %.1f MiB (peak %.1f MiB); "+
		"message.Render of those bytes took %.0f ms, allocating %.1f MiB (peak %.1f MiB above the bytes)",
		float64(fig.bodyBytes)/(1<<20), bt, ba, bp, rt, ra, rp)
	t, p := times.median(), peaks.median()
	rep.add(result{ID: c.id, What: fmt.Sprintf("open a %d MB message in the reader, body in the IMAP body cache (Enter → accounts Body → pager frame showing it)", mb),
		Unit: "ms", Value: t, Samples: times,
		Note: fmt.Sprintf("%s; the rest of the reader's open (its own handling of the bytes and the frame) %.0f ms.", parts, t-bt-rt),
		Why: fmt.Sprintf("The open took %.0f ms: accounts Body %.0f ms and Render %.0f ms alone (above); the other %.0f ms are the reader's own work on the bytes and the frame, "+
			"or load on the shared machine (samples %s).", t, bt, rt, max(t-bt-rt, 0), spread(times))})
	rep.add(result{ID: c.id + "_alloc", What: fmt.Sprintf("… bytes allocated by that open of the %d MB message", mb),
		Unit: "MiB", Value: allocs.median(), Samples: allocs,
		Note: fmt.Sprintf("%.1f× the message (%.1f MiB); accounts Body alone %.1f MiB, Render alone %.1f MiB.", allocs.median()/size, size, ba, ra)})
	rep.add(result{ID: c.id + "_heap", What: fmt.Sprintf("… peak heap during that open of the %d MB message (above the heap live before, sampled every ms)", mb),
		Unit: "MiB", Value: p, Samples: peaks,
		Note: fmt.Sprintf("%.2f× the message (%.1f MiB); after the open the reader keeps %.1f MiB (%.2f× the message) while the pager shows it.", p/size, size, held, held/size),
		Why: fmt.Sprintf("The peak is %.2f copies of the message. accounts Body hands the reader the whole message as one byte slice (%.1f MiB), "+
			"and reading it alone peaks at %.1f MiB; Render alone peaks %.1f MiB above those bytes. "+
			"The remaining %.1f MiB of the peak (%.2f copies) is allocated by the reader's own handling of the bytes before or while it renders; "+
			"after the open it keeps %.1f MiB.", p/size, float64(fig.bodyBytes)/(1<<20), bp, rp, max(p-bp-rp, 0), max(p-bp-rp, 0)/size, held)})
	ft, fa, fp := statSamples(fig.first, stTime), statSamples(fig.first, stAlloc).median(), statSamples(fig.first, stPeak).median()
	rep.add(result{ID: c.id + "_first", What: fmt.Sprintf("first open of the %d MB message in the reader, body not cached (fetched from the demo IMAP server into the body cache)", mb),
		Unit: "ms", Value: ft.median(), Samples: ft,
		Note: fmt.Sprintf("allocated %.1f MiB (%.1f× the message), peak heap %.1f MiB (%.2f×); the demo server runs in this process, so its allocations for sending the message count too.",
			fa, fa/size, fp, fp/size)})
	logf("open %d MB: first %.0f ms; cached %.0f ms, %.1f MiB allocated, %.1f MiB peak heap, %.1f MiB held; Body alone %.0f ms %.1f MiB peak, Render alone %.0f ms %.1f MiB peak",
		mb, ft.median(), t, allocs.median(), p, held, bt, bp, rt, rp)
}

// openMethodNote says how the open rows are measured.
const openMethodNote = "Open: a generated message (a short text part, a base64 attachment of 80% and a quoted-printable text part of 20%) delivered to the demo IMAP INBOX " +
	"with 50 other messages; the work account synced into a fresh cache with accounts Sync; then the reader opens it as a user does: ui.New on the cache (headless, 120×40, no sync or watch), " +
	"the message selected, Enter; the commands the model returns run as Bubble Tea runs them (the body command: accounts Body) and what they return goes back to the model, " +
	"until a frame (View) shows the message's first text line. The first open of each fresh cache fetches the body from the server and stores it in the body cache, as on first reading; " +
	"the rows time the opens after it, with the body in the cache. Allocated bytes are runtime TotalAlloc; the peak heap is the runtime's heap objects (live and not yet swept) " +
	"sampled every millisecond above what was live before; what the reader keeps is measured after a GC with the pager still open. " +
	"In the same run, accounts Body and message.Render of the bytes (as the pager calls it) are measured alone."
