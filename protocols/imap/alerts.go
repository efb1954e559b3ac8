package imap

import "bytes"

// A server tells the user things in untagged responses that belong to no
// command: "* OK [ALERT] text", which RFC 3501 (7.1) says must be shown
// to the user so as to catch their attention, and "* NO text", a warning
// (a mailbox near its quota). go-imap reads both and drops their text,
// so the wire's scanner keeps it as the line goes by: up to
// maxAlertBytes of each, up to maxAlerts not yet taken by Alerts (or
// hands each to Options.OnAlert). The text is the server's, raw: whoever
// shows it passes it through sanitize.

const (
	// maxAlertBytes bounds the text kept of one alert.
	maxAlertBytes = 300
	// maxAlerts bounds the alerts kept until Alerts takes them; later
	// ones are dropped.
	maxAlerts = 8
)

var (
	alertHead   = []byte("* OK [ALERT]")
	warningHead = []byte("* NO ")
)

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

func (s *scanner) keepAlertByte(b byte) {
	if len(s.alertText) < maxAlertBytes {
		s.alertText = append(s.alertText, b)
	}
}

// addAlert keeps the text of an alert line that ended (its line break
// and surrounding blanks cut off), unless maxAlerts wait already, or
// hands it to onAlert.
func (w *wire) addAlert(text []byte) {
	text = bytes.TrimSpace(text)
	if w.onAlert != nil {
		w.onAlert(string(text))
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.alerts) < maxAlerts {
		w.alerts = append(w.alerts, string(text))
	}
}

// takeAlerts returns the alerts kept and forgets them.
func (w *wire) takeAlerts() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := w.alerts
	w.alerts = nil
	return a
}

// Alerts returns what the server said to the user since the last call,
// oldest first: the text of each untagged OK [ALERT] (after the code)
// and of each untagged NO, raw and cut at maxAlertBytes. A server's
// alert in answer to a command (tagged) comes as that command's error
// instead. With Options.OnAlert set, it has nothing to return.
func (f *Fetcher) Alerts() []string {
	if f.wire == nil {
		return nil
	}
	return f.wire.takeAlerts()
}
