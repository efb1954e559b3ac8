package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"time"

	"github.com/posta-mail/posta/message"
)

// writeBigMessage writes a message of about size bytes to dir: a short
// text part, a base64 attachment of 80% of the size and a long
// quoted-printable text part with the rest.
func writeBigMessage(dir string, size int) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("big-%d.eml", size))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriter(f)
	w.WriteString("From: Ana García <ana.garcia@example.org>\r\nTo: alice@work.example\r\n" +
		"Subject: The big one\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\nMessage-ID: <big@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BIG\r\n\r\n")
	w.WriteString("--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere is the archive.\r\n")
	w.WriteString("--BIG\r\nContent-Type: application/octet-stream; name=archive.bin\r\n" +
		"Content-Disposition: attachment; filename=archive.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00\x7f\xff", 19))) + "\r\n"
	for n := 0; n < size*8/10; n += len(line) {
		w.WriteString(line)
	}
	w.WriteString("--BIG\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	text := "Gr=C3=BC=C3=9Fe aus Z=C3=BCrich, ein langer Absatz, der umbrochen werden muss.\r\n"
	for n := 0; n < size*2/10; n += len(text) {
		w.WriteString(text)
	}
	w.WriteString("--BIG--\r\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// openStats is one open of a message file.
type openStats struct {
	d         time.Duration
	allocated uint64 // bytes allocated in all
	peakHeap  uint64 // most heap in use above what was live before, sampled every 2 ms
}

// heapObjects is the runtime metric of live and not yet swept heap bytes.
const heapObjects = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// openTime renders the message file at path as the pager does and
// reports the time, the bytes allocated and the peak heap doing it.
func openTime(path string) (openStats, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := heapNow()
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if h := heapNow(); h > base && h-base > peak.Load() {
				peak.Store(h - base)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	defer func() { close(done); <-sampled }()
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return openStats{}, err
	}
	defer f.Close()
	res, err := message.Render(f, message.Options{Width: 80})
	d := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		return openStats{d: d}, err
	}
	if len(res.Attachments) != 1 || !strings.Contains(res.Body, "Here is the archive") {
		return openStats{d: d}, fmt.Errorf("render of %s: %d attachments, body %.60q", path, len(res.Attachments), res.Body)
	}
	if h := heapNow(); h > base && h-base > peak.Load() {
		peak.Store(h - base)
	}
	return openStats{d: d, allocated: after.TotalAlloc - before.TotalAlloc, peakHeap: peak.Load()}, nil
}
