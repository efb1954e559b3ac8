package message

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/posta-mail/posta/sanitize"
)

// ErrNoSuchPart is returned by [SaveAttachment] when the message has no
// part with the requested index.
var ErrNoSuchPart = errors.New("message: no such part")

const maxNameBytes = 200

// SaveAttachment writes the decoded content of part index (an
// [Attachment.Index]) of the raw message into dir and returns the path of
// the new file. The file name is the sanitized base name of the part; an
// existing file is never overwritten (" (1)", " (2)", … is added instead),
// the file is created with mode 0600, and it is always directly inside
// dir. On error no partial file is left behind.
func SaveAttachment(raw io.Reader, index int, dir string) (path string, err error) {
	return SaveAttachmentWith(raw, index, dir, nil)
}

// SaveAttachmentWith is [SaveAttachment] on the message as [Render] with
// [Options.Crypto] c shows it: its indexes count the parts of decrypted
// content, and those parts can be saved. Use the Crypto the message was
// rendered with, or the indexes may name other parts.
func SaveAttachmentWith(raw io.Reader, index int, dir string, c Crypto) (path string, err error) {
	if index <= 0 {
		return "", ErrNoSuchPart
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("message: save attachment: %w", err)
	}
	w := newWalker(0)
	w.crypto = c
	w.saveIndex = index
	found := false
	w.save = func(n *node, r io.Reader) error {
		found = true
		path, err = writeExclusive(dir, safeName(n.displayName(), n.number), r)
		return err
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				w.saveErr = fmt.Errorf("message: save attachment: internal error: %v", p)
			}
		}()
		w.parseMessage(raw, 0)
	}()
	if w.saveErr != nil {
		if path != "" {
			os.Remove(path)
		}
		return "", w.saveErr
	}
	if !found {
		return "", ErrNoSuchPart
	}
	return path, nil
}

// writeExclusive creates a new file named name (or a numbered variant) in
// dir and copies r into it.
func writeExclusive(dir, name string, r io.Reader) (string, error) {
	ext := filepath.Ext(name)
	if len(ext) > 16 || ext == name {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		candidate := name
		if i > 0 {
			candidate = stem + " (" + strconv.Itoa(i) + ")" + ext
		}
		path := filepath.Join(dir, candidate)
		if filepath.Dir(path) != filepath.Clean(dir) {
			return "", fmt.Errorf("message: save attachment: unsafe name %q", candidate)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("message: save attachment: %w", err)
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return "", fmt.Errorf("message: save attachment: %w", err)
		}
		return path, nil
	}
	return "", fmt.Errorf("message: save attachment: too many files named %q", name)
}

// safeName turns an attachment name from a message into a harmless base
// file name: no directories, no control, bidi or invisible characters, no
// characters Windows forbids, no leading dots (hidden files), no trailing
// dots or spaces, no Windows device names, at most 200 bytes. An empty
// result becomes "part-N".
func safeName(name string, number int) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if sanitize.Invisible(r) {
			return -1 // not shown as <U+XXXX> in a file name
		}
		return r
	}, name)
	var b strings.Builder
	for _, r := range sanitize.Line(name) {
		switch {
		case r >= 0x2400 && r <= 0x2426, r == utf8.RuneError:
			// a control character made visible: drop it from file names
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), " .")
	name = strings.TrimLeft(name, ".- ")
	// The cut comes before the device check (cutting "CON   …x.txt"
	// leaves "CON.txt"), and the "_" that check adds must fit too.
	name = cutName(name, maxNameBytes)
	if isWindowsDevice(name) {
		name = "_" + cutName(name, maxNameBytes-1)
	}
	if name == "" {
		name = "part-" + strconv.Itoa(number)
	}
	return name
}

// cutName shortens name to at most limit bytes at a character boundary,
// keeping a short extension.
func cutName(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	cut := limit - len(ext)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return strings.TrimRight(name[:cut], " .") + ext
}

// isWindowsDevice reports whether name (with any extension) is a reserved
// DOS device name such as CON or LPT1.txt.
func isWindowsDevice(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) {
		return stem[3] >= '0' && stem[3] <= '9'
	}
	if strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT") {
		switch stem[3:] {
		case "¹", "²", "³":
			return true
		}
	}
	return false
}
