package message

import (
	"bufio"
	"bytes"
	"strings"
)

// SignatureSeparator is the line above a signature (RFC 3676 4.3: dash,
// dash, space), which mail readers use to recognise and dim it.
const SignatureSeparator = "-- "

// SignaturePosition says where a reply's signature goes: "below" the
// quoted text (the default, "" too) or "above" it.
type SignaturePosition string

// The positions signature_position may name.
const (
	SignatureBelow SignaturePosition = "below"
	SignatureAbove SignaturePosition = "above"
)

// signatureBlock is sig under its separator, with "\n" line endings.
func signatureBlock(sig string) string {
	sig = strings.TrimRight(strings.ReplaceAll(sig, "\r\n", "\n"), "\n")
	return SignatureSeparator + "\n" + sig
}

// AddSignature puts sig into a new message's or a reply's body, under a
// "-- " line. The body of a new message is empty: the signature comes
// after two blank lines for the text. A reply's body is the quoted text:
// below puts the signature after it (with a blank line to write in),
// above before it (top posting). A body that already has the signature
// (a resumed draft, a message taken back from the outbox) is returned as
// it is, so a signature is never added twice; so is every body when sig
// is empty.
func AddSignature(body, sig string, pos SignaturePosition) string {
	if strings.TrimSpace(sig) == "" || HasSignature(body, sig) {
		return body
	}
	block := signatureBlock(sig)
	switch {
	case strings.TrimSpace(body) == "":
		return "\n\n" + block + "\n"
	case pos == SignatureAbove:
		return "\n\n" + block + "\n\n" + body
	default:
		return strings.TrimRight(body, "\n") + "\n\n\n" + block + "\n"
	}
}

// HasSignature reports whether body holds sig under its separator.
func HasSignature(body, sig string) bool {
	if strings.TrimSpace(sig) == "" {
		return false
	}
	return signatureAt(body, sig) >= 0
}

// signatureAt is where sig's block (separator line included) starts in
// body, -1 when it is not there. The separator must begin a line; a
// separator written without its space by an editor that trims trailing
// space ("--") counts too.
func signatureAt(body, sig string) int {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	sig = strings.TrimRight(strings.ReplaceAll(sig, "\r\n", "\n"), "\n")
	for _, sep := range []string{SignatureSeparator + "\n", "--\n"} {
		block := sep + sig
		for from := 0; from <= len(body); {
			i := strings.Index(body[from:], block)
			if i < 0 {
				break
			}
			i += from
			end := i + len(block)
			if (i == 0 || body[i-1] == '\n') && (end == len(body) || body[end] == '\n') {
				return i
			}
			from = i + 1
		}
	}
	return -1
}

// SwapSignature replaces the signature old with sig in body (switching
// the identity a message is sent from): where old's block was, sig's
// block goes; an empty sig removes old's block with its separator. When
// old is not in body (the user edited it), sig's block is added at the
// end unless body already holds it, so no signature is ever doubled.
func SwapSignature(body, old, sig string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	if strings.TrimSpace(old) != "" {
		if i := signatureAt(body, old); i >= 0 {
			oldSig := strings.TrimRight(strings.ReplaceAll(old, "\r\n", "\n"), "\n")
			sepLen := len(SignatureSeparator) + 1
			if !strings.HasPrefix(body[i:], SignatureSeparator+"\n") {
				sepLen = len("--\n")
			}
			end := i + sepLen + len(oldSig)
			if strings.TrimSpace(sig) == "" {
				head := strings.TrimRight(body[:i], "\n")
				tail := strings.TrimLeft(body[end:], "\n")
				switch {
				case head == "":
					return tail
				case tail == "":
					return head + "\n"
				}
				return head + "\n\n" + tail
			}
			return body[:i] + signatureBlock(sig) + body[end:]
		}
	}
	if strings.TrimSpace(sig) == "" || HasSignature(body, sig) {
		return body
	}
	return strings.TrimRight(body, "\n") + "\n\n" + signatureBlock(sig) + "\n"
}

// AddressedTo returns the bare addresses a message was sent to, in the
// order a reply looks for its sender among them: To, then Cc, then every
// Delivered-To field (which names the mailbox that received it when it
// came through a list or an alias). Only the header of raw is read.
func AddressedTo(raw []byte) []string {
	br := bufio.NewReader(bytes.NewReader(raw))
	th, _ := readHeader(br, func(string) {})
	var out []string
	for _, field := range []string{"To", "Cc"} {
		for _, v := range th.Values(field) {
			for _, a := range addressList(v) {
				if a.Addr != "" {
					out = append(out, a.Addr)
				}
			}
		}
	}
	for _, v := range th.Values("Delivered-To") {
		if v = strings.Trim(strings.TrimSpace(v), "<>"); v != "" {
			out = append(out, v)
		}
	}
	return out
}
