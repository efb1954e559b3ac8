package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/message"
)

// withAttachment is a message with one attachment named name.
func withAttachment(t *testing.T, name string) ([]byte, *message.Rendered) {
	t.Helper()
	raw := []byte("From: eve@example.org\r\nTo: bob@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n\r\n" +
		"#!/bin/sh\r\necho hi\r\n--b--\r\n")
	r, err := message.Render(bytes.NewReader(raw), message.Options{})
	if err != nil || len(r.Attachments) != 1 {
		t.Fatalf("Render: %v, %d attachments", err, len(r.Attachments))
	}
	return raw, r
}

// openedDir runs an open command with opener and returns the folder of
// the copy it made.
func openedDir(t *testing.T, cmd tea.Cmd) string {
	t.Helper()
	msg, ok := cmd().(attachmentDoneMsg)
	if !ok || msg.err != nil || !msg.opened {
		t.Fatalf("open: %+v", msg)
	}
	return filepath.Dir(msg.path)
}

func gone(path string, within time.Duration) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return true
		}
	}
	return false
}

// TestOpenedCopiesAreRemoved: the copy made to open an attachment goes
// once the viewer exits (after the grace), and at quit if it is still
// open.
func TestOpenedCopiesAreRemoved(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	raw, r := withAttachment(t, "report.pdf")
	n := r.Attachments[0].Index
	opened := newOpenedFiles()

	quick := func(path string) []string { return []string{"/bin/sh", "-c", "test -f \"$0\"", path} }
	dir := openedDir(t, openAttachmentCmd(raw, nil, n, opened, quick, 0))
	if !gone(dir, 5*time.Second) {
		t.Errorf("%s is still there after the viewer exited", dir)
	}

	slow := func(path string) []string { return []string{"/bin/sh", "-c", "sleep 5", path} }
	dir = openedDir(t, openAttachmentCmd(raw, nil, n, opened, slow, time.Hour))
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the copy is gone while its viewer runs: %v", err)
	}
	Model{cancel: func() {}, opened: opened}.Quit()
	if !gone(dir, time.Second) {
		t.Errorf("%s is still there after quit", dir)
	}
}

func TestRiskyAttachment(t *testing.T) {
	for _, tt := range []struct {
		name, ct string
		want     bool
	}{
		{"invoice.pdf", "application/pdf", false},
		{"photo.JPG", "image/jpeg", false},
		{"run.sh", "application/octet-stream", true},
		{"invoice.pdf.exe", "application/pdf", true},
		{"setup.EXE.", "", true},
		{"page.html", "", true},
		{"logo.svg", "", true},
		{"a.desktop", "", true},
		{"noext", "text/html; charset=utf-8", true},
		{"tool.jar", "", true},
	} {
		if got := riskyAttachment(message.Attachment{Name: tt.name, ContentType: tt.ct}); got != tt.want {
			t.Errorf("riskyAttachment(%q, %q) = %v, want %v", tt.name, tt.ct, got, tt.want)
		}
	}
}

// TestOpeningAScriptAsksFirst: o on a script asks, and only "y" opens it.
func TestOpeningAScriptAsksFirst(t *testing.T) {
	raw, r := withAttachment(t, "invoice.sh")
	n := r.Attachments[0].Index
	m := Model{}
	m.pager.raw, m.pager.rendered = raw, r
	m.prompt = newPrompt(promptOpenAttachment, "Open attachment number: ", "2")
	m.prompt.input.SetValue(strconv.Itoa(n))
	next, cmd := m.submitPrompt()
	got := next.(Model)
	if got.prompt.kind != promptOpenRisky || got.prompt.attachment != n {
		t.Fatalf("o on a script did not ask: prompt %v, cmd %v", got.prompt.kind, cmd != nil)
	}
	if !strings.Contains(got.prompt.input.Prompt, "invoice.sh") {
		t.Errorf("the question does not name the file: %q", got.prompt.input.Prompt)
	}
	got.prompt.input.SetValue("n")
	next, cmd = got.submitPrompt()
	if cmd != nil || next.(Model).status != "Not opened" {
		t.Errorf("answering n opened it (status %q)", next.(Model).status)
	}
}
