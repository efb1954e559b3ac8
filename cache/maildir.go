package cache

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-maildir"
	postamail "github.com/posta-mail/posta/mail"
)

// The local folders of a POP3 account. Inbox is the Maildir's root; the
// others are Maildir++ subfolders (.Sent, .Drafts, ...).
const (
	FolderInbox   = "INBOX"
	FolderSent    = "Sent"
	FolderDrafts  = "Drafts"
	FolderArchive = "Archive"
	FolderTrash   = "Trash"
)

// LocalFolders returns the folders of a POP3 account's Maildir.
func LocalFolders() []postamail.Folder {
	return []postamail.Folder{
		{Name: FolderInbox, Role: postamail.RoleInbox},
		{Name: FolderSent, Role: postamail.RoleSent},
		{Name: FolderDrafts, Role: postamail.RoleDrafts},
		{Name: FolderArchive, Role: postamail.RoleArchive},
		{Name: FolderTrash, Role: postamail.RoleTrash},
	}
}

// localFolder returns the canonical spelling of a local folder name.
func localFolder(name string) (string, bool) {
	if strings.EqualFold(name, "INBOX") {
		return FolderInbox, true
	}
	for _, f := range LocalFolders() {
		if strings.EqualFold(f.Name, name) {
			return f.Name, true
		}
	}
	return "", false
}

// infoSeparator separates a Maildir key from its flags (as go-maildir does:
// ':' is not allowed in Windows file names).
func infoSeparator() string {
	if runtime.GOOS == "windows" {
		return ";"
	}
	return ":"
}

// escapeAccount turns an account name into a safe, reversible directory name.
func escapeAccount(account string) string {
	var b strings.Builder
	for i := 0; i < len(account); i++ {
		ch := account[i]
		safe := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			strings.IndexByte("-_@+", ch) >= 0 || ch == '.' && i > 0
		if safe {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

func unescapeAccount(dir string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(dir); i++ {
		if dir[i] != '%' {
			b.WriteByte(dir[i])
			continue
		}
		if i+2 >= len(dir) {
			return "", false
		}
		v, err := hex.DecodeString(dir[i+1 : i+3])
		if err != nil {
			return "", false
		}
		b.Write(v)
		i += 2
	}
	return b.String(), true
}

// folderRel is a local folder's Maildir path relative to DataDir.
func folderRel(account, folder string) string {
	if folder == FolderInbox {
		return escapeAccount(account)
	}
	return filepath.Join(escapeAccount(account), "."+folder)
}

// initMaildirs creates the account's Maildir and its local subfolders, 0700.
func (c *Cache) initMaildirs(account string) error {
	if err := mkdirPrivate(filepath.Join(c.dataDir, escapeAccount(account))); err != nil {
		return err
	}
	for _, f := range LocalFolders() {
		dir := filepath.Join(c.dataDir, folderRel(account, f.Name))
		if err := maildir.Dir(dir).Init(); err != nil {
			return fmt.Errorf("cache: maildir: %w", err)
		}
		for _, sub := range []string{"", "tmp", "new", "cur"} {
			if err := os.Chmod(filepath.Join(dir, sub), dirMode); err != nil {
				return fmt.Errorf("cache: maildir: %w", err)
			}
		}
	}
	return nil
}

// newKey returns a unique Maildir key that carries the POP3 UIDL, so that a
// file which landed before a crash is recognised on the next Open.
// It is made for every message a POP3 download stores: appended by hand,
// not formatted (fmt.Sprintf was 3% of a 10,000-message download's CPU).
func (c *Cache) newKey(uidl string) string {
	now := c.now()
	host := keyHost()
	b := make([]byte, 0, 64+len(host)+2*len(uidl))
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, ".M"...)
	b = strconv.AppendInt(b, int64(now.Nanosecond()/1000), 10)
	b = append(b, 'P')
	b = strconv.AppendInt(b, int64(processID), 10)
	b = append(b, 'Q')
	b = strconv.AppendUint(b, atomic.AddUint64(&c.deliveries, 1), 10)
	b = append(b, 'R')
	b = append(b, randomHex(4)...)
	b = append(b, '.')
	b = append(b, host...)
	b = append(b, ",U="...)
	b = hex.AppendEncode(b, []byte(uidl))
	return string(b)
}

// processID is this process's id, for Maildir keys (os.Getpid is a
// system call each time).
var processID = os.Getpid()

// keyHost is the host name part of Maildir keys, read once (os.Hostname
// opens and reads a file: one more file operation per delivered message).
var keyHost = sync.OnceValue(func() string {
	host, _ := os.Hostname()
	return hostPart(host)
})

// maxKeyHost bounds the host name in a Maildir key. The rest of a file's
// name is up to 200 characters: the UIDL in hex (140 for the 70 that RFC
// 1939 allows, the most the POP3 fetcher accepts), the time, process,
// delivery counter and random part, and the flags. With Linux's longest
// host name (64) that was 260, above the 255 most file systems allow: a
// message of that server could never be stored.
const maxKeyHost = 32

// hostPart is host as a Maildir key's host part: letters, digits and
// dashes, at most maxKeyHost of them.
func hostPart(host string) string {
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, host)
	if len(host) > maxKeyHost {
		host = host[:maxKeyHost]
	}
	if host == "" {
		host = "localhost"
	}
	return host
}

// uidlFromKey extracts the UIDL stored by newKey ("" if the key has none).
func uidlFromKey(key string) string {
	i := strings.LastIndex(key, ",U=")
	if i < 0 {
		return ""
	}
	v := key[i+3:]
	if j := strings.IndexByte(v, ','); j >= 0 {
		v = v[:j]
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) == 0 {
		return ""
	}
	return string(b)
}

// splitName splits a Maildir file name into key and flag letters.
func splitName(name string) (key, letters string) {
	sep := infoSeparator()
	key, info, ok := strings.Cut(name, sep)
	if !ok {
		return name, ""
	}
	if rest, ok := strings.CutPrefix(info, "2,"); ok {
		return key, rest
	}
	return key, ""
}

func fileName(key string, flags postamail.Flags) string {
	return key + infoSeparator() + "2," + flagLetters(flags)
}

var letterFlags = []struct {
	letter maildir.Flag
	flag   postamail.Flag
}{
	{maildir.FlagDraft, postamail.FlagDraft},
	{maildir.FlagFlagged, postamail.FlagFlagged},
	{maildir.FlagPassed, "$Forwarded"},
	{maildir.FlagReplied, postamail.FlagAnswered},
	{maildir.FlagSeen, postamail.FlagSeen},
	{maildir.FlagTrashed, postamail.FlagDeleted},
}

// flagLetters encodes the flags a Maildir file name can carry, sorted.
func flagLetters(f postamail.Flags) string {
	var out []byte
	for _, lf := range letterFlags {
		if f.Has(lf.flag) {
			out = append(out, byte(lf.letter))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return string(out)
}

// mergeLetters returns keep's flags that no letter encodes (keywords) plus
// the flags encoded by letters.
func mergeLetters(keep postamail.Flags, letters string) postamail.Flags {
	out := postamail.Flags{}
	for _, f := range keep {
		encodable := false
		for _, lf := range letterFlags {
			if strings.EqualFold(string(f), string(lf.flag)) {
				encodable = true
			}
		}
		if !encodable {
			out = append(out, f)
		}
	}
	for _, lf := range letterFlags {
		if strings.ContainsRune(letters, rune(lf.letter)) {
			out = out.With(lf.flag)
		}
	}
	return out
}

// folderFromRel returns the folder of a Maildir file path relative to
// DataDir: "<account>/cur/x" is Inbox, "<account>/.Sent/cur/x" is Sent.
func folderFromRel(rel string) string {
	dir := filepath.Base(filepath.Dir(filepath.Dir(filepath.FromSlash(rel))))
	if name, ok := strings.CutPrefix(dir, "."); ok && name != "" {
		return name
	}
	return FolderInbox
}

// maildirFile returns the path of the Maildir file whose maildir_path is
// rel, or an error when rel would lead out of the data folder: an index
// that was tampered with must not make posta read, move or delete other
// files.
func (c *Cache) maildirFile(rel string) (string, error) {
	rel = filepath.FromSlash(rel)
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("cache: maildir path %q leaves the data folder", rel)
	}
	return filepath.Join(c.dataDir, rel), nil
}
