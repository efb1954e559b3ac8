package mailcrypto

import (
	"fmt"
	"strings"

	"github.com/posta-mail/posta/sanitize"
)

// Signature states, as [Signature.State] holds them.
const (
	Good       = "good"        // the signature verifies with a known key
	Bad        = "bad"         // the signed content was changed, or the signature is forged
	UnknownKey = "unknown-key" // the key that made it is not in the keyring
	ExpiredKey = "expired-key" // good, but made with a key that has expired
	RevokedKey = "revoked-key" // good, but made with a key that was revoked
	ExpiredSig = "expired"     // good, but the signature itself has expired
	Error      = "error"       // could not be checked (no program, a failure)
)

// Signature is what a verification found. Its strings are sanitized for
// the terminal (they come from keys and signatures, so from the sender).
type Signature struct {
	Protocol string   `json:"protocol"`         // "OpenPGP" or "S/MIME"
	State    string   `json:"state"`            // one of Good, Bad, UnknownKey, ...
	Signer   string   `json:"signer,omitempty"` // the key's user id or the certificate's subject
	Key      string   `json:"key,omitempty"`    // fingerprint or key id
	Trust    string   `json:"trust,omitempty"`  // OpenPGP: "ultimate", "full", "marginal", "never", "undefined"; S/MIME: "verified" or "unverified"
	Emails   []string `json:"emails,omitempty"` // every address the key or certificate names, lower case
	Detail   string   `json:"detail,omitempty"` // the program's reason when it failed
	Inline   bool     `json:"inline,omitempty"` // an inline (ASCII armored) signature in a text part
	Covers   string   `json:"covers"`           // "message" (all of it) or "part" (set by the message package)
	Parts    []int    `json:"parts,omitempty"`  // the attachment indexes the signature covers, for "part"
	FromOK   bool     `json:"matches_from"`     // the From address of the signed message is one of Emails
	From     string   `json:"from,omitempty"`   // that From address
}

// Encryption is what a decryption found.
type Encryption struct {
	Protocol   string   `json:"protocol"`
	Decrypted  bool     `json:"decrypted"`
	Recipients []string `json:"recipients"`       // the keys it was encrypted to (user id when known, else key id)
	Detail     string   `json:"detail,omitempty"` // why it could not be decrypted
	Inline     bool     `json:"inline,omitempty"`
	Covers     string   `json:"covers"` // "message" or "part" (set by the message package)
}

// Words says what the signature means, in one line for the pager.
func (s *Signature) Words() string {
	var b strings.Builder
	kind := s.Protocol + " signature"
	if s.Inline {
		kind = "inline " + kind
	}
	who := s.Signer
	if who == "" {
		who = "key " + orUnknown(s.Key)
	} else if s.Key != "" {
		who += " (key " + s.Key + ")"
	}
	switch s.State {
	case Good:
		fmt.Fprintf(&b, "Good %s from %s", kind, who)
		switch s.Trust {
		case "never":
			b.WriteString(", a key you marked as not trusted")
		case "undefined", "unverified", "":
			b.WriteString(", a key not verified as belonging to its owner")
		}
	case Bad:
		fmt.Fprintf(&b, "BAD %s from %s: the content was changed after signing or the signature is forged", kind, who)
	case UnknownKey:
		fmt.Fprintf(&b, "Unverified %s: the signing key %s is not in your keyring", kind, orUnknown(s.Key))
	case ExpiredKey:
		fmt.Fprintf(&b, "%s from %s, whose key has EXPIRED", capital(kind), who)
	case RevokedKey:
		fmt.Fprintf(&b, "%s from %s, whose key was REVOKED", capital(kind), who)
	case ExpiredSig:
		fmt.Fprintf(&b, "EXPIRED %s from %s", kind, who)
	default:
		fmt.Fprintf(&b, "%s could not be checked", capital(kind))
	}
	if s.Detail != "" {
		b.WriteString(" (" + s.Detail + ")")
	}
	if s.State != UnknownKey && s.State != Error && s.From != "" {
		if s.FromOK {
			b.WriteString("; signer matches From " + s.From)
			if s.Covers == "part" {
				b.WriteString(" of the signed part")
			}
		} else {
			b.WriteString("; signer does NOT match From " + s.From)
		}
	}
	if s.Covers == "part" {
		b.WriteString("; it covers only part of this message")
		if len(s.Parts) > 0 {
			ps := make([]string, len(s.Parts))
			for i, p := range s.Parts {
				ps[i] = fmt.Sprint(p)
			}
			b.WriteString(" (parts " + strings.Join(ps, ", ") + ")")
		}
	} else if s.Covers == "message" {
		b.WriteString("; it covers the whole message")
	}
	return sanitize.Line(b.String())
}

// Words says what the encryption means, in one line for the pager.
func (e *Encryption) Words() string {
	var b strings.Builder
	kind := "Encrypted (" + e.Protocol
	if e.Inline {
		kind += ", inline"
	}
	kind += ")"
	b.WriteString(kind)
	if len(e.Recipients) > 0 {
		b.WriteString(" to " + strings.Join(e.Recipients, ", "))
	}
	if e.Covers == "part" {
		b.WriteString("; only a part of this message is encrypted")
	}
	if e.Decrypted {
		b.WriteString("; decrypted for display only, never stored")
	} else {
		b.WriteString("; NOT decrypted")
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		}
	}
	return sanitize.Line(b.String())
}

// Alarming reports whether the signature deserves a warning colour: it
// is not good, its signer is not From, or it covers only a part.
func (s *Signature) Alarming() bool {
	return s.State != Good || (s.From != "" && !s.FromOK) || s.Covers == "part"
}

// Alarming reports whether the encryption deserves a warning colour: it
// could not be decrypted.
func (e *Encryption) Alarming() bool { return !e.Decrypted }

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// clean makes a string from a key or a signature safe to show.
func clean(s string) string { return sanitize.Line(strings.TrimSpace(s)) }
