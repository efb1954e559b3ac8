package mailcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// MissingKey is a recipient that has no key posta would encrypt to, and
// why. Both strings are sanitized.
type MissingKey struct {
	Addr   string `json:"address"`
	Reason string `json:"reason"`
}

func (m MissingKey) String() string { return m.Addr + " (" + m.Reason + ")" }

// JoinMissing says who lacks a key, in one line.
func JoinMissing(ms []MissingKey) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.String()
	}
	return strings.Join(s, ", ")
}

// MissingPGPKeys returns the addresses among addrs for which there is no
// OpenPGP key to encrypt to: with gpg, a key in the keyring that names
// the address, can encrypt, has not expired nor been revoked and is
// valid (certified by you, or your own); without gpg, a key in the
// built-in keyring. Addresses in peers (Autocrypt keys, keyed by lower
// case address) always have one.
func (e *Engine) MissingPGPKeys(addrs []string, peers map[string][]byte) []MissingKey {
	var ask []string
	for _, a := range addrs {
		if len(peers[strings.ToLower(a)]) == 0 {
			ask = append(ask, a)
		}
	}
	if len(ask) == 0 {
		return nil
	}
	var found map[string]string // address → "" (usable) or why not
	if e.useBuiltin() || (e.opts.Keyring != "" && !e.hasGPG()) {
		found = e.builtinKeyState(ask)
	} else if e.hasGPG() {
		found = e.gpgKeyState(ask)
	} else {
		found = map[string]string{}
	}
	var out []MissingKey
	for _, a := range ask {
		reason, ok := found[strings.ToLower(a)]
		if !ok {
			reason = "no key"
		}
		if reason != "" {
			out = append(out, MissingKey{Addr: clean(a), Reason: reason})
		}
	}
	return out
}

func (e *Engine) hasGPG() bool {
	gpg, _ := e.Available()
	return gpg
}

// gpgKeyState lists the keys of addrs in gpg's keyring: for each address
// "" when one key is usable for encryption, else why none is.
func (e *Engine) gpgKeyState(addrs []string) map[string]string {
	args := []string{"--fixed-list-mode", "--list-keys", "--"}
	for _, a := range addrs {
		args = append(args, "<"+a+">")
	}
	out, _, _, _ := e.gpgRun(nil, args...)
	state := map[string]string{}
	note := func(addr, why string) {
		if prev, ok := state[addr]; ok && prev == "" {
			return // one usable key is enough
		}
		state[addr] = why
	}
	var keyWhy string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 12 {
			continue
		}
		switch f[0] {
		case "pub":
			keyWhy = ""
			switch {
			case f[1] == "r":
				keyWhy = "key revoked"
			case f[1] == "e":
				keyWhy = "key expired"
			case f[1] == "d" || f[1] == "i":
				keyWhy = "key disabled or invalid"
			case !strings.Contains(f[11], "E"):
				keyWhy = "key cannot encrypt (no valid encryption subkey)"
			}
		case "uid":
			addr := uidAddress(unescapeColons(f[9]))
			if addr == "" {
				continue
			}
			why := keyWhy
			if why == "" {
				switch f[1] {
				case "f", "u":
				case "r":
					why = "user id revoked"
				case "e":
					why = "key expired"
				default:
					why = "key not verified: certify it (gpg --lsign-key) to encrypt to it"
				}
			}
			note(addr, why)
		}
	}
	return state
}

// uidAddress is the lower case address of an OpenPGP user id.
func uidAddress(uid string) string {
	if a, err := mail.ParseAddress(uid); err == nil {
		return strings.ToLower(a.Address)
	}
	if i, j := strings.LastIndex(uid, "<"), strings.LastIndex(uid, ">"); i >= 0 && j > i {
		return strings.ToLower(uid[i+1 : j])
	}
	if strings.Contains(uid, "@") && !strings.ContainsAny(uid, " <>") {
		return strings.ToLower(uid)
	}
	return ""
}

// builtinKeyState is gpgKeyState for the built-in keyring.
func (e *Engine) builtinKeyState(addrs []string) map[string]string {
	kr, err := e.keyring()
	state := map[string]string{}
	if err != nil {
		return state
	}
	now := time.Now()
	want := map[string]bool{}
	for _, a := range addrs {
		want[strings.ToLower(a)] = true
	}
	for _, ent := range kr {
		for _, id := range ent.Identities {
			addr := uidAddress(id.Name)
			if prev, ok := state[addr]; !want[addr] || ok && prev == "" {
				continue
			}
			if _, ok := ent.EncryptionKey(now); ok {
				state[addr] = ""
			} else if ent.Revoked(now) {
				state[addr] = "key revoked"
			} else {
				state[addr] = "key expired or cannot encrypt"
			}
		}
	}
	return state
}

// KeyInfo is one key as posta keys list shows it; strings sanitized.
type KeyInfo struct {
	Fingerprint string   `json:"fingerprint"`
	UserIDs     []string `json:"user_ids"`
	Secret      bool     `json:"secret"`
	State       string   `json:"state"` // "valid", "expired", "revoked", "not verified"
	Expires     string   `json:"expires,omitempty"`
}

// Builtin reports whether OpenPGP keys are kept in the built-in keyring
// file (gpg is not installed) rather than gpg's.
func (e *Engine) Builtin() bool { return !e.hasGPG() }

// ErrNoKeyring is returned when gpg is not installed and no keyring file
// is configured.
var ErrNoKeyring = errors.New("gpg is not installed and no pgp_keyring file is configured")

// ListKeys lists the OpenPGP keys: gpg's (public, and which have a
// secret part), or the built-in keyring's.
func (e *Engine) ListKeys(patterns ...string) ([]KeyInfo, error) {
	if !e.hasGPG() {
		return e.builtinList(patterns)
	}
	secret := map[string]bool{}
	sout, _, _, _ := e.gpgRun(nil, append([]string{"--fixed-list-mode", "--list-secret-keys", "--"}, patterns...)...)
	for _, fpr := range fingerprints(sout, "sec") {
		secret[fpr] = true
	}
	out, _, human, err := e.gpgRun(nil, append([]string{"--fixed-list-mode", "--list-keys", "--"}, patterns...)...)
	if err != nil && len(out) == 0 {
		if len(patterns) > 0 {
			return nil, nil
		}
		return nil, errors.New(programFailure("gpg", err, human))
	}
	var keys []KeyInfo
	var cur *KeyInfo
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 10 {
			continue
		}
		switch f[0] {
		case "pub":
			keys = append(keys, KeyInfo{State: validityWord(f[1]), Expires: unixDate(f[6])})
			cur = &keys[len(keys)-1]
		case "fpr":
			if cur != nil && cur.Fingerprint == "" {
				cur.Fingerprint = clean(f[9])
				cur.Secret = secret[f[9]]
			}
		case "uid":
			if cur != nil {
				cur.UserIDs = append(cur.UserIDs, clean(unescapeColons(f[9])))
			}
		}
	}
	return keys, nil
}

func fingerprints(colons []byte, after string) []string {
	var out []string
	take := false
	for _, line := range strings.Split(string(colons), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 10 {
			continue
		}
		if f[0] == after {
			take = true
		} else if f[0] == "fpr" && take {
			out = append(out, f[9])
			take = false
		}
	}
	return out
}

func validityWord(v string) string {
	switch v {
	case "f", "u":
		return "valid"
	case "e":
		return "expired"
	case "r":
		return "revoked"
	case "d", "i":
		return "invalid"
	}
	return "not verified"
}

func unixDate(s string) string {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n == 0 {
		return ""
	}
	return time.Unix(n, 0).UTC().Format("2006-01-02")
}

func (e *Engine) builtinList(patterns []string) ([]KeyInfo, error) {
	if e.opts.Keyring == "" {
		return nil, ErrNoKeyring
	}
	kr, err := e.keyring()
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", e.opts.Keyring, err)
	}
	now := time.Now()
	var keys []KeyInfo
	for _, ent := range kr {
		k := KeyInfo{Fingerprint: strings.ToUpper(fmt.Sprintf("%x", ent.PrimaryKey.Fingerprint)), Secret: ent.PrivateKey != nil, State: "valid"}
		for _, id := range ent.Identities {
			k.UserIDs = append(k.UserIDs, clean(id.Name))
		}
		sort.Strings(k.UserIDs)
		switch {
		case ent.Revoked(now):
			k.State = "revoked"
		case !entityAlive(ent, now):
			k.State = "expired"
		}
		if !matches(k, patterns) {
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func entityAlive(ent *openpgp.Entity, now time.Time) bool {
	_, ok := ent.SigningKey(now)
	_, ok2 := ent.EncryptionKey(now)
	return ok || ok2
}

func matches(k KeyInfo, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		p = strings.ToLower(strings.Trim(p, "<>"))
		if strings.HasSuffix(strings.ToLower(k.Fingerprint), strings.TrimPrefix(p, "0x")) {
			return true
		}
		for _, u := range k.UserIDs {
			if strings.Contains(strings.ToLower(u), p) {
				return true
			}
		}
	}
	return false
}

// ImportKeys adds the OpenPGP keys in data (armored or binary) to gpg's
// keyring, or to the built-in keyring file. It says what was imported.
func (e *Engine) ImportKeys(data []byte) (string, error) {
	if e.hasGPG() {
		_, status, human, err := e.gpgRun(data, "--import", "--import-options", "import-clean")
		n, secret := 0, 0
		for _, f := range status {
			switch f[0] {
			case "IMPORT_RES":
				fmt.Sscan(field(f, 3), &n)
				fmt.Sscan(field(f, 11), &secret)
			}
		}
		if err != nil && n == 0 {
			return "", errors.New(programFailure("gpg", err, human))
		}
		return fmt.Sprintf("%d key(s) imported into gpg's keyring, %d secret", n, secret), nil
	}
	if e.opts.Keyring == "" {
		return "", ErrNoKeyring
	}
	in, err := readKeys(data)
	if err != nil {
		return "", fmt.Errorf("not an OpenPGP key: %w", err)
	}
	have, err := e.keyring()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	byFpr := map[string]int{}
	for i, ent := range have {
		byFpr[string(ent.PrimaryKey.Fingerprint)] = i
	}
	added := 0
	for _, ent := range in {
		if i, ok := byFpr[string(ent.PrimaryKey.Fingerprint)]; ok {
			if ent.PrivateKey != nil && have[i].PrivateKey == nil {
				have[i] = ent
			}
			continue
		}
		have = append(have, ent)
		added++
	}
	if err := writeKeyring(e.opts.Keyring, have); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d key(s) added to %s", added, clean(e.opts.Keyring)), nil
}

// readKeys reads armored (one or several blocks) or binary keys.
func readKeys(data []byte) (openpgp.EntityList, error) {
	list, err := parseKeys(data)
	if err == nil && len(list) == 0 {
		err = errors.New("no key found")
	}
	return list, err
}

// writeKeyring writes entities as armored blocks, secret keys in full,
// readable by the owner alone.
func writeKeyring(path string, list openpgp.EntityList) error {
	var b bytes.Buffer
	for _, ent := range list {
		typ := openpgp.PublicKeyType
		if ent.PrivateKey != nil {
			typ = openpgp.PrivateKeyType
		}
		w, err := armor.Encode(&b, typ, nil)
		if err != nil {
			return err
		}
		if ent.PrivateKey != nil {
			err = ent.SerializePrivateWithoutSigning(w, nil)
		} else {
			err = ent.Serialize(w)
		}
		if err != nil {
			return err
		}
		w.Close()
		b.WriteString("\n")
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ExportKeys writes the public keys that match patterns (all when none),
// armored.
func (e *Engine) ExportKeys(patterns ...string) ([]byte, error) {
	if e.hasGPG() {
		out, _, human, err := e.gpgRun(nil, append([]string{"--armor", "--export", "--"}, patterns...)...)
		if err != nil {
			return nil, errors.New(programFailure("gpg", err, human))
		}
		if len(out) == 0 {
			return nil, errors.New("no key matches")
		}
		return out, nil
	}
	if e.opts.Keyring == "" {
		return nil, ErrNoKeyring
	}
	kr, err := e.keyring()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	n := 0
	for _, ent := range kr {
		info := KeyInfo{Fingerprint: strings.ToUpper(fmt.Sprintf("%x", ent.PrimaryKey.Fingerprint))}
		for _, id := range ent.Identities {
			info.UserIDs = append(info.UserIDs, id.Name)
		}
		if !matches(info, patterns) {
			continue
		}
		w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
		if err != nil {
			return nil, err
		}
		if err := ent.Serialize(w); err != nil {
			return nil, err
		}
		w.Close()
		b.WriteString("\n")
		n++
	}
	if n == 0 {
		return nil, errors.New("no key matches")
	}
	return b.Bytes(), nil
}

// OwnKeyData is the binary public key of addr as Autocrypt sends it
// (gpg's export-minimal: the key, its user ids for addr, the encryption
// subkey), nil when there is none.
func (e *Engine) OwnKeyData(addr string) []byte {
	if e.hasGPG() {
		out, _, _, err := e.gpgRun(nil, "--export", "--export-options", "export-minimal", "--export-filter", "keep-uid=mbox="+strings.ToLower(addr), "--", "<"+addr+">")
		if err != nil || len(out) == 0 {
			return nil
		}
		return out
	}
	if e.opts.Keyring == "" {
		return nil
	}
	kr, err := e.keyring()
	if err != nil {
		return nil
	}
	for _, ent := range kr {
		for _, id := range ent.Identities {
			if uidAddress(id.Name) == strings.ToLower(addr) && ent.PrivateKey != nil {
				var b bytes.Buffer
				if ent.Serialize(&b) == nil {
					return b.Bytes()
				}
			}
		}
	}
	return nil
}
