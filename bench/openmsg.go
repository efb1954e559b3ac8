package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"time"
)

// bigSubject is the subject of the generated message of size bytes.
func bigSubject(size int) string { return fmt.Sprintf("The big one, %d MB", size>>20) }

// writeBigMessage writes a message of about size bytes to w: a short text
// part, a base64 attachment of 80% of the size and a long
// quoted-printable text part with the rest. date is its Date.
func writeBigMessage(w io.Writer, size int, date time.Time) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("From: Ana García <ana.garcia@example.org>\r\nTo: alice@work.example\r\n" +
		"Subject: " + bigSubject(size) + "\r\nDate: " + date.Format(time.RFC1123Z) + "\r\n" +
		fmt.Sprintf("Message-ID: <big-%d@example.org>\r\n", size) +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BIG\r\n\r\n")
	bw.WriteString("--BIG\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere is the archive.\r\n")
	bw.WriteString("--BIG\r\nContent-Type: application/octet-stream; name=archive.bin\r\n" +
		"Content-Disposition: attachment; filename=archive.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00\x7f\xff", 19))) + "\r\n"
	for n := 0; n < size*8/10; n += len(line) {
		bw.WriteString(line)
	}
	bw.WriteString("--BIG\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	text := "Gr=C3=BC=C3=9Fe aus Z=C3=BCrich, ein langer Absatz, der umbrochen werden muss.\r\n"
	for n := 0; n < size*2/10; n += len(text) {
		bw.WriteString(text)
	}
	bw.WriteString("--BIG--\r\n")
	return bw.Flush()
}

// openStats is what one open cost.
type openStats struct {
	d         time.Duration
	allocated uint64 // bytes allocated in all
	peakHeap  uint64 // most heap in use above what was live before, sampled every millisecond
	held      uint64 // heap still live after it (after a GC), above what was live before
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

// memUse runs fn after a GC and reports its time, the bytes allocated
// meanwhile, the peak heap above what was live before (sampled every
// millisecond by another goroutine, and once at the end), and what is
// still live after a GC once fn returned (what fn's results keep: the
// caller must keep them reachable until memUse returns).
func memUse(fn func() error) (openStats, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	base := heapNow()
	var peak atomic.Uint64
	note := func() {
		if h := heapNow(); h > base && h-base > peak.Load() {
			peak.Store(h - base)
		}
	}
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			note()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	err := fn()
	d := time.Since(start)
	note()
	close(done)
	<-sampled
	runtime.ReadMemStats(&after)
	st := openStats{d: d, allocated: after.TotalAlloc - before.TotalAlloc, peakHeap: peak.Load()}
	runtime.GC()
	if h := heapNow(); h > base {
		st.held = h - base
	}
	return st, err
}
