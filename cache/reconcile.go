package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/emersion/go-maildir"
	postamail "github.com/posta-mail/posta/mail"
)

// Rebuild rebuilds the index from the Maildirs (`posta cache rebuild`). IMAP
// rows, folder lists and body files are dropped (a resync fetches them
// again); POP3 rows are re-created from the Maildir files, which are never
// deleted. Known UIDLs and the outbox are kept. Message ids change.
func (c *Cache) Rebuild() error {
	c.popMu.Lock()
	err := c.inTx(func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM messages`, `DELETE FROM folders`} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		return nil
	})
	c.unindexed = nil
	c.popMu.Unlock()
	if err != nil {
		return fmt.Errorf("cache: rebuild: %w", err)
	}
	if err := resetDir(bodiesDir(c.dir)); err != nil {
		return err
	}
	if err := c.reconcile(); err != nil {
		return fmt.Errorf("cache: rebuild: %w", err)
	}
	return nil
}

// reconcile brings the index in line with the files in DataDir: every
// Maildir file gets a row (and its UIDL is known), rows follow files that
// moved or changed flags, rows of files that are gone are dropped, and
// outbox files without a row get one back.
func (c *Cache) reconcile() error {
	c.popMu.Lock()
	defer c.popMu.Unlock()
	entries, err := os.ReadDir(c.dataDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		account, ok := unescapeAccount(e.Name())
		if !ok || escapeAccount(account) != e.Name() {
			continue // not a directory posta created
		}
		if err := c.reconcileAccount(account); err != nil {
			return fmt.Errorf("account %q: %w", account, err)
		}
	}
	return c.reconcileOutbox()
}

// maildirFile is one message file found on disk.
type maildirFile struct {
	rel     string // relative to DataDir
	folder  string
	letters string
}

// ensureMaildirs makes the account's Maildirs unless this process has
// made or found them already. The caller holds popMu (or is alone, as
// when reconciling at open).
func (c *Cache) ensureMaildirs(account string) error {
	if c.maildirsOK[account] {
		return nil
	}
	if err := c.initMaildirs(account); err != nil {
		return err
	}
	if c.maildirsOK == nil {
		c.maildirsOK = map[string]bool{}
	}
	c.maildirsOK[account] = true
	return nil
}

func (c *Cache) reconcileAccount(account string) error {
	delete(c.maildirsOK, account) // always looked at again when reconciling
	if err := c.ensureMaildirs(account); err != nil {
		return err
	}
	files, err := c.scanMaildirs(account)
	if err != nil {
		return err
	}
	return c.inTx(func(tx *sql.Tx) error {
		if err := ensureLocalFolders(tx, account); err != nil {
			return err
		}
		rows, err := tx.Query(`SELECT id, maildir_path, flags FROM messages WHERE account = ? AND maildir_path != ''`, account)
		if err != nil {
			return err
		}
		type indexed struct {
			id    int64
			rel   string
			flags postamail.Flags
		}
		byKey := map[string]indexed{}
		for rows.Next() {
			var ix indexed
			var flags string
			if err := rows.Scan(&ix.id, &ix.rel, &flags); err != nil {
				rows.Close()
				return err
			}
			ix.flags = decodeFlags(flags)
			key, _ := splitName(filepath.Base(filepath.FromSlash(ix.rel)))
			byKey[key] = ix
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for key, f := range files {
			ix, ok := byKey[key]
			delete(byKey, key)
			if ok && ix.rel == f.rel {
				continue
			}
			if ok { // moved or renamed, and the index did not follow before a crash
				flags := mergeLetters(ix.flags, f.letters)
				if _, err := tx.Exec(`UPDATE messages SET folder = ?, maildir_path = ?, flags = ?, seen = ? WHERE id = ?`,
					f.folder, f.rel, encodeFlags(flags), flags.Has(postamail.FlagSeen), ix.id); err != nil {
					return err
				}
				continue
			}
			h := c.headerOfFile(filepath.Join(c.dataDir, filepath.FromSlash(f.rel)))
			h.UID = uidlFromKey(key)
			h.Folder = f.folder
			h.Flags = mergeLetters(h.Flags, f.letters)
			if _, err := insertPOPRow(tx, account, f.rel, h); err != nil {
				return err
			}
		}
		for _, gone := range byKey { // file removed outside posta; its UIDL stays known
			if _, err := tx.Exec(`DELETE FROM messages WHERE id = ?`, gone.id); err != nil {
				return err
			}
		}
		return nil
	})
}

func ensureLocalFolders(tx *sql.Tx, account string) error {
	for i, f := range LocalFolders() {
		if _, err := tx.Exec(`INSERT OR IGNORE INTO folders (account, name, role, position) VALUES (?, ?, ?, ?)`,
			account, f.Name, string(f.Role), i); err != nil {
			return err
		}
	}
	return nil
}

// scanMaildirs lists the message files of the account's Maildir and its
// Maildir++ subfolders by key. Files in new/ (delivered by another program)
// are moved to cur/ first, as a Maildir reader must.
func (c *Cache) scanMaildirs(account string) (map[string]maildirFile, error) {
	root := filepath.Join(c.dataDir, escapeAccount(account))
	folders := map[string]string{FolderInbox: escapeAccount(account)}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), ".")
		if e.IsDir() && ok && name != "" {
			folders[name] = filepath.Join(escapeAccount(account), e.Name())
		}
	}
	files := map[string]maildirFile{}
	for folder, rel := range folders {
		dir := filepath.Join(c.dataDir, rel)
		if _, err := os.Stat(filepath.Join(dir, "cur")); err != nil {
			continue
		}
		maildir.Dir(dir).Clean() // stale tmp files of interrupted deliveries; best effort
		if err := moveNewToCur(dir); err != nil {
			return nil, err
		}
		names, err := readNames(filepath.Join(dir, "cur"))
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			key, letters := splitName(name)
			if key == "" {
				continue
			}
			files[key] = maildirFile{rel: filepath.ToSlash(filepath.Join(rel, "cur", name)), folder: folder, letters: letters}
		}
	}
	return files, nil
}

// moveNewToCur moves messages from new/ to cur/ with an empty info part.
func moveNewToCur(dir string) error {
	names, err := readNames(filepath.Join(dir, "new"))
	if err != nil || len(names) == 0 {
		return err
	}
	for _, name := range names {
		key, _ := splitName(name)
		if key == "" {
			continue
		}
		if err := os.Rename(filepath.Join(dir, "new", name), filepath.Join(dir, "cur", key+infoSeparator()+"2,")); err != nil {
			return err
		}
	}
	if err := syncDir(filepath.Join(dir, "cur")); err != nil {
		return err
	}
	return syncDir(filepath.Join(dir, "new"))
}

// readNames lists the regular, non-hidden files of dir.
func readNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// headerOfFile parses a Maildir file's header with Options.ParseHeader;
// a file that cannot be parsed is still indexed, with its size only.
func (c *Cache) headerOfFile(path string) postamail.Header {
	var h postamail.Header
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	if parsed, err := c.safeParse(io.LimitReader(f, 1<<20)); err == nil {
		h = parsed
	}
	if fi, err := f.Stat(); err == nil {
		h.Size = fi.Size()
		if h.Date.IsZero() {
			h.Date = fi.ModTime()
		}
	}
	return h
}

// safeParse runs the parser and turns a panic on hostile content into an error.
func (c *Cache) safeParse(r io.Reader) (h postamail.Header, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cache: header parser panicked: %v", p)
		}
	}()
	return c.parseHeader(r)
}
