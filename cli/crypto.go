package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// cryptoEngine verifies and decrypts messages shown by render with the
// keys of the --account (or default) account's configuration: gnupg_home
// (else GNUPGHOME or ~/.gnupg) and openssl; smime_key, smime_cert and
// smime_ca_file; pgp_keyring without gpg. Without a configuration, gpg's
// default home and the system roots.
func (g *globals) cryptoEngine() *mailcrypto.Engine {
	if ac, ok := g.cryptoAccount(); ok {
		return accounts.EngineFor(ac, false)
	}
	return mailcrypto.New(nil)
}

// cryptoAccount is the configured account --account names, else the
// default one; ok is false without a configuration.
func (g *globals) cryptoAccount() (accounts.AccountConfig, bool) {
	path, err := g.configPath()
	if err != nil {
		return accounts.AccountConfig{}, false
	}
	cfg, err := accounts.LoadConfig(path)
	if err != nil || len(cfg.Accounts) == 0 {
		return accounts.AccountConfig{}, false
	}
	name := g.account
	if name == "" {
		name = cfg.DefaultAccount
	}
	for _, ac := range cfg.Accounts {
		if ac.Name == name {
			return ac, true
		}
	}
	return cfg.Accounts[0], true
}

// securityJSON is the "signature", "signatures" and "encrypted" of
// render --json: signature is the one that covers the whole message (null
// when none does), signatures lists every one found, with what it covers.
type securityJSON struct {
	Signature  *mailcrypto.Signature  `json:"signature"`
	Signatures []mailcrypto.Signature `json:"signatures"`
	Encrypted  *mailcrypto.Encryption `json:"encrypted"`
}

func newSecurityJSON(r *message.Rendered) securityJSON {
	out := securityJSON{Signatures: r.Signatures}
	if out.Signatures == nil {
		out.Signatures = []mailcrypto.Signature{}
	}
	for i := range r.Signatures {
		if r.Signatures[i].Covers == "message" {
			out.Signature = &r.Signatures[i]
			break
		}
	}
	if len(r.Encryption) > 0 {
		out.Encrypted = &r.Encryption[0]
	}
	return out
}

// protectOutgoing signs and/or encrypts a prepared message for send as
// the flags say, with the account's keys for from (its identity's); bcc
// are the envelope recipients that were in Bcc, encrypted to without
// being named in the message. A recipient without a usable key stops
// it, named; without the flags the account's defaults apply
// (pgp_sign, pgp_encrypt = "when-possible" falling back to clear with a
// note on stderr, "always" refusing).
func protectOutgoing(g *globals, a *accounts.Account, raw []byte, from string, to, bcc []string, sign, encrypt, smime, flagsGiven bool) ([]byte, error) {
	hidden := map[string]bool{}
	for _, b := range bcc {
		hidden[strings.ToLower(b)] = true
	}
	var named []string
	for _, t := range to {
		if !hidden[strings.ToLower(t)] {
			named = append(named, t)
		}
	}
	req := accounts.CryptoRequest{From: from, Recipients: named, Hidden: bcc, Sign: sign, Encrypt: encrypt, SMIME: smime}
	if !flagsGiven {
		def := a.CryptoDefaults()
		req.Sign, req.Encrypt, req.SMIME = def.Sign, def.Encrypt, def.SMIME
		req.EncryptByDefault = def.Encrypt && def.Policy == "when-possible"
	}
	plan := accounts.CryptoPlan{Sign: req.Sign, SMIME: req.SMIME}
	if req.Encrypt || a.EncryptPolicy(req.SMIME) == "always" {
		plan = a.PlanCrypto(req, false)
	}
	if plan.Fallback {
		fmt.Fprintf(g.stderr, "note: %s\n", sanitize.Line(plan.Words()))
	}
	return a.Protect(raw, req, plan, false)
}

// bccOf returns the Bcc and Resent-Bcc addresses of a message to send.
func bccOf(in []byte) []string {
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(toCRLF(in))))
	if err != nil {
		return nil
	}
	h := gomail.Header{Header: gomessage.Header{Header: th}}
	var out []string
	for _, f := range []string{"Bcc", "Resent-Bcc"} {
		list, _ := h.AddressList(f)
		for _, a := range list {
			out = append(out, a.Address)
		}
	}
	return out
}

// doctorCrypto says which of the programs posta signs, encrypts,
// verifies and decrypts with are installed, and their versions.
func doctorCrypto(w io.Writer) {
	for _, prog := range []struct{ name, arg string }{{"gpg", "--version"}, {"gpgsm", "--version"}, {"gpg-agent", "--version"}, {"openssl", "version"}} {
		path, err := exec.LookPath(prog.name)
		if err != nil {
			fmt.Fprintf(w, "%s: not installed\n", prog.name)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := exec.CommandContext(ctx, path, prog.arg).Output()
		cancel()
		first, _, _ := strings.Cut(string(out), "\n")
		if err != nil || first == "" {
			first = "installed, its version unknown"
		}
		fmt.Fprintf(w, "%s: %s (%s)\n", prog.name, sanitize.Line(strings.TrimSpace(first)), sanitize.Line(path))
	}
}
