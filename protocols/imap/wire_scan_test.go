package imap

import (
	"fmt"
	"testing"
)

// FuzzScannerPlainRun: the scanner that skips runs of plain bytes
// (plainRun) ends in the same state, with the same error, as the one that
// looks at every byte, however the input is cut into reads.
func FuzzScannerPlainRun(f *testing.F) {
	f.Add([]byte("* 1 FETCH (UID 9 FLAGS (\\Seen) INTERNALDATE \"01-Jan-2026 10:00:00 +0000\" RFC822.SIZE 120 BODY[HEADER.FIELDS (SUBJECT FROM)] {20}\r\nSubject: hi\r\nFrom: \r\n)\r\nT1 OK done\r\n"), 7)
	f.Add([]byte("* SEARCH 1 2 3 9 4\r\n* 2 FETCH (UID 10 BODY[] {5}\r\nabcde)\r\n"), 3)
	f.Add([]byte("* OK [ALERT] \"quoted \\\" ( { string\" (((((((( {99999999999}\r\n"), 1)
	f.Add([]byte("* NO [OVERQUOTA] Mailbox \"INBOX\" is 95% full\r\n* ok [alert] Maintenance at 22:00 UTC; \x1b[2Jback at 23:00\r\nT3 OK done\r\n"), 4)
	f.Add([]byte("* 3 FETCH (ENVELOPE (\"a\\\\\" \"b\\\"c\" NIL ((\"x\" NIL \"y\" \"z\"))))\r\n"), 64)
	f.Add([]byte("* 4 FETCH (UID 12 FLAGS () INTERNALDATE \"01-Jan-2026\" ENVELOPE (\"a\\\\\" \"b\\\"c ( {3}\" NIL)\r\n"), 5)
	f.Fuzz(func(t *testing.T, data []byte, cut int) {
		if cut <= 0 {
			cut = 1
		}
		// The state compared is the scanner's and the alerts handed on.
		run := func(data []byte, fast bool, step int) (string, string) {
			var alerts []string
			w := &wire{addr: "server", maxUntagged: 50, onAlert: func(text string) { alerts = append(alerts, text) }}
			w.fetchLimit.Store(5)
			s := scanner{byteByByte: !fast}
			err := s.feedIn(w, data, step)
			s.byteByByte = false
			if err != nil {
				return fmt.Sprintf("%+v %q", s, alerts), err.Error()
			}
			return fmt.Sprintf("%+v %q", s, alerts), ""
		}
		// Every prefix (up to 512 bytes of them), so that a state the
		// end of a line resets is compared too.
		ends := []int{len(data)}
		for i := 1; i < len(data) && i <= 512; i++ {
			ends = append(ends, i)
		}
		for _, end := range ends {
			in := data[:end]
			wantState, wantErr := run(in, false, 1)
			for _, step := range []int{len(in) + 1, cut, 1} {
				gotState, gotErr := run(in, true, step)
				if gotErr != wantErr {
					t.Fatalf("%d bytes in reads of %d: error %q, byte by byte %q", end, step, gotErr, wantErr)
				}
				if wantErr == "" && gotState != wantState {
					t.Fatalf("%d bytes in reads of %d: state %s, byte by byte %s", end, step, gotState, wantState)
				}
			}
		}
	})
}

// BenchmarkScannerFetchLines feeds the answer to a header fetch of 500
// messages, in 4 KiB reads as go-imap asks for them.
func BenchmarkScannerFetchLines(b *testing.B) {
	var data []byte
	for i := range 500 {
		hdr := "Subject: a message\r\nFrom: Someone <someone@example.org>\r\nDate: Mon, 1 Jan 2026 10:00:00 +0000\r\n\r\n"
		data = fmt.Appendf(data, "* %d FETCH (UID %d FLAGS (\\Seen) INTERNALDATE \"01-Jan-2026 10:00:00 +0000\" RFC822.SIZE 4120 BODY[HEADER.FIELDS (SUBJECT FROM TO CC DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE CONTENT-DISPOSITION)] {%d}\r\n%s)\r\n", i+1, i+1, len(hdr), hdr)
	}
	data = append(data, "T9 OK done\r\n"...)
	for _, fast := range []bool{false, true} {
		b.Run(fmt.Sprintf("plainRun=%v", fast), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				w := &wire{addr: "server", maxUntagged: maxUntagged}
				s := scanner{byteByByte: !fast}
				if err := s.feedIn(w, data, 4096); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// feedIn feeds data to s in reads of step bytes (the last one shorter),
// as a connection may cut it, and stops at the first error.
func (s *scanner) feedIn(w *wire, data []byte, step int) error {
	for p := data; len(p) > 0; {
		n := min(step, len(p))
		if err := s.feed(w, p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}
