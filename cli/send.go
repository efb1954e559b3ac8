package cli

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	message "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/internal/when"
	"github.com/posta-mail/posta/mail"
	postamsg "github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// maxSendBytes bounds what `posta send` reads from stdin.
const maxSendBytes = 64 << 20

func newSendCmd(g *globals) *cobra.Command {
	var sign, encrypt, smime bool
	var fromFlag, at string
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Send an RFC 5322 message read from stdin",
		Long: `Send reads a complete message (headers, blank line, body) from standard
input and submits it over the account's SMTP server. The recipients are
those of its To, Cc and Bcc headers; Bcc is removed before sending. Date
and Message-ID are added when missing. The message is kept in the outbox
until the server accepted it: if sending fails, "posta sync" retries.

--sign signs it with the From address's OpenPGP key and --encrypt
encrypts it to every recipient's key and the sender's (PGP/MIME, with
gpg; --smime: S/MIME with openssl); with both it is signed inside the
encryption. A recipient without a usable key stops the sending, naming
them. Without these flags the account's defaults apply (pgp_sign,
pgp_encrypt: "when-possible" sends in clear with a note when a key is
missing, "always" refuses). The copy kept in Sent is the signed or
encrypted one.

--from sends as one of the account's identities (its own address or an
[[account.identity]]): the From header is set to it, and the identity's
SMTP server and Sent folder are used. A From header that names an
identity does the same without the flag.

--at schedules the message instead of sending it now: "in 2h",
"tomorrow 8:00", "mon 9:00", "8:00" (the next one), "2026-12-24 09:00",
in local time. It waits in the outbox ("posta outbox" lists it, "posta
outbox cancel ID" and "posta outbox edit ID" change it) and is sent by
the reader or by "posta sync" once its time came, once, whichever posta
process gets to it first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			a, err := c.set.Get(g.account)
			if err != nil {
				return err
			}
			in, err := io.ReadAll(io.LimitReader(g.stdin, maxSendBytes+1))
			if err != nil {
				return fmt.Errorf("send: read stdin: %w", err)
			}
			if len(in) > maxSendBytes {
				return fmt.Errorf("send: message larger than %d MiB", maxSendBytes>>20)
			}
			now := time.Now()
			var sendAt time.Time
			if at != "" {
				if sendAt, err = when.Parse(at, now); err != nil {
					return fmt.Errorf("send: --at %w", err)
				}
			}
			defaultFrom, force := a.Address(), false
			if fromFlag != "" {
				id, err := a.Identity(fromFlag)
				if err != nil {
					return fmt.Errorf("send: --from: %w", err)
				}
				defaultFrom, force = id.From(), true
			}
			raw, from, to, err := prepareOutgoingFrom(in, defaultFrom, force, now)
			if err != nil {
				return fmt.Errorf("send: %w", err)
			}
			plain := raw // before signing or encrypting: what "posta outbox edit" edits
			given := cmd.Flags().Changed("sign") || cmd.Flags().Changed("encrypt") || cmd.Flags().Changed("smime")
			if raw, err = protectOutgoing(g, a, raw, from, to, bccOf(in), sign, encrypt, smime, given); err != nil {
				return fmt.Errorf("send: %w", err)
			}
			if !sendAt.IsZero() {
				var kept []byte
				if !bytes.Equal(plain, raw) {
					kept = keptDraft(a, plain, raw, sign, encrypt, smime, given)
				}
				it, err := a.ScheduleDraft(from, to, raw, kept, sendAt)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stderr, "scheduled from %s to %s for %s (outbox %d; \"posta outbox cancel %d\" cancels it)\n",
					sanitize.Line(a.Name()), sanitize.Line(strings.Join(to, ", ")), sendAt.Format(when.Layout), it.ID, it.ID)
				return nil
			}
			if err := a.Send(cmd.Context(), from, to, raw); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "sent from %s to %s\n", a.Name(), strings.Join(to, ", "))
			return nil
		},
	}
	cmd.Flags().BoolVar(&sign, "sign", false, "sign with the From address's key (default: the account's pgp_sign/smime_sign)")
	cmd.Flags().BoolVar(&encrypt, "encrypt", false, "encrypt to every recipient's key and the sender's (default: the account's pgp_encrypt/smime_encrypt)")
	cmd.Flags().BoolVar(&smime, "smime", false, "S/MIME instead of OpenPGP (openssl, gpgsm)")
	cmd.Flags().StringVar(&fromFlag, "from", "", "send as this identity of the account (its address)")
	cmd.Flags().StringVar(&at, "at", "", `send later: "in 2h", "tomorrow 8:00", "mon 9:00", "2026-12-24 09:00"`)
	return cmd
}

// prepareOutgoing reads the message's header, collects the envelope,
// strips Bcc and adds a missing Date or Message-ID.
//
// Line endings are made CRLF first, as they will be on the wire: a bare
// CR inside a field ("X-Foo: a\rBcc: x@evil") would otherwise hide a
// line from the parser that the server then sees.
func prepareOutgoing(in []byte, defaultFrom string, now time.Time) (raw []byte, from string, to []string, err error) {
	return prepareOutgoingFrom(in, defaultFrom, false, now)
}

// prepareOutgoingFrom is prepareOutgoing; with force, the From header is
// set to defaultFrom ("Name <addr>" or an address) whatever it was.
func prepareOutgoingFrom(in []byte, defaultFrom string, force bool, now time.Time) (raw []byte, from string, to []string, err error) {
	br := bufio.NewReader(bytes.NewReader(toCRLF(in)))
	th, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, "", nil, fmt.Errorf("message header: %w", err)
	}
	h := gomail.Header{Header: message.Header{Header: th}}
	for _, field := range []string{"To", "Cc", "Bcc"} {
		list, err := h.AddressList(field)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", field, err)
		}
		for _, a := range list {
			to = append(to, a.Address)
		}
	}
	if len(to) == 0 {
		return nil, "", nil, errors.New("no recipients in To, Cc or Bcc")
	}
	def, err := gomail.ParseAddress(defaultFrom)
	if err != nil {
		def = &gomail.Address{Address: defaultFrom}
	}
	from = def.Address
	if list, err := h.AddressList("From"); err == nil && len(list) > 0 && !force {
		from = list[0].Address
	} else {
		h.SetAddressList("From", []*gomail.Address{def})
	}
	h.Del("Bcc") // every Bcc field
	h.Del("Resent-Bcc")
	if !h.Has("Date") {
		h.SetDate(now)
	}
	if !h.Has("Message-Id") {
		var b [12]byte
		_, _ = rand.Read(b[:])
		domain := from[strings.LastIndexByte(from, '@')+1:]
		h.SetMessageID(hex.EncodeToString(b[:]) + "@" + domain)
	}
	var out bytes.Buffer
	if err := textproto.WriteHeader(&out, h.Header.Header); err != nil {
		return nil, "", nil, err
	}
	if _, err := io.Copy(&out, br); err != nil {
		return nil, "", nil, err
	}
	return out.Bytes(), from, to, nil
}

// toCRLF turns bare CR and bare LF line endings into CRLF, as the SMTP
// sender does while it streams.
func toCRLF(in []byte) []byte {
	out := make([]byte, 0, len(in)+len(in)/32)
	for i := 0; i < len(in); i++ {
		switch b := in[i]; {
		case b == '\r' && i+1 < len(in) && in[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case b == '\r' || b == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, b)
		}
	}
	return out
}

// keptDraft is what "posta outbox edit" edits of a scheduled message that
// was signed or encrypted: the message before that, with an
// X-Posta-Crypto field saying how to protect it again (the flags given,
// else what the protected message shows, else the account's defaults
// for what an encrypted message hides).
func keptDraft(a *accounts.Account, plain, protected []byte, sign, encrypt, smime, given bool) []byte {
	h, _ := postamsg.ParseHeader(bytes.NewReader(protected))
	if !given {
		def := a.CryptoDefaults()
		encrypt = h.Security.Has(mail.Encrypted)
		sign = h.Security.Has(mail.Signed) || (encrypt && def.Sign)
		smime = def.SMIME
	}
	var words []string
	for _, w := range []struct {
		on   bool
		word string
	}{{sign, "sign"}, {encrypt, "encrypt"}, {smime, "smime"}} {
		if w.on {
			words = append(words, w.word)
		}
	}
	return append([]byte(postamsg.CryptoField+": "+strings.Join(words, ", ")+"\r\n"), plain...)
}
