package imap

import "bytes"

// A server tells the user things in untagged responses that belong to no
// command: "* OK [ALERT] text", which RFC 3501 (7.1) says must be shown
// to the user so as to catch their attention, and "* NO text", a warning
// (a mailbox near its quota). go-imap reads both and drops their text,
// so the wire's scanner keeps it as the line goes by, up to
// maxAlertBytes of each, and hands it to Options.OnAlert when the line
// ends. The text is the server's, raw: whoever shows it passes it
// through sanitize. A server's alert in answer to a command (tagged)
// comes as that command's error instead.

// maxAlertBytes bounds the text kept of one alert.
const maxAlertBytes = 300

var (
	alertHead   = []byte("* OK [ALERT]")
	warningHead = []byte("* NO ")
)

// headGrew follows the bytes added just now to the line's start (head):
// an alert's text takes them, and a line whose start may still turn out
// to be an alert's is looked at again.
func (s *scanner) headGrew(added []byte) {
	if s.alert {
		s.keepAlert(added)
	} else if s.nhead-len(added) < len(alertHead) {
		s.checkAlert()
	}
}

// checkAlert starts keeping the line's text when its start, in head,
// shows an alert or a warning.
func (s *scanner) checkAlert() {
	h := s.head[:s.nhead]
	if len(h) < len(warningHead) || h[0] != '*' || h[2]|0x20 != 'o' && h[2]|0x20 != 'n' {
		return // most lines: "* 12 FETCH", a tagged answer
	}
	switch {
	case bytes.EqualFold(h[:len(warningHead)], warningHead):
		s.alert = true
		s.keepAlert(h[len(warningHead):])
	case len(h) >= len(alertHead) && bytes.EqualFold(h[:len(alertHead)], alertHead):
		s.alert = true
		s.keepAlert(h[len(alertHead):])
	}
}

// keepAlert adds p to the alert's text, up to maxAlertBytes.
func (s *scanner) keepAlert(p []byte) {
	if room := maxAlertBytes - len(s.alertText); room > 0 {
		s.alertText = append(s.alertText, p[:min(len(p), room)]...)
	}
}

// alertEnded hands the text of an alert line that ended, its line break
// and surrounding blanks cut off, to onAlert (none: it is dropped).
func (w *wire) alertEnded(text []byte) {
	if w.onAlert != nil {
		w.onAlert(string(bytes.TrimSpace(text)))
	}
}
