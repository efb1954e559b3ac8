package ui

import (
	netmail "net/mail"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// senderName is the sender as the index shows it: the name, or the
// address when there is no name or when the address may imitate another
// (sanitize.Address: a lookalike domain in punycode, invisible
// characters shown), so the row never hides a suspicious address behind a
// friendly name.
func senderName(a mail.Address) string {
	addr, warning := sanitize.Address(a.Addr)
	if a.Name == "" || warning != "" {
		return addr
	}
	return sanitize.Line(a.Name)
}

// displayAddresses returns the addresses of a draft as the review screen
// shows them: each that parses with its address as sanitize.Address
// shows it, the others as they are (reviewValue makes them safe). Long
// lists are left alone: reviewValue shows only their count.
func displayAddresses(list []string) []string {
	if len(list) > listAbove {
		return list
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = s
		if len(s) > 1000 {
			continue
		}
		if a, err := netmail.ParseAddress(s); err == nil {
			shown, _ := sanitize.Address(a.Address)
			out[i] = mail.Address{Name: a.Name, Addr: shown}.String()
		}
	}
	return out
}
