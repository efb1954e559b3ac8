package accounts

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// CryptoEngine returns an engine that verifies, decrypts, signs and
// encrypts with the account's keys (crypto settings of its
// [[account]]). noPinentry keeps gpg from asking for a passphrase (the
// reader on a terminal without a graphical display).
func (a *Account) CryptoEngine(noPinentry bool) *mailcrypto.Engine {
	return EngineFor(a.cfg, noPinentry)
}

// EngineFor is [Account.CryptoEngine] for a configured account that is
// not open (posta render, posta keys).
func EngineFor(cfg AccountConfig, noPinentry bool) *mailcrypto.Engine {
	c := cfg.CryptoConfig
	return mailcrypto.New(&mailcrypto.Options{
		GnupgHome:    expandHome(c.GnupgHome),
		Keyring:      expandHome(c.PGPKeyring),
		SMIMECert:    expandHome(c.SMIMECert),
		SMIMEKey:     expandHome(c.SMIMEKey),
		SMIMECertDir: expandHome(c.SMIMECerts),
		CAFile:       expandHome(c.SMIMECAFile),
		NoPinentry:   noPinentry,
	})
}

// CryptoDefaults is how a new message from an account is protected
// before the user changes anything.
type CryptoDefaults struct {
	Sign, Encrypt, SMIME bool
	// Policy is the account's encrypt setting for the chosen protocol:
	// "never", "when-possible" or "always".
	Policy string
}

// CryptoDefaults returns the account's defaults: S/MIME when the account
// asks for S/MIME signing or encryption and not for OpenPGP's.
func (a *Account) CryptoDefaults() CryptoDefaults { return cryptoDefaults(a.cfg.CryptoConfig) }

func cryptoDefaults(c CryptoConfig) CryptoDefaults {
	pgp := c.PGPSign || policy(c.PGPEncrypt) != "never"
	smime := c.SMIMESign || policy(c.SMIMEEncrypt) != "never"
	if smime && !pgp {
		p := policy(c.SMIMEEncrypt)
		return CryptoDefaults{Sign: c.SMIMESign, Encrypt: p != "never", SMIME: true, Policy: p}
	}
	p := policy(c.PGPEncrypt)
	return CryptoDefaults{Sign: c.PGPSign, Encrypt: p != "never", Policy: p}
}

func policy(p string) string {
	if p == "" {
		return "never"
	}
	return p
}

// CryptoRequest is what the composer asks for one message.
type CryptoRequest struct {
	From       string   // the From address (chooses the identity's key)
	Recipients []string // To and Cc addresses
	Hidden     []string // Bcc addresses
	Sign       bool
	Encrypt    bool
	SMIME      bool
	// EncryptByDefault: encryption was not asked for by the user but by
	// the account's "when-possible" default, so it may fall back to
	// clear.
	EncryptByDefault bool
}

// CryptoPlan is what will be done with a message, as the review screen
// shows it before sending. Its strings are sanitized.
type CryptoPlan struct {
	Sign, Encrypt, SMIME bool
	Signer               string                  // the signing key or certificate, as configured ("" = the From address's)
	Missing              []mailcrypto.MissingKey // recipients without a usable key (when encryption was asked for)
	// Fallback: encryption was asked for by the account's
	// "when-possible" and some recipient lacks a key: sent in clear.
	Fallback bool
	// Refuse, when set, says why the message cannot be sent as asked.
	Refuse string
	// Suggest: encryption is off but every recipient can read it
	// (keys, or Autocrypt peers that prefer it).
	Suggest bool
	// Autocrypt: our key goes with the message in an Autocrypt: header.
	Autocrypt bool
	// ProtectedSubject: the Subject is sent as "..." outside.
	ProtectedSubject bool
	// EncryptTo names the recipients' keys encryption uses (at most
	// five, then a count).
	EncryptTo []string
}

// Words says the plan in one line for the review screen.
func (p CryptoPlan) Words() string {
	proto := "OpenPGP"
	if p.SMIME {
		proto = "S/MIME"
	}
	var parts []string
	switch {
	case p.Sign && p.Encrypt:
		parts = append(parts, proto+": signed and encrypted")
	case p.Sign:
		parts = append(parts, proto+": signed, not encrypted")
	case p.Encrypt:
		parts = append(parts, proto+": encrypted, not signed")
	default:
		parts = append(parts, "not signed, not encrypted")
	}
	if p.Sign && p.Signer != "" {
		parts = append(parts, "as "+p.Signer)
	}
	if p.Encrypt && len(p.EncryptTo) > 0 {
		parts = append(parts, "to "+strings.Join(p.EncryptTo, ", ")+" and you")
	}
	if p.Encrypt && p.ProtectedSubject {
		parts = append(parts, `subject hidden ("...")`)
	}
	if p.Fallback {
		parts = append(parts, "sent in clear: no usable key for "+mailcrypto.JoinMissing(p.Missing))
	}
	if p.Suggest {
		parts = append(parts, "every recipient has a key: it can be encrypted")
	}
	if p.Autocrypt {
		parts = append(parts, "Autocrypt header added")
	}
	return strings.Join(parts, "; ")
}

// signingKeys returns the keys configured for from: its identity's, else
// the account's.
func (a *Account) signingKeys(from string) (pgpKey, smimeCert, smimeKey string) {
	c := a.cfg.CryptoConfig
	pgpKey, smimeCert, smimeKey = c.PGPKey, c.SMIMECert, c.SMIMEKey
	for _, id := range a.cfg.Identities {
		if strings.EqualFold(id.Address, from) {
			if id.PGPKey != "" {
				pgpKey = id.PGPKey
			}
			if id.SMIMECert != "" {
				smimeCert, smimeKey = id.SMIMECert, id.SMIMEKey
			}
		}
	}
	return pgpKey, expandHome(smimeCert), expandHome(smimeKey)
}

// peerKeys returns the Autocrypt keys known for addrs.
func (a *Account) peerKeys(addrs []string) (keys map[string][]byte, allMutual bool) {
	keys = map[string][]byte{}
	allMutual = len(addrs) > 0
	for _, addr := range addrs {
		p, ok, err := a.cache.AutocryptPeerOf(a.Name(), addr)
		if err != nil || !ok {
			allMutual = false
			continue
		}
		keys[strings.ToLower(addr)] = p.KeyData
		// Autocrypt's "discourage": a key older than 35 days of mail
		// without it may be gone; it is not suggested.
		stale := p.LastSeen.Sub(p.AutocryptTS) > 35*24*time.Hour
		allMutual = allMutual && p.PreferEncrypt == "mutual" && !stale
	}
	return keys, allMutual
}

// PlanCrypto checks a request against the keys there are (running gpg
// or openssl: call it off the UI goroutine) and the account's policy.
func (a *Account) PlanCrypto(req CryptoRequest, noPinentry bool) CryptoPlan {
	c := a.cfg.CryptoConfig
	p := CryptoPlan{Sign: req.Sign, Encrypt: req.Encrypt, SMIME: req.SMIME}
	pgpKey, smimeCert, _ := a.signingKeys(req.From)
	e := a.CryptoEngine(noPinentry)
	switch {
	case req.SMIME && smimeCert != "":
		p.Signer = clean(filepath.Base(smimeCert))
	case req.SMIME:
		p.Signer = "gpgsm's certificate for " + clean(req.From)
		if _, err := exec.LookPath("gpgsm"); err != nil && req.Sign {
			p.Refuse = "cannot sign with S/MIME: no smime_cert configured and gpgsm is not installed"
		}
	default:
		p.Autocrypt = c.Autocrypt
		if req.Sign {
			p.Signer, p.Refuse = signingKeyName(e, pgpKey, req.From)
		}
	}
	pol, polKey := policy(c.PGPEncrypt), "pgp_encrypt"
	if req.SMIME {
		pol, polKey = policy(c.SMIMEEncrypt), "smime_encrypt"
	}
	w := mailcrypto.Write{SMIME: req.SMIME, Recipients: req.Recipients, Hidden: req.Hidden, Self: req.From}
	allMutual := false
	if !req.SMIME {
		w.Peers, allMutual = a.peerKeys(append(append([]string(nil), req.Recipients...), req.Hidden...))
	}
	switch {
	case p.Refuse != "":
	case req.Encrypt:
		p.ProtectedSubject = c.ProtectedHeaders
		p.Missing = e.Missing(w)
		if len(p.Missing) == 0 {
			p.EncryptTo = encryptionKeys(e, req, w.Peers)
			break
		}
		switch {
		case pol == "always":
			p.Refuse = "this account sends only encrypted mail (" + polKey + " = always), and there is no usable key for " + mailcrypto.JoinMissing(p.Missing)
		case req.EncryptByDefault && pol == "when-possible":
			p.Encrypt, p.Fallback, p.ProtectedSubject = false, true, false
		default:
			p.Refuse = "cannot encrypt: no usable key for " + mailcrypto.JoinMissing(p.Missing)
		}
	case pol == "always":
		p.Refuse = "this account sends only encrypted mail (" + polKey + " = always): turn encryption on"
	case len(req.Recipients)+len(req.Hidden) > 0:
		// Suggested when every recipient prefers it (Autocrypt, recent
		// keys), or gpg holds a valid key for each.
		if !req.SMIME && c.Autocrypt && allMutual {
			p.Suggest = true
		} else if !req.SMIME {
			w.Peers = nil
			p.Suggest = len(e.Missing(w)) == 0
		}
	}
	return p
}

// Protect signs and encrypts a built message as plan says, with the
// keys of req.From, and adds our Autocrypt header when the account
// sends it. The result is what is sent and what Sent keeps.
func (a *Account) Protect(raw []byte, req CryptoRequest, plan CryptoPlan, noPinentry bool) ([]byte, error) {
	if plan.Refuse != "" {
		return nil, &CryptoRefusal{Reason: plan.Refuse}
	}
	e := a.CryptoEngine(noPinentry)
	c := a.cfg.CryptoConfig
	if c.Autocrypt && !plan.SMIME {
		if key := e.OwnKeyData(req.From); key != nil {
			raw = addHeader(raw, mailcrypto.AutocryptHeader(strings.ToLower(req.From), key, policy(c.PGPEncrypt) != "never"))
		}
	}
	if !plan.Sign && !plan.Encrypt {
		return raw, nil
	}
	pgpKey, smimeCert, smimeKey := a.signingKeys(req.From)
	w := mailcrypto.Write{
		Sign: plan.Sign, Encrypt: plan.Encrypt, SMIME: plan.SMIME,
		Recipients: req.Recipients, Hidden: req.Hidden, Self: req.From,
		PGPKey: pgpKey, SMIMECert: smimeCert, SMIMEKey: smimeKey,
		ProtectHeaders: c.ProtectedHeaders,
	}
	if !plan.SMIME {
		w.Peers, _ = a.peerKeys(append(append([]string(nil), req.Recipients...), req.Hidden...))
	}
	return e.Protect(raw, w)
}

// CryptoRefusal is returned by Protect when the plan refuses to send.
type CryptoRefusal struct{ Reason string }

func (r *CryptoRefusal) Error() string { return "not sent: " + r.Reason }

// addHeader puts one header field (with its CRLF) at the top of raw.
func addHeader(raw []byte, field string) []byte {
	out := make([]byte, 0, len(raw)+len(field))
	out = append(out, field...)
	return append(out, raw...)
}

// NoteAutocrypt reads the Autocrypt: header of a message that was opened
// into the account's peer store (Autocrypt Level 1: by the message's
// date, from its single From address). It never fails the caller.
func (a *Account) NoteAutocrypt(raw []byte) {
	noteAutocrypt(a, raw)
}

func noteAutocrypt(a *Account, raw []byte) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return
	}
	from, err := mail.ParseAddressList(h.Get("From"))
	if err != nil || len(from) != 1 || strings.EqualFold(from[0].Address, a.cfg.Address) {
		return
	}
	if strings.Contains(strings.ToLower(h.Get("Content-Type")), "multipart/report") {
		return
	}
	date, err := mail.ParseDate(h.Get("Date"))
	if err != nil {
		return
	}
	addr := strings.ToLower(from[0].Address)
	var found *mailcrypto.Autocrypt
	for _, v := range h.Values("Autocrypt") {
		if ac, ok := mailcrypto.ParseAutocrypt(v); ok && ac.Addr == addr {
			if found != nil {
				return // more than one valid header: none counts
			}
			found = &ac
		}
	}
	if found == nil {
		_ = a.cache.NoteAutocrypt(a.Name(), addr, date, nil, "")
		return
	}
	_ = a.cache.NoteAutocrypt(a.Name(), addr, date, found.KeyData, found.PreferEncrypt)
}

// AutocryptPeer is a correspondent's Autocrypt state, for posta keys.
type AutocryptPeer struct {
	Addr          string    `json:"address"`
	PreferEncrypt string    `json:"prefer_encrypt"`
	LastSeen      time.Time `json:"last_seen"`
	AutocryptTS   time.Time `json:"autocrypt_timestamp"`
	KeyData       []byte    `json:"-"`
}

// AutocryptPeers lists the peers the account has seen Autocrypt keys of.
func (a *Account) AutocryptPeers() ([]AutocryptPeer, error) {
	list, err := a.cache.AutocryptPeers(a.Name())
	if err != nil {
		return nil, err
	}
	out := make([]AutocryptPeer, 0, len(list))
	for _, p := range list {
		if len(p.KeyData) == 0 {
			continue
		}
		out = append(out, AutocryptPeer{Addr: clean(p.Addr), PreferEncrypt: p.PreferEncrypt, LastSeen: p.LastSeen.UTC(), AutocryptTS: p.AutocryptTS.UTC(), KeyData: p.KeyData})
	}
	return out, nil
}

func clean(s string) string { return sanitize.Line(s) }

// expandHome turns a leading "~/" of a key file setting into the home
// folder.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

// EncryptPolicy is the account's encrypt setting for OpenPGP, or for
// S/MIME: "never", "when-possible" or "always".
func (a *Account) EncryptPolicy(smime bool) string {
	if smime {
		return policy(a.cfg.SMIMEEncrypt)
	}
	return policy(a.cfg.PGPEncrypt)
}

// signingKeyName names the OpenPGP key that signs for from (key, when
// configured, else the From address's): its user id and the end of its
// fingerprint; refuse says why there is none.
func signingKeyName(e *mailcrypto.Engine, key, from string) (name, refuse string) {
	pattern := key
	if pattern == "" {
		pattern = "<" + from + ">"
	}
	keys, err := e.ListKeys(pattern)
	if err != nil {
		return "", "cannot sign: " + clean(err.Error())
	}
	for _, k := range keys {
		if k.Secret && k.State != "expired" && k.State != "revoked" {
			fpr := k.Fingerprint
			if len(fpr) > 16 {
				fpr = fpr[len(fpr)-16:]
			}
			uid := ""
			if len(k.UserIDs) > 0 {
				uid = k.UserIDs[0] + " "
			}
			return clean(uid + fpr), ""
		}
	}
	if key != "" {
		return "", "cannot sign: no usable secret key " + clean(key)
	}
	return "", "cannot sign: no usable secret key for " + clean(from) + " (posta keys import, or gpg --quick-gen-key)"
}

// KeepDecrypted makes the decrypted text of an opened message findable
// by search when the account says store_decrypted = true; otherwise (the
// default) decrypted text is never written anywhere. rendered is the
// message as rendered with the account's engine.
func (a *Account) KeepDecrypted(id int64, rendered *message.Rendered) {
	if !a.cfg.StoreDecrypted || rendered == nil {
		return
	}
	for _, e := range rendered.Encryption {
		if e.Decrypted {
			_ = a.cache.IndexBody(id, rendered.Body)
			return
		}
	}
}

// SealDraft encrypts a draft that is to be kept in Drafts to the
// sender's own key (OpenPGP, or S/MIME with smime) when the draft asks
// for encryption, so that what is written to be sent encrypted is not
// kept in clear on the server. Other drafts are returned as they are.
func (a *Account) SealDraft(raw []byte, from string, encrypt, smime, noPinentry bool) ([]byte, error) {
	if !encrypt {
		return raw, nil
	}
	sealed, err := a.CryptoEngine(noPinentry).Protect(raw, mailcrypto.Write{Encrypt: true, SMIME: smime, Self: from})
	if err != nil {
		return nil, fmt.Errorf("the draft is to be encrypted, and cannot be kept encrypted: %w", err)
	}
	return sealed, nil
}

// OpenDraft decrypts a draft kept encrypted by SealDraft (or any
// encrypted message edited as new) into a message the composer can read:
// its outer header with the decrypted entity. A message that is not
// encrypted, or that cannot be decrypted, is returned as it is.
func (a *Account) OpenDraft(raw []byte, noPinentry bool) []byte {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return raw
	}
	typ, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		return raw
	}
	var protocol string
	var data []byte
	switch typ {
	case "multipart/encrypted":
		protocol = strings.ToLower(params["protocol"])
		mr := multipart.NewReader(br, params["boundary"])
		for i := 0; i < 2; i++ {
			p, err := mr.NextRawPart()
			if err != nil {
				return raw
			}
			if i == 1 {
				data, _ = io.ReadAll(io.LimitReader(p, 64<<20))
			}
		}
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		protocol = "application/pkcs7-mime"
		body, _ := io.ReadAll(io.LimitReader(br, 64<<20))
		if strings.EqualFold(strings.TrimSpace(h.Get("Content-Transfer-Encoding")), "base64") {
			if data, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(body)), "")); err != nil {
				return raw
			}
		} else {
			data = body
		}
	default:
		return raw
	}
	plain, _, _ := a.CryptoEngine(noPinentry).Decrypt(protocol, data)
	if plain == nil {
		return raw
	}
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Description"} {
		h.Del(k)
	}
	var b bytes.Buffer
	_ = textproto.WriteHeader(&b, h)
	out := bytes.TrimSuffix(b.Bytes(), []byte("\r\n"))
	return append(append([]byte(nil), out...), plain...)
}

// noteAutocryptHeader is noteAutocrypt for a message whose header has an
// Autocrypt field, as bodies are fetched and prefetched during sync: a
// message without one costs no write.
func noteAutocryptHeader(a *Account, raw []byte) {
	head := raw
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		head = raw[:i+2]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		head = raw[:i+1]
	}
	if len(head) > 256<<10 {
		head = head[:256<<10]
	}
	if bytes.Contains(bytes.ToLower(head), []byte("\nautocrypt:")) || bytes.HasPrefix(bytes.ToLower(head), []byte("autocrypt:")) {
		noteAutocrypt(a, raw)
	}
}

// encryptionKeys names the key each recipient is encrypted to: gpg's
// (the end of its fingerprint), an Autocrypt key, or a certificate.
func encryptionKeys(e *mailcrypto.Engine, req CryptoRequest, peers map[string][]byte) []string {
	all := append(append([]string(nil), req.Recipients...), req.Hidden...)
	var out []string
	for i, addr := range all {
		if i == 5 {
			out = append(out, fmt.Sprintf("%d more", len(all)-5))
			break
		}
		name := clean(addr)
		switch {
		case req.SMIME:
			name += " (certificate)"
		case len(peers[strings.ToLower(addr)]) > 0 && len(e.MissingPGPKeys([]string{addr}, nil)) > 0:
			name += " (Autocrypt key)"
		default:
			if keys, _ := e.ListKeys("<" + addr + ">"); len(keys) > 0 {
				fpr := keys[0].Fingerprint
				name += " (" + fpr[max(len(fpr)-16, 0):] + ")"
			}
		}
		out = append(out, name)
	}
	return out
}
