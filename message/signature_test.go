package message

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/mail"
)

func TestAddSignature(t *testing.T) {
	quote := "On Mon, 01 Jan 2024 10:00, Bob wrote:\n> hi\n\n"
	tests := []struct {
		name, body, sig string
		pos             SignaturePosition
		want            string
	}{
		{"new message", "", "Alice", SignatureBelow, "\n\n-- \nAlice\n"},
		{"new message, above", "", "Alice", SignatureAbove, "\n\n-- \nAlice\n"},
		{"reply below", quote, "Alice", SignatureBelow, quote[:len(quote)-2] + "\n\n\n-- \nAlice\n"},
		{"reply above", quote, "Alice\nExample Inc.", SignatureAbove, "\n\n-- \nAlice\nExample Inc.\n\n" + quote},
		{"no signature", quote, "", SignatureBelow, quote},
		{"already there (resumed draft)", "text\n\n-- \nAlice\n", "Alice", SignatureBelow, "text\n\n-- \nAlice\n"},
		{"already there, separator trimmed by an editor", "text\n--\nAlice", "Alice", SignatureAbove, "text\n--\nAlice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AddSignature(tt.body, tt.sig, tt.pos); got != tt.want {
				t.Errorf("AddSignature() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSignatureOnce: a reply's body with its signature, resumed and
// signed again, still has one signature.
func TestSignatureOnce(t *testing.T) {
	d := ReplyDraft(mail.Header{Subject: "x", From: []mail.Address{{Addr: "bob@b.example"}}}, "hi", "alice@a.example", nil, false)
	d.Body = AddSignature(d.Body, "Alice", SignatureBelow)
	raw, err := d.BuildDraft(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	back, err := DraftFromMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	back.Body = AddSignature(back.Body, "Alice", SignatureBelow)
	if n := strings.Count(back.Body, "-- \nAlice"); n != 1 {
		t.Errorf("the resumed body has the signature %d times, want once:\n%s", n, back.Body)
	}
}

func TestSwapSignature(t *testing.T) {
	tests := []struct {
		name, body, old, sig, want string
	}{
		{"swap below", "text\n\n-- \nAlice\n", "Alice", "Sales team\nExample", "text\n\n-- \nSales team\nExample\n"},
		{"swap above the quote", "\n\n-- \nAlice\n\n> hi\n", "Alice", "Sales", "\n\n-- \nSales\n\n> hi\n"},
		{"to none", "text\n\n-- \nAlice\n", "Alice", "", "text\n"},
		{"to none, above the quote", "hello\n\n-- \nAlice\n\n> hi\n", "Alice", "", "hello\n\n> hi\n"},
		{"from none", "text\n", "", "Sales", "text\n\n-- \nSales\n"},
		{"old edited away", "text\n\n-- \nAl.\n", "Alice", "Sales", "text\n\n-- \nAl.\n\n-- \nSales\n"},
		{"new already there", "text\n\n-- \nSales\n", "Alice", "Sales", "text\n\n-- \nSales\n"},
		{"a quoted signature is not ours", "> -- \n> Alice\n", "Alice", "Sales", "> -- \n> Alice\n\n-- \nSales\n"},
		{"same", "text\n\n-- \nAlice\n", "Alice", "Alice", "text\n\n-- \nAlice\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SwapSignature(tt.body, tt.old, tt.sig); got != tt.want {
				t.Errorf("SwapSignature() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAddressedTo(t *testing.T) {
	raw := "From: a@x\r\nTo: \"A, B\" <one@x>, two@x\r\nCc: =?utf-8?q?C?= <three@x>\r\nDelivered-To: four@x\r\nDelivered-To: <five@x>\r\n\r\nbody To: six@x\r\n"
	got := strings.Join(AddressedTo([]byte(raw)), " ")
	if want := "one@x two@x three@x four@x five@x"; got != want {
		t.Errorf("AddressedTo() = %q, want %q", got, want)
	}
}
