package ui

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/message"
)

// openedGrace is how long a copy made to open an attachment outlives the
// opener: xdg-open, open and rundll32 often return as soon as they have
// handed the file to its application, which reads it a moment later.
const openedGrace = time.Minute

// openedFiles are the private folders holding copies of attachments
// opened with o. Each is removed once its viewer is done with it, and
// all that remain when posta quits. A nil *openedFiles removes nothing.
// Its methods may be called from any goroutine.
type openedFiles struct {
	mu   sync.Mutex
	dirs map[string]bool
}

func newOpenedFiles() *openedFiles { return &openedFiles{dirs: map[string]bool{}} }

func (o *openedFiles) add(dir string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	o.dirs[dir] = true
	o.mu.Unlock()
}

// remove deletes dir if it is still one of o's.
func (o *openedFiles) remove(dir string) {
	if o == nil {
		return
	}
	o.mu.Lock()
	mine := o.dirs[dir]
	delete(o.dirs, dir)
	o.mu.Unlock()
	if mine {
		os.RemoveAll(dir)
	}
}

// removeAll deletes every folder left.
func (o *openedFiles) removeAll() {
	if o == nil {
		return
	}
	o.mu.Lock()
	dirs := o.dirs
	o.dirs = map[string]bool{}
	o.mu.Unlock()
	for dir := range dirs {
		os.RemoveAll(dir)
	}
}

// openAttachmentCmd saves a private temporary copy of attachment index
// of raw and hands it to the opener (openerArgv in posta), without a
// shell. The copy is removed grace after the opener exits, or when
// posta quits (opened.removeAll), whichever comes first.
func openAttachmentCmd(raw []byte, crypto message.Crypto, index int, opened *openedFiles, opener func(string) []string, grace time.Duration) tea.Cmd {
	return func() tea.Msg {
		dir, err := os.MkdirTemp("", "posta-open-")
		if err != nil {
			return attachmentDoneMsg{err: err}
		}
		opened.add(dir)
		path, err := message.SaveAttachmentWith(bytes.NewReader(raw), index, dir, crypto)
		if err != nil {
			opened.remove(dir)
			return attachmentDoneMsg{err: err}
		}
		quarantine(path)
		argv := opener(path)
		cmd := exec.Command(argv[0], argv[1:]...)
		if err := cmd.Start(); err != nil {
			opened.remove(dir)
			return attachmentDoneMsg{path: path, err: fmt.Errorf("open with %s: %w", argv[0], err)}
		}
		go func() {
			cmd.Wait()
			time.Sleep(grace)
			opened.remove(dir)
		}()
		return attachmentDoneMsg{path: path, opened: true}
	}
}

// quarantine marks a copy as downloaded on macOS, so that Gatekeeper
// checks it before it runs. Elsewhere it does nothing.
func quarantine(path string) {
	if runtime.GOOS != "darwin" {
		return
	}
	value := fmt.Sprintf("0081;%x;posta;", time.Now().Unix())
	exec.Command("xattr", "-w", "com.apple.quarantine", value, path).Run()
}

// riskyExtensions are the file types that run as programs or scripts, or
// run scripts, when an opener hands them to their application.
var riskyExtensions = map[string]bool{
	".sh": true, ".bash": true, ".zsh": true, ".command": true, ".desktop": true,
	".exe": true, ".com": true, ".bat": true, ".cmd": true, ".scr": true, ".pif": true,
	".msi": true, ".lnk": true, ".ps1": true, ".psm1": true, ".reg": true, ".cpl": true,
	".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".wsf": true, ".wsh": true, ".hta": true,
	".html": true, ".htm": true, ".xhtml": true, ".svg": true, ".svgz": true,
	".jar": true, ".app": true, ".pkg": true, ".dmg": true, ".apk": true,
	".py": true, ".pl": true, ".rb": true, ".php": true, ".appimage": true, ".run": true, ".bin": true,
}

// riskyTypes are the content types of the same.
var riskyTypes = []string{
	"application/x-sh", "application/x-shellscript", "text/x-shellscript", "application/x-msdownload",
	"application/x-msdos-program", "application/x-ms-installer", "application/x-executable",
	"application/vnd.microsoft.portable-executable", "application/javascript", "text/javascript",
	"application/x-javascript", "text/vbscript", "text/html", "application/xhtml+xml", "image/svg+xml",
	"application/java-archive", "application/x-desktop", "application/hta",
}

// riskyAttachment says whether opening a runs a program or a script, by
// its name or its type: then posta asks first.
func riskyAttachment(a message.Attachment) bool {
	name := strings.ToLower(strings.TrimRight(a.Name, ". "))
	if riskyExtensions[filepath.Ext(name)] {
		return true
	}
	ct := strings.ToLower(a.ContentType)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for _, t := range riskyTypes {
		if ct == t {
			return true
		}
	}
	return false
}

// attachment returns the attachment numbered n of the message shown.
func (p *pager) attachment(n int) (message.Attachment, bool) {
	if p.rendered == nil {
		return message.Attachment{}, false
	}
	for _, a := range p.rendered.Attachments {
		if a.Index == n {
			return a, true
		}
	}
	return message.Attachment{}, false
}
