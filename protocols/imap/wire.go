package imap

// What posta accepts from an IMAP server, and how long it waits for it.
//
// go-imap v2.0.0-beta.8 sets no read deadline between responses, reads a
// literal of any announced size into memory and parses nested lists by
// recursion (a BODYSTRUCTURE nested a few million levels deep overflows
// the goroutine stack, which Go cannot recover from). So every
// connection go-imap is given is a wire: a net.Conn that
//
//   - gives every read a deadline while an answer is awaited (a Fetcher
//     call is running, or a command was written and its tagged answer or
//     a continuation request has not come yet), refreshed by each read so
//     a long answer that keeps flowing is never cut (a read keeps the
//     deadline of the one before when that is at most maxReadSlack
//     sooner); a connection in IDLE waits up to idleWait, a parked one
//     without limit;
//   - checks the bytes before go-imap sees them: a response (its line
//     and literals) is at most maxResponseBytes, lists nest at most
//     maxNesting deep, and a literal larger than the response budget is
//     refused from its announced size, before any of it is read, except
//     the message body FetchBody asked for, which may be as large as
//     Options.MaxMessageBytes;
//   - bounds what answers one command, since data that keeps coming
//     never lets a deadline fire: at most maxUntagged untagged responses
//     (outside IDLE); for a fetch (FetchBody, a header batch) the FETCH
//     responses asked for and unsolicitedFetches more, and a byte limit
//     (the message and 16 MiB, or maxBatchBytes); a SEARCH answer of at
//     most maxFolderUIDs numbers, at most maxUnordered out of order;
//   - waits before reading on while the process has more than
//     maxGoroutines goroutines (go-imap drops each FETCH response nobody
//     asked for on a goroutine of its own).
//
// A broken limit closes the connection with a *WireError naming the
// server; the Fetcher returns that error rather than go-imap's.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// maxResponseBytes bounds one server response, its literals
	// included, except the body of a message FetchBody reads.
	maxResponseBytes = 8 << 20
	// maxNesting bounds how deep parenthesised lists nest in a response.
	maxNesting = 100
	// maxUntagged bounds the untagged responses a server sends between
	// two tagged ones (outside IDLE): data that keeps coming would
	// otherwise keep a command from ever ending, deadline or not. The
	// flags of 4,000,000 messages take as many.
	maxUntagged = 10_000_000
	// maxUnordered bounds the numbers of SEARCH answers that are not in
	// ascending order: go-imap inserts each into a sorted list, which
	// costs time quadratic in their count when they come backwards.
	// Servers answer in ascending order.
	maxUnordered = 10_000
	// maxBatchBytes bounds the answer to one fetch of headers: a batch
	// that breaks it is fetched again in smaller pieces (isolate.go),
	// down to single messages, each at most maxResponseBytes.
	maxBatchBytes = 256 << 20
	// unsolicitedFetches is how many FETCH responses a fetch may bring
	// beyond the messages it asked for (flag changes of others).
	unsolicitedFetches = 10_000
	// maxGoroutines is how many goroutines the process may have before
	// the wire stops reading until there are fewer: go-imap drops a
	// FETCH response nobody asked for on a goroutine of its own, and a
	// server sending them fast would pile those up without end.
	maxGoroutines = 10_000
	// idleWait is how long a connection in IDLE waits for the server.
	// go-imap re-issues IDLE every 28 minutes; servers may log a client
	// out after 30 (RFC 2177).
	idleWait = 29 * time.Minute
)

// DefaultMaxMessageBytes bounds one message body when
// Options.MaxMessageBytes is zero (the same as POP3's).
const DefaultMaxMessageBytes = 256 << 20

// ErrTooLarge is wrapped by the error of a FetchBody whose message is
// larger than Options.MaxMessageBytes: the message stays on the server.
var ErrTooLarge = errors.New("message larger than posta downloads")

// WireError says that an IMAP server broke one of the limits posta keeps
// it to, or went silent. The connection it happened on is closed.
type WireError struct {
	Addr string // the server, host:port
	What string // what it did, e.g. "sent nothing for 30s"
	Err  error  // os.ErrDeadlineExceeded, ErrTooLarge or nil
}

func (e *WireError) Error() string {
	return fmt.Sprintf("imap server %s %s", e.Addr, e.What)
}

func (e *WireError) Unwrap() error { return e.Err }

// wire wraps the connection go-imap reads and writes (above TLS). Read
// is called by go-imap's reader goroutine only; the other methods may be
// called from any goroutine.
type wire struct {
	net.Conn
	addr    string
	timeout time.Duration
	// busy counts the Fetcher calls running on this connection's
	// Fetcher: while it is not zero every read has a deadline.
	busy *atomic.Int32
	// idle is set while the connection is in IDLE.
	idle atomic.Bool
	// armed is set by a write and cleared by the tagged answer or a
	// continuation request: the server owes us an answer.
	armed atomic.Bool
	// bodyLimit, when not zero, lets literals up to that size through
	// (the message body of a FetchBody).
	bodyLimit atomic.Int64
	// fetchLimit, when not zero, bounds the FETCH responses to the
	// command running (FetchBody asks for one message), and byteLimit
	// the bytes of its answer.
	fetchLimit, byteLimit atomic.Int64

	// writeSet is when the write deadline was last moved (UnixNano).
	writeSet atomic.Int64
	// maxUntagged is the limit of that name, smaller in tests.
	maxUntagged int

	// readSet is the read deadline Read set last (zero: none), and
	// readStale says Write has moved it since; Read keeps it when it
	// is close enough to the one it would set (setReadDeadline).
	readSet   time.Time
	readStale atomic.Bool

	mu     sync.Mutex
	failed error
	// onAlert is Options.OnAlert (alerts.go).
	onAlert func(string)
	// hasFailed is set once failed is, for a read to check without the
	// lock.
	hasFailed atomic.Bool

	scan scanner // used by Read only
}

func newWire(c net.Conn, addr string, timeout time.Duration, busy *atomic.Int32) *wire {
	if busy == nil {
		busy = new(atomic.Int32)
	}
	return &wire{Conn: c, addr: addr, timeout: timeout, busy: busy, maxUntagged: maxUntagged}
}

// failure returns the limit the server broke, or nil.
func (w *wire) failure() error {
	if !w.hasFailed.Load() {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

func (w *wire) fail(err error) error {
	w.mu.Lock()
	if w.failed == nil {
		w.failed = err
		w.hasFailed.Store(true)
	}
	err = w.failed
	w.mu.Unlock()
	w.Conn.Close()
	return err
}

// readWait is how long the next read may wait for the server: timeout
// while an answer is awaited, idleWait in IDLE; without limit (ok false)
// otherwise.
func (w *wire) readWait() (wait time.Duration, ok bool) {
	switch {
	case w.busy.Load() > 0 || w.armed.Load():
		return w.timeout, true
	case w.idle.Load():
		return idleWait, true
	default:
		return 0, false
	}
}

// maxReadSlack bounds how much sooner than its wait (readWait) a read's
// deadline may come: moving the deadline is a locked timer operation, a
// tenth of the wire's own work when a server sends each response in a
// TLS record of its own, so a read keeps the deadline of the one before
// when that is at most this much, or a sixteenth of the wait, earlier.
const maxReadSlack = 25 * time.Millisecond

// setReadDeadline gives the read starting at now its deadline.
func (w *wire) setReadDeadline(now time.Time) {
	wait, ok := w.readWait()
	var d time.Time
	if ok {
		d = now.Add(wait)
	}
	stale := w.readStale.Load() && w.readStale.Swap(false)
	if !stale && ok == !w.readSet.IsZero() && !d.Before(w.readSet) && d.Sub(w.readSet) <= min(wait/16, maxReadSlack) {
		return
	}
	w.Conn.SetReadDeadline(d)
	w.readSet = d
}

func (w *wire) Read(p []byte) (int, error) {
	if err := w.failure(); err != nil {
		return 0, err
	}
	for i := 0; i < 10_000 && runtime.NumGoroutine() > maxGoroutines; i++ {
		time.Sleep(time.Millisecond) // let go-imap's goroutines finish
	}
	start := time.Now()
	w.setReadDeadline(start)
	n, err := w.Conn.Read(p)
	if n > 0 {
		if serr := w.scan.feed(w, p[:n]); serr != nil {
			return 0, w.fail(serr)
		}
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			waited := time.Since(start).Round(100 * time.Millisecond)
			if waited >= 10*time.Second {
				waited = waited.Round(time.Second)
			}
			return n, w.fail(&WireError{Addr: w.addr, What: fmt.Sprintf("sent nothing for %s (timed out)", waited), Err: os.ErrDeadlineExceeded})
		}
	}
	return n, err
}

func (w *wire) Write(p []byte) (int, error) {
	if err := w.failure(); err != nil {
		return 0, err
	}
	w.armed.Store(true)
	// Writes come in bursts (pipelined commands, a literal in chunks):
	// the deadline is moved when an eighth of it has passed, not before
	// every write, which would delay the next command of a pipeline.
	now := time.Now()
	if last := w.writeSet.Load(); now.UnixNano()-last > int64(w.timeout/8) {
		w.Conn.SetWriteDeadline(now.Add(w.timeout))
		w.writeSet.Store(now.UnixNano())
	}
	// A read blocked without a deadline (parked, or in IDLE) must now
	// end if the answer does not come.
	w.Conn.SetReadDeadline(now.Add(w.timeout))
	w.readStale.Store(true)
	n, err := w.Conn.Write(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		return n, w.fail(&WireError{Addr: w.addr, What: fmt.Sprintf("took nothing for %s (timed out)", w.timeout), Err: os.ErrDeadlineExceeded})
	}
	return n, err
}

// The deadlines are the wire's: go-imap's own (none between responses)
// are ignored.
func (w *wire) SetDeadline(time.Time) error      { return nil }
func (w *wire) SetReadDeadline(time.Time) error  { return nil }
func (w *wire) SetWriteDeadline(time.Time) error { return nil }

// scanner follows the response syntax just enough to bound it: lines,
// quoted strings, literals and parentheses.
type scanner struct {
	used    int64 // bytes of the current response so far
	depth   int
	quoted  bool
	escaped bool
	// literal is how many bytes of a literal are still to come; body
	// says it is a message body (not counted in used).
	literal int64
	body    bool
	// cmdBytes counts the bytes since the last tagged response: a
	// FetchBody's answer may hold one message and a little more.
	cmdBytes int64
	// brace: 0 outside {n}; 1 reading its digits; 2 after '}'; 3 after
	// "}\r".
	brace  int
	num    int64
	digits int
	head   [48]byte // the start of the line, to tell its kind
	nhead  int
	// untagged counts the untagged responses since the last tagged one,
	// fetches the FETCH responses among them.
	untagged, fetches int
	// In a "* SEARCH" line: the number being read, the one before, and
	// how many numbers came and how many out of order since the last
	// tagged response.
	search             bool
	searchNum, lastNum int64
	searchDigits       int
	searchN, unordered int
	// alert: this line is an untagged NO or OK [ALERT], whose text the
	// user is to see (alerts.go); alertText is that text so far, at most
	// maxAlertBytes of it.
	alert     bool
	alertText []byte
	// byteByByte turns plainRun off (the fuzz test's reference).
	byteByByte bool
}

func (s *scanner) feed(w *wire, p []byte) error {
	if limit := w.byteLimit.Load(); limit > 0 {
		s.cmdBytes += int64(len(p))
		if s.cmdBytes > limit {
			return &WireError{Addr: w.addr, What: fmt.Sprintf("sent more than %s in answer to one fetch", sizeText(limit))}
		}
	}
	for len(p) > 0 {
		if s.literal > 0 {
			k := min(int64(len(p)), s.literal)
			s.literal -= k
			p = p[k:]
			continue
		}
		// A run of plain bytes is counted and skipped in one step (its
		// bytes at the line's start kept in head); any other byte is
		// counted and looked at below.
		run := s.plainRun(p)
		if run > 0 {
			inHead := 0
			if s.nhead < len(s.head) {
				if s.nhead < len(searchHead) {
					// A SEARCH line is told at its 9th byte: the run
					// stops there, so that the bytes after it are
					// followed.
					run = min(run, len(searchHead)-s.nhead)
				}
				inHead = copy(s.head[s.nhead:], p[:run])
				s.nhead += inHead
				s.checkSearch()
				s.headGrew(p[:inHead])
			}
			if s.alert {
				s.keepAlert(p[inHead:run])
			}
		}
		s.used += int64(max(run, 1))
		if s.used > maxResponseBytes {
			return &WireError{Addr: w.addr, What: fmt.Sprintf("sent a response longer than %d MiB", maxResponseBytes>>20)}
		}
		if run > 0 {
			p = p[run:]
			continue
		}
		b, one := p[0], p[:1]
		p = p[1:]
		switch {
		case s.nhead < len(s.head):
			s.head[s.nhead] = b
			s.nhead++
			s.checkSearch()
			s.headGrew(one)
		case s.alert:
			s.keepAlert(one)
		}
		if s.search {
			if err := s.searchByte(w, b); err != nil {
				return err
			}
		}
		if b == '\n' {
			if err := s.lineEnd(w); err != nil {
				return err
			}
			continue
		}
		if s.quoted {
			switch {
			case s.escaped:
				s.escaped = false
			case b == '\\':
				s.escaped = true
			case b == '"':
				s.quoted = false
			}
			continue
		}
		switch {
		case b == '"':
			s.quoted, s.brace = true, 0
		case b == '(':
			s.depth++
			s.brace = 0
			if s.depth > maxNesting {
				return &WireError{Addr: w.addr, What: fmt.Sprintf("sent lists nested deeper than %d levels", maxNesting)}
			}
		case b == ')':
			if s.depth > 0 {
				s.depth--
			}
			s.brace = 0
		case b == '{':
			s.brace, s.num, s.digits = 1, 0, 0
		case s.brace == 1 && b >= '0' && b <= '9':
			if s.num < 1<<50 {
				s.num = s.num*10 + int64(b-'0')
			}
			s.digits++
		case s.brace == 1 && (b == '+' || b == '-') && s.digits > 0:
		case s.brace == 1 && b == '}' && s.digits > 0:
			s.brace = 2
		case s.brace == 2 && b == '\r':
			s.brace = 3
		default:
			s.brace = 0
		}
	}
	return nil
}

// searchHead is the start of a SEARCH response's line.
const searchHead = "* SEARCH "

// checkSearch tells a SEARCH line once head holds its first 9 bytes.
func (s *scanner) checkSearch() {
	if s.nhead == len(searchHead) && bytes.EqualFold(s.head[:s.nhead], []byte(searchHead)) {
		s.search, s.searchDigits = true, 0
	}
}

// plainRun is how many bytes at the start of p change nothing but the
// count of the response's bytes and the line's start kept in head:
// outside a SEARCH line and a literal's announcement, every byte but a
// line feed, a quote and the list and literal brackets outside a quoted
// string, and but a line feed, a quote and a backslash inside one. feed
// skips them in one step (most of a FETCH line); 0 when the byte-by-byte
// path must look at p[0].
func (s *scanner) plainRun(p []byte) int {
	if s.byteByByte || s.search || s.brace != 0 || s.escaped {
		return 0
	}
	special := &lineSpecial
	if s.quoted {
		special = &quotedSpecial
	}
	k := 0
	for k < len(p) && !special[p[k]] {
		k++
	}
	return k
}

// lineSpecial and quotedSpecial are the bytes plainRun stops at, outside
// and inside a quoted string.
var lineSpecial, quotedSpecial = func() (line, quoted [256]bool) {
	for _, b := range []byte("\n\"(){") {
		line[b] = true
	}
	for _, b := range []byte("\n\"\\") {
		quoted[b] = true
	}
	return
}()

// lineEnd handles a line feed outside a literal: the start of a literal
// announced by "{n}" before it, or the end of a response.
func (s *scanner) lineEnd(w *wire) error {
	if s.brace >= 2 {
		s.brace = 0
		s.quoted, s.escaped = false, false
		n := s.num
		if limit := w.bodyLimit.Load(); limit > 0 && n > maxResponseBytes-s.used {
			if n > limit {
				return &WireError{Addr: w.addr, Err: ErrTooLarge,
					What: fmt.Sprintf("offered a message of %s, larger than the %s posta downloads; it stays on the server", sizeText(n), sizeText(limit))}
			}
			if s.literalHere() {
				s.literal, s.body = n, true
				return nil
			}
		}
		if n > maxResponseBytes-s.used {
			return &WireError{Addr: w.addr, What: fmt.Sprintf("announced a literal of %d bytes, more than a response may hold (%d MiB)", n, maxResponseBytes>>20)}
		}
		if s.literalHere() {
			s.literal, s.body = n, false
			s.used += n
			return nil
		}
	}
	// The response ends here.
	if s.alert {
		w.alertEnded(s.alertText)
		s.alert, s.alertText = false, s.alertText[:0]
	}
	switch {
	case s.nhead == 0:
	case s.head[0] == '*':
		s.untagged++
		if s.untagged > w.maxUntagged && !w.idle.Load() {
			return &WireError{Addr: w.addr, What: fmt.Sprintf("sent more than %d responses to one command", w.maxUntagged)}
		}
		if limit := w.fetchLimit.Load(); limit > 0 && s.isFetch() {
			if s.fetches++; int64(s.fetches) > limit {
				return &WireError{Addr: w.addr, What: fmt.Sprintf("sent more than %d FETCH responses to a fetch of fewer messages", limit)}
			}
		}
	default:
		w.armed.Store(false) // the tagged answer, or the server waits for us
		s.untagged, s.fetches, s.searchN, s.unordered, s.lastNum, s.cmdBytes = 0, 0, 0, 0, 0, 0
	}
	s.search = false
	s.used, s.depth, s.nhead, s.brace = 0, 0, 0, 0
	s.quoted, s.escaped = false, false
	return nil
}

// isFetch says whether the line is a "* n FETCH" response.
func (s *scanner) isFetch() bool {
	return bytes.EqualFold(s.headField(2), []byte("FETCH"))
}

// headField returns the i-th field (from 0) of the line's start, split
// at white space as bytes.Fields does, or nil; it allocates nothing (it
// runs at the end of every line).
func (s *scanner) headField(i int) []byte {
	h := s.head[:s.nhead]
	for {
		for len(h) > 0 && asciiSpace[h[0]] {
			h = h[1:]
		}
		if len(h) == 0 {
			return nil
		}
		end := 0
		for end < len(h) && !asciiSpace[h[end]] {
			end++
		}
		if i == 0 {
			return h[:end]
		}
		h, i = h[end:], i-1
	}
}

// asciiSpace is bytes.Fields' white space within ASCII.
var asciiSpace = [256]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// searchByte follows the numbers of a "* SEARCH" line.
func (s *scanner) searchByte(w *wire, b byte) error {
	if b >= '0' && b <= '9' {
		if s.searchNum < 1<<40 {
			s.searchNum = s.searchNum*10 + int64(b-'0')
		}
		s.searchDigits++
		return nil
	}
	if s.searchDigits == 0 {
		return nil
	}
	n := s.searchNum
	s.searchNum, s.searchDigits = 0, 0
	s.searchN++
	if s.searchN > maxFolderUIDs {
		return &WireError{Addr: w.addr, What: fmt.Sprintf("listed more than %d messages in a SEARCH answer", maxFolderUIDs)}
	}
	if n < s.lastNum {
		s.unordered++
		if s.unordered > maxUnordered {
			return &WireError{Addr: w.addr, What: fmt.Sprintf("sent a SEARCH answer with more than %d numbers out of order", maxUnordered)}
		}
	}
	s.lastNum = n
	return nil
}

// literalHere says whether the current line may carry literals: a data
// response can, a status response or a continuation request cannot (its
// text is read to the end of the line).
func (s *scanner) literalHere() bool {
	if string(s.headField(0)) != "*" {
		return false
	}
	kind := s.headField(1)
	if kind == nil {
		return false
	}
	for _, status := range statusKinds {
		if len(kind) == len(status) && bytes.EqualFold(kind, status) {
			return false
		}
	}
	return true
}

// statusKinds are the kinds of status responses (and the greeting).
var statusKinds = [][]byte{[]byte("OK"), []byte("NO"), []byte("BAD"), []byte("BYE"), []byte("PREAUTH")}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KiB", n>>10)
	}
}
