package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// # Several posta processes on one cache
//
// The reader, `posta sync` from cron and `posta outbox flush` may run at
// the same time on the same Dir and DataDir. SQLite (WAL, busy_timeout,
// BEGIN IMMEDIATE for every write transaction: see indexDSN) serialises
// their writes; this file adds what SQLite cannot know:
//
//   - holders: every open Cache has a row (Open adds it, Close removes
//     it). A row whose process is gone means that process crashed.
//   - leases: named locks between processes, with an expiry, held by one
//     process at a time (AcquireLease; the open gate below).
//
// A process is identified by its pid and host name. WAL needs shared
// memory, so every process using one index runs on one host, and there
// a row's process is alive if its pid is (pidAlive). A pid can be
// reused by an unrelated program after a crash; a lease's expiry bounds
// that for leases, and for holders the worst outcome is that no clean
// mark is written (the next lone Open checks the index: slower, never
// wrong).
//
// # Open, Close and the clean mark
//
// Open takes the "open" lease (the gate), waiting while another live
// process holds it, then registers itself as a holder. If no other live
// process holds the cache, it is alone: only then does it take the
// clean mark, run the integrity check unless the mark and the absence
// of crashed holders allow skipping it, rebuild a damaged index, repair
// the index from the Maildirs (reconcile) and forget crashed holders.
// Then it releases the gate. A process opening while others run skips
// all that: they did it when they opened, and running it again could
// move the index or rewrite rows under their feet.
//
// Close removes its holder row and, only if no row is left (no process
// is open, none crashed since the last check), leaves the clean mark.
// So one process closing while another runs leaves no mark, and a later
// crash of the other leaves its row behind: the next lone Open checks.

const (
	gateLease = "cache:open"
	// gateTTL bounds how long a crashed or hung opener can block the
	// others (a live one is waited for: its pid says so).
	gateTTL = 10 * time.Minute
	// gatePatience is how long Open waits for another process's Open.
	gatePatience = 2 * time.Minute
)

// ErrLeaseHeld is matched by errors.Is for every *LeaseHeldError.
var ErrLeaseHeld = errors.New("cache: lease held by another posta process")

// LeaseHeldError says that a live posta process holds a lease.
type LeaseHeldError struct {
	Name    string    // the lease
	Holder  string    // the holder id (pid, host and a unique suffix)
	PID     int       // the process that holds it
	Host    string    // its host name
	Expires time.Time // when it runs out unless renewed
	// Self is set when the holder is this process (another Cache or
	// another AcquireLease of this one).
	Self bool
}

func (e *LeaseHeldError) Error() string {
	who := fmt.Sprintf("another posta process (pid %d)", e.PID)
	if e.Self {
		who = "this posta process"
	}
	return fmt.Sprintf("cache: %q is held by %s", e.Name, who)
}

// Is makes errors.Is(err, ErrLeaseHeld) true.
func (e *LeaseHeldError) Is(target error) bool { return target == ErrLeaseHeld }

// AcquireLease takes the lease name, a lock shared by every posta process
// using this cache, for ttl. The account engine takes "sync:<account>"
// around a sync, so a second process skips the account instead of
// fetching the same mail:
//
//	release, _, err := c.AcquireLease("sync:"+name, 10*time.Minute)
//	var held *cache.LeaseHeldError
//	if errors.As(err, &held) {
//		// "account X: another posta process (pid held.PID) is syncing it; skipped"
//	}
//	defer release()
//
// The lease is held until release is called (at most once matters;
// later calls do nothing), the Cache is closed, or the process dies: a
// goroutine renews it every ttl/3, so work longer than ttl keeps it. A
// lease whose process is gone is free at once, whatever its expiry; one
// that was not renewed for ttl (a hung or stopped process, a reused
// pid) is free after ttl.
//
// On success holder is the id the lease is held under (pid, host and a
// unique suffix). If a live process holds the lease, err is a
// *LeaseHeldError (errors.Is(err, ErrLeaseHeld)) that says which pid,
// holder is that holder's id and release is nil. A lease is not
// re-entrant: a second AcquireLease of the same name in this process
// fails too, with LeaseHeldError.Self set. Any goroutine may call it.
func (c *Cache) AcquireLease(name string, ttl time.Duration) (release func(), holder string, err error) {
	if name == "" {
		return nil, "", errors.New("cache: lease: empty name")
	}
	if ttl < 100*time.Millisecond {
		return nil, "", fmt.Errorf("cache: lease %q: ttl %v too short", name, ttl)
	}
	holder = c.newHolderID()
	if err := c.takeLease(name, holder, ttl); err != nil {
		var held *LeaseHeldError
		if errors.As(err, &held) {
			return nil, held.Holder, err
		}
		return nil, "", fmt.Errorf("cache: lease %q: %w", name, err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go c.renewLease(name, holder, ttl, stop, done)
	var once sync.Once
	release = func() {
		once.Do(func() {
			close(stop)
			<-done
			c.leaseMu.Lock()
			delete(c.leases, holder)
			c.leaseMu.Unlock()
			c.dropLease(name, holder)
		})
	}
	c.leaseMu.Lock()
	if c.leases == nil {
		c.leases = map[string]func(){}
	}
	c.leases[holder] = release
	c.leaseMu.Unlock()
	return release, holder, nil
}

// releaseLeases gives back every lease AcquireLease handed out; Close
// calls it.
func (c *Cache) releaseLeases() {
	c.leaseMu.Lock()
	var all []func()
	for _, r := range c.leases {
		all = append(all, r)
	}
	c.leaseMu.Unlock()
	for _, r := range all {
		r()
	}
}

// newHolderID returns an id unique to one lease acquisition.
func (c *Cache) newHolderID() string {
	c.leaseMu.Lock()
	defer c.leaseMu.Unlock()
	c.leaseSeq++
	return fmt.Sprintf("%s#%d", c.token, c.leaseSeq)
}

// takeLease writes holder into the lease name unless a live process
// holds it (then it returns a *LeaseHeldError).
func (c *Cache) takeLease(name, holder string, ttl time.Duration) error {
	now := c.now()
	return retryBusy(func() error {
		return c.inTx(func(tx *sql.Tx) error {
			var cur LeaseHeldError
			var expires int64
			err := tx.QueryRow(`SELECT holder, pid, host, expires FROM leases WHERE name = ?`, name).
				Scan(&cur.Holder, &cur.PID, &cur.Host, &expires)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case expires > now.UnixMilli() && c.processAlive(cur.PID, cur.Host):
				cur.Name = name
				cur.Expires = time.UnixMilli(expires)
				cur.Self = cur.PID == c.pid && cur.Host == c.host
				return &cur
			}
			_, err = tx.Exec(`INSERT INTO leases (name, holder, pid, host, expires) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, pid = excluded.pid,
					host = excluded.host, expires = excluded.expires`,
				name, holder, c.pid, c.host, now.Add(ttl).UnixMilli())
			return err
		})
	})
}

// renewLease extends the lease every ttl/3 until stop is closed or the
// lease was lost (taken over after it expired).
func (c *Cache) renewLease(name, holder string, ttl time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		res, err := c.db.Exec(`UPDATE leases SET expires = ? WHERE name = ? AND holder = ?`,
			c.now().Add(ttl).UnixMilli(), name, holder)
		if err != nil {
			continue // busy or closing: the next tick tries again
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return
		}
	}
}

func (c *Cache) dropLease(name, holder string) error {
	return retryBusy(func() error {
		_, err := c.db.Exec(`DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
		return err
	})
}

// waitGate takes the open gate, waiting while another live process holds
// it for at most gatePatience. replaced reports whether the index file
// was replaced meanwhile (another process rebuilt it): then waitGate
// returns errReplaced and Open starts again on the new file.
func (c *Cache) waitGate(replaced func() bool) (holder string, err error) {
	holder = c.newHolderID()
	deadline := time.Now().Add(gatePatience)
	wait := 2 * time.Millisecond
	for {
		if replaced() {
			return "", errReplaced
		}
		err := c.takeLease(gateLease, holder, gateTTL)
		var held *LeaseHeldError
		if !errors.As(err, &held) {
			return holder, err
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("cache: another posta process (pid %d) is still opening the cache", held.PID)
		}
		time.Sleep(wait)
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// errReplaced means the index file changed under Open (see waitGate).
var errReplaced = errors.New("cache: index replaced by another process")

// holderState is what register found.
type holderState struct {
	alone   bool     // no other live process has the cache open
	crashed []string // tokens of holders whose process is gone
}

// register adds this Cache to the holders and reports the others.
func (c *Cache) register() (holderState, error) {
	var st holderState
	err := retryBusy(func() error {
		st = holderState{alone: true}
		return c.inTx(func(tx *sql.Tx) error {
			rows, err := tx.Query(`SELECT token, pid, host FROM holders`)
			if err != nil {
				return err
			}
			for rows.Next() {
				var token, host string
				var pid int
				if err := rows.Scan(&token, &pid, &host); err != nil {
					rows.Close()
					return err
				}
				if c.processAlive(pid, host) {
					st.alone = false
				} else {
					st.crashed = append(st.crashed, token)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			_, err = tx.Exec(`INSERT INTO holders (token, pid, host, opened) VALUES (?, ?, ?, ?)`,
				c.token, c.pid, c.host, c.now().Unix())
			return err
		})
	})
	return st, err
}

// forgetHolders removes the rows of crashed holders once the index was
// checked and repaired after them.
func (c *Cache) forgetHolders(tokens []string) error {
	return retryBusy(func() error {
		return c.inTx(func(tx *sql.Tx) error {
			for _, t := range tokens {
				if _, err := tx.Exec(`DELETE FROM holders WHERE token = ?`, t); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// unregister removes this Cache from the holders and reports whether
// none is left: no other process has the cache open and none crashed
// since the last check.
func (c *Cache) unregister() (last bool, err error) {
	err = retryBusy(func() error {
		return c.inTx(func(tx *sql.Tx) error {
			if _, err := tx.Exec(`DELETE FROM holders WHERE token = ?`, c.token); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM holders`).Scan(&n); err != nil {
				return err
			}
			last = n == 0
			return nil
		})
	})
	return last, err
}

// processAlive reports whether the process pid on host may still run. On
// another host it cannot tell and says yes (expiry decides for leases).
func (c *Cache) processAlive(pid int, host string) bool {
	if host != c.host {
		return true
	}
	if pid == c.pid {
		return true
	}
	return pidAlive(pid)
}

// pidAlive reports whether a process with this pid exists. On Unix a
// zombie (exited, not yet reaped by its parent) counts as alive; on
// Windows a process that exited while something still holds a handle to
// it may too.
func pidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false // Windows: no such process
	}
	defer p.Release()
	if runtime.GOOS == "windows" {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processToken names this open Cache in holders, leases and outbox claims.
func processToken(pid int, host string) string {
	return fmt.Sprintf("%d@%s/%s", pid, host, randomHex(4))
}
