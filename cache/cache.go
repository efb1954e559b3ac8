// Package cache is posta's local index: every screen opens from it and the
// network only updates it, so posta starts fast and works offline.
//
// The index is a SQLite database (index.db) in Options.Dir, next to the IMAP
// body files, which can always be fetched again. For POP3 accounts the cache
// also owns the Maildirs in Options.DataDir, which hold the only copy of the
// mail: they are never evicted, and neither Rebuild nor a damaged index ever
// deletes a file there.
//
// # Durability of POP3 mail
//
// DeliverPOP writes the message to a temporary file, fsyncs it, renames it
// into the Maildir's cur/ directory, fsyncs that directory and only then
// commits the index row. The POP3 UIDL is part of the Maildir file name, so
// Open can always reconcile a file that landed before a crash with the index:
// such a file is indexed and its UIDL counts as known, and is never fetched
// twice.
//
// # Concurrency
//
// A Cache may be used by several goroutines at once (one per account is the
// expected pattern). Several processes may open the same Dir and DataDir
// at once (the reader, `posta sync` from cron, `posta outbox flush`):
// lease.go says how they share it.
package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/mail"
	"os"
	"path/filepath"
	"sync"
	"time"

	postamail "github.com/posta-mail/posta/mail"
	"modernc.org/sqlite"
)

// Sentinel errors.
var (
	// ErrNotFound is returned when no message or outbox item has the given id.
	ErrNotFound = errors.New("cache: not found")
	// ErrNoBody is returned by OpenBody when the raw message is not stored locally.
	ErrNoBody = errors.New("cache: body not available locally")
	// ErrNotPOP is returned by POP-only operations on a message that has no Maildir file.
	ErrNotPOP = errors.New("cache: not a POP3 (Maildir) message")
	// ErrUnknownFolder is returned by MovePOP for a folder that is not a local folder.
	ErrUnknownFolder = errors.New("cache: unknown local folder")
	// ErrAlreadyDelivered is returned by DeliverPOP when the UIDL was delivered
	// before but its message is gone from the index (for example deleted).
	// Callers should treat it as success: the message must not be fetched again.
	ErrAlreadyDelivered = errors.New("cache: UIDL already delivered")
)

const (
	dirMode  os.FileMode = 0o700
	fileMode os.FileMode = 0o600
	dbName               = "index.db"
)

// Options configures Open.
type Options struct {
	Dir     string // cache folder: index.db, IMAP body files (re-fetchable)
	DataDir string // data folder: POP3 Maildirs and the outbox (the only copy: never evicted, never deleted by rebuild)

	// ParseHeader parses a raw message header. Open uses it to index Maildir
	// files that have no index row (after a crash or a damaged index). Nil
	// means a minimal built-in parser (Subject, From, To, Date, Message-ID).
	ParseHeader func(io.Reader) (postamail.Header, error)

	// Now returns the current time; nil means time.Now.
	Now func() time.Time

	// BodyCacheBytes bounds the IMAP body cache: least recently read
	// bodies are evicted beyond it. 0 means DefaultBodyCacheBytes, a
	// negative value no limit. POP3 mail is never evicted.
	BodyCacheBytes int64
}

// Cache is the local index. Create one with Open.
type Cache struct {
	db          *sql.DB
	sortIdx     sortIndexMade // sort indexes made or found (sortindex.go)
	dir         string
	dataDir     string
	parseHeader func(io.Reader) (postamail.Header, error)
	now         func() time.Time
	rebuilt     bool
	checked     bool // Open ran the integrity check

	// Several processes (lease.go): this Cache's identity in holders,
	// leases and outbox claims.
	pid   int
	host  string
	token string

	leaseMu  sync.Mutex
	leaseSeq int
	leases   map[string]func() // holder id → release, of AcquireLease

	closeMu sync.Mutex
	closed  bool

	popMu      sync.Mutex                   // serialises Maildir writes (delivery, flag renames, moves)
	deliveries uint64                       // counter for Maildir keys
	maildirsOK map[string]bool              // accounts whose Maildirs exist; under popMu
	unindexed  map[string]map[string]string // account → UIDL → file that landed but whose row failed; under popMu

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared statements, see stmt

	bodyLimit      int64      // IMAP body cache limit, <= 0: none
	bodyMu         sync.Mutex // serialises eviction; guards the fields below
	bodyTotal      int64      // bytes in the body cache, an estimate that only overcounts
	bodyTotalKnown bool
}

// Open opens (or creates) the cache in opts.Dir and opts.DataDir, runs the
// schema migrations and, unless the last session closed it cleanly (Close
// leaves a mark), checks the index with PRAGMA quick_check. A damaged
// index is moved aside (index.db.damaged-<time>) and a fresh one is built
// from the Maildirs; Rebuilt then reports true. Maildir files are never
// touched by that. Finally Open reconciles the Maildirs with the index.
//
// Several processes may open the same cache: the check, the rebuild and
// the reconciliation run only in a process that opens it alone (see
// lease.go), and one that opens while another is starting up waits.
func Open(opts Options) (*Cache, error) {
	if opts.Dir == "" || opts.DataDir == "" {
		return nil, errors.New("cache: Options.Dir and Options.DataDir are required")
	}
	for _, d := range []string{opts.Dir, opts.DataDir, bodiesDir(opts.Dir), outboxDir(opts.DataDir)} {
		if err := mkdirPrivate(d); err != nil {
			return nil, err
		}
	}
	c := &Cache{
		dir:         opts.Dir,
		dataDir:     opts.DataDir,
		parseHeader: opts.ParseHeader,
		now:         opts.Now,
		bodyLimit:   bodyLimit(opts.BodyCacheBytes),
		pid:         os.Getpid(),
	}
	c.host, _ = os.Hostname()
	c.token = processToken(c.pid, c.host)
	if c.parseHeader == nil {
		c.parseHeader = minimalParseHeader
	}
	if c.now == nil {
		c.now = time.Now
	}
	for attempt := 0; ; attempt++ {
		err := c.open()
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errReplaced) || attempt >= 10 {
			return nil, err
		}
	}
}

// open is one attempt of Open; errReplaced means: try again.
func (c *Cache) open() error {
	// The integrity check reads the whole index (about half a second at
	// 100,000 messages): it runs only when the last session did not close
	// the index cleanly, which is when damage can happen. The mark is
	// read before this process touches the index, which changes its stamp.
	markOK := c.readCleanMark()
	before, _ := os.Stat(c.dbPath())
	db, err := openIndex(c.dbPath())
	if err != nil {
		if !isDamage(err) {
			return err
		}
		// Unreadable, so no process can be working with it.
		if db, err = c.startFresh(); err != nil {
			return err
		}
		before, _ = os.Stat(c.dbPath())
	}
	if before == nil { // new: created just now, by this process or another
		before, _ = os.Stat(c.dbPath())
	}
	c.db = db
	fail := func(err error) error {
		c.closeDB()
		return err
	}
	// The gate: one process at a time decides whether it is alone and,
	// if so, checks and repairs the index before anyone else uses it.
	gate, err := c.waitGate(func() bool {
		now, err := os.Stat(c.dbPath())
		return before == nil || err != nil || !os.SameFile(before, now)
	})
	if err != nil {
		if isDamage(err) && !c.rebuilt {
			return fail(c.damaged(err))
		}
		return fail(err)
	}
	st, err := c.register()
	if err == nil && st.alone {
		err = c.openAlone(markOK && len(st.crashed) == 0, st.crashed)
		if err != nil && !isDamage(err) {
			c.unregister() // best effort: a failed Open is not a live holder
		}
	}
	if err != nil {
		c.dropLease(gateLease, gate)
		if isDamage(err) && !c.rebuilt {
			return fail(c.damaged(err))
		}
		return fail(err)
	}
	// Any mark left now is stale: this process is open.
	os.Remove(c.cleanMarkPath())
	if err := c.dropLease(gateLease, gate); err != nil {
		return fail(fmt.Errorf("cache: open: %w", err))
	}
	return nil
}

// openAlone does what only a process that has the cache to itself may
// do: check the index unless clean, then reconcile the Maildirs and
// forget the crashed holders it has now recovered from.
func (c *Cache) openAlone(clean bool, crashed []string) error {
	if !clean && !c.rebuilt {
		c.checked = true
		if err := checkIntegrity(c.db); err != nil {
			return err
		}
	}
	if err := c.reconcile(); err != nil {
		return fmt.Errorf("cache: reconcile maildirs: %w", err)
	}
	return c.forgetHolders(crashed)
}

// damaged moves the damaged index aside (this process is the only one
// using it) and returns errReplaced, so that Open builds a fresh one.
func (c *Cache) damaged(cause error) error {
	c.closeDB()
	if err := c.moveAside(); err != nil {
		return fmt.Errorf("%w (found: %v)", err, cause)
	}
	c.rebuilt = true
	return errReplaced
}

func (c *Cache) closeDB() {
	c.stmtMu.Lock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	c.stmtMu.Unlock()
	if c.db != nil {
		c.db.Close()
		c.db = nil
	}
}

// Rebuilt reports whether Open found the index damaged and built a new one.
func (c *Cache) Rebuilt() bool { return c.rebuilt }

// Close releases the leases this Cache holds and closes the index. It
// leaves the clean mark only if no other process has the cache open and
// none crashed since the last check (see lease.go). Calling Close again
// does nothing.
func (c *Cache) Close() error {
	c.closeMu.Lock()
	defer c.closeMu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.releaseLeases()
	last, uerr := c.unregister()
	c.stmtMu.Lock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	c.stmtMu.Unlock()
	if err := c.db.Close(); err != nil {
		return err
	}
	if uerr != nil {
		return fmt.Errorf("cache: close: %w", uerr)
	}
	if !last {
		return nil
	}
	return c.putCleanMark()
}

// cleanMark is the file that says the index was closed cleanly; Open
// removes it, Close writes it.
func (c *Cache) cleanMarkPath() string { return filepath.Join(c.dir, "index.clean") }

// readCleanMark reports whether the last session closed the index and
// nothing touched the file since (its size and modification time are
// those the mark recorded: a truncated or overwritten index is checked).
// Open removes the mark once it registered, so that a crash in this
// session leaves none.
func (c *Cache) readCleanMark() bool {
	mark, err := os.ReadFile(c.cleanMarkPath())
	if err != nil {
		return false
	}
	now, err := indexStamp(c.dbPath())
	return err == nil && string(mark) == now
}

func (c *Cache) putCleanMark() error {
	stamp, err := indexStamp(c.dbPath())
	if err != nil {
		return err
	}
	return os.WriteFile(c.cleanMarkPath(), []byte(stamp), fileMode)
}

// indexStamp identifies the index file's state: its size and modification
// time, and whether a write-ahead log is beside it (a clean close leaves
// none).
func indexStamp(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	wal := "no-wal"
	if w, err := os.Stat(path + "-wal"); err == nil && w.Size() > 0 {
		wal = fmt.Sprintf("wal %d", w.Size())
	}
	return fmt.Sprintf("%d %d %s", fi.Size(), fi.ModTime().UnixNano(), wal), nil
}

func (c *Cache) dbPath() string { return filepath.Join(c.dir, dbName) }

// startFresh moves the damaged index aside and opens a new one.
func (c *Cache) startFresh() (*sql.DB, error) {
	if err := c.moveAside(); err != nil {
		return nil, err
	}
	db, err := openIndex(c.dbPath()) // a new, empty file
	if err != nil {
		return nil, fmt.Errorf("cache: fresh index: %w", err)
	}
	c.rebuilt = true
	return db, nil
}

// moveAside moves the damaged index aside and drops the IMAP body files
// (their names are row ids, which a fresh index hands out again).
func (c *Cache) moveAside() error {
	stamp := c.now().UTC().Format("20060102T150405.000000000")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		src := c.dbPath() + suffix
		if _, err := os.Stat(src); err != nil {
			continue
		}
		dst := c.dbPath() + ".damaged-" + stamp + suffix
		if err := os.Rename(src, dst); err != nil {
			return fmt.Errorf("cache: move damaged index aside: %w", err)
		}
	}
	return resetDir(bodiesDir(c.dir))
}

// openIndex opens the database file and migrates it.
func openIndex(path string) (*sql.DB, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("cache: create index: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, fileMode); err != nil {
		return nil, err
	}
	// WAL: readers never wait for the writer. synchronous(NORMAL) may lose
	// the last commits on power loss (not on a crash), which reconcile
	// repairs from the Maildir file names. temp_store(MEMORY) keeps the
	// per-statement journals that the counter triggers need off the disk
	// (3x faster bulk inserts).
	db, err := sql.Open("sqlite", indexDSN(path))
	if err != nil {
		return nil, fmt.Errorf("cache: open index: %w", err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			os.Chmod(path+suffix, fileMode)
		}
	}
	return db, nil
}

// indexDSN is the data source name of the index at path. Its settings
// apply to every connection of the pool (the driver runs them on each
// new connection, busy_timeout first):
//   - busy_timeout(10000): a connection that finds the database locked by
//     another process (or another connection of this one) waits up to 10
//     seconds for it instead of failing with SQLITE_BUSY;
//   - _txlock=immediate: every transaction (db.Begin) is BEGIN IMMEDIATE,
//     which takes the write lock when it starts, where busy_timeout
//     applies. A deferred transaction that reads and then writes would
//     have to upgrade its lock, and an upgrade that conflicts with another
//     writer fails at once with SQLITE_BUSY whatever the timeout.
//     Read-only work does not use transactions.
func indexDSN(path string) string {
	return "file:" + filepath.ToSlash(path) +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_txlock=immediate"
}

// errDamaged marks an index that failed quick_check.
var errDamaged = errors.New("cache: index damaged")

func checkIntegrity(db *sql.DB) error {
	rows, err := db.Query("PRAGMA quick_check")
	if err != nil {
		return fmt.Errorf("cache: quick_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("cache: quick_check: %w", err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cache: quick_check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %v", errDamaged, problems)
	}
	return nil
}

// isDamage reports whether err means the index file is unusable (as
// opposed to, say, a permission problem, which must not discard the index).
func isDamage(err error) bool {
	if errors.Is(err, errDamaged) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
			return true
		}
	}
	return false
}

// isBusy reports whether err is SQLite's "database is locked"
// (SQLITE_BUSY, SQLITE_LOCKED).
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	return false
}

// busyPatience is how long retryBusy keeps trying.
const busyPatience = 30 * time.Second

// retryBusy runs fn until it does not fail with SQLITE_BUSY, for at most
// busyPatience. It is for the steps of Open that can meet another
// process setting up the same index, where SQLite may report
// SQLITE_BUSY without waiting for busy_timeout.
func retryBusy(fn func() error) error {
	deadline := time.Now().Add(busyPatience)
	wait := 2 * time.Millisecond
	for {
		err := fn()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait + time.Duration(rand.Int64N(int64(wait))))
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// minimalParseHeader is the fallback header parser for reconciliation.
func minimalParseHeader(r io.Reader) (postamail.Header, error) {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return postamail.Header{}, err
	}
	var h postamail.Header
	h.Subject = decodeWords(m.Header.Get("Subject"))
	h.MessageID = m.Header.Get("Message-Id")
	h.InReplyTo = m.Header.Get("In-Reply-To")
	h.From = parseAddrs(m.Header.Get("From"))
	h.To = parseAddrs(m.Header.Get("To"))
	h.Cc = parseAddrs(m.Header.Get("Cc"))
	if d, err := mail.ParseDate(m.Header.Get("Date")); err == nil {
		h.Date = d
	}
	return h, nil
}
