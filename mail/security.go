package mail

import (
	"mime"
	"strings"
)

// Security says what a message's top-level Content-Type shows of signing
// and encryption, for the index's marks. It is known without the body:
// inline PGP inside a text part is found only when the message is opened.
type Security uint8

const (
	// Signed: multipart/signed (PGP/MIME or S/MIME), or S/MIME
	// application/pkcs7-mime signed-data.
	Signed Security = 1 << iota
	// Encrypted: multipart/encrypted (PGP/MIME), or S/MIME
	// application/pkcs7-mime enveloped-data (or authEnveloped-data).
	Encrypted
)

// Has reports whether s includes x.
func (s Security) Has(x Security) bool { return s&x != 0 }

// SecurityOf reads a top-level Content-Type field value.
func SecurityOf(contentType string) Security {
	// The type is what comes before the parameters, as
	// mime.ParseMediaType reads it (also when a bad parameter fails the
	// whole parse); only S/MIME's types need the parameters, and parsing
	// them for every message was a twentieth of decoding a header.
	base, _, _ := strings.Cut(contentType, ";")
	typ := strings.ToLower(strings.TrimSpace(base))
	if typ != "application/pkcs7-mime" && typ != "application/x-pkcs7-mime" {
		return SecurityOfType(typ, "", "")
	}
	_, params, _ := mime.ParseMediaType(contentType)
	return SecurityOfType(typ, params["smime-type"], params["name"])
}

// SecurityOfType reads a media type already split from its parameters
// (IMAP's BODYSTRUCTURE gives it so): smimeType is the smime-type
// parameter and name the name parameter, which old S/MIME senders use
// instead (smime.p7m).
func SecurityOfType(typ, smimeType, name string) Security {
	typ = strings.ToLower(typ)
	switch typ {
	case "multipart/signed":
		return Signed
	case "multipart/encrypted":
		return Encrypted
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		switch strings.ToLower(smimeType) {
		case "signed-data":
			return Signed
		case "enveloped-data", "authenveloped-data":
			return Encrypted
		}
		if strings.EqualFold(name, "smime.p7s") {
			return Signed
		}
		return Encrypted // smime.p7m without smime-type: enveloped, in practice
	}
	return 0
}
