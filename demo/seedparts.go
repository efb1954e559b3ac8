package demo

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"mime"
	"mime/quotedprintable"
	"strings"
	"sync"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// person is a generated correspondent.
type person struct {
	name, addr string
	header     string // ready-made From/To value, RFC 2047 encoded if needed
}

func newPerson(name, addr, charset string) person {
	display := name
	if strings.ContainsFunc(name, func(r rune) bool { return r > 0x7e }) {
		if charset == "utf-8" {
			display = mime.BEncoding.Encode(charset, name)
		} else {
			display = encodeWord(charset, name)
		}
	} else if strings.ContainsAny(name, `,.;:"()<>@`) {
		display = `"` + name + `"`
	}
	return person{name: name, addr: addr, header: display + " <" + addr + ">"}
}

// encodeWord RFC 2047 Q-encodes name in a legacy charset.
func encodeWord(charset, name string) string {
	enc := legacyEncoder(charset)
	b, err := enc.Bytes([]byte(name))
	if err != nil {
		return name
	}
	var sb strings.Builder
	sb.WriteString("=?" + charset + "?Q?")
	for _, c := range b {
		switch {
		case c == ' ':
			sb.WriteByte('_')
		case c > 0x20 && c < 0x7f && !strings.ContainsRune("=?_\"", rune(c)):
			sb.WriteByte(c)
		default:
			sb.WriteString("=" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	sb.WriteString("?=")
	return sb.String()
}

func legacyEncoder(charset string) *encoding.Encoder {
	switch charset {
	case "iso-8859-1":
		return charmap.ISO8859_1.NewEncoder()
	case "windows-1252":
		return charmap.Windows1252.NewEncoder()
	case "koi8-r":
		return charmap.KOI8R.NewEncoder()
	case "iso-2022-jp":
		return japanese.ISO2022JP.NewEncoder()
	case "shift_jis":
		return japanese.ShiftJIS.NewEncoder()
	}
	return encoding.Nop.NewEncoder()
}

var senders = []person{
	newPerson("Ana García", "ana.garcia@example.org", "utf-8"),
	newPerson("Jörg Müller", "joerg@example.de", "iso-8859-1"),
	newPerson("田中 太郎", "tanaka@example.jp", "utf-8"),
	newPerson("Chloé Dubois", "chloe@example.fr", "utf-8"),
	newPerson("Bob Smith", "bob.smith@example.com", "us-ascii"),
	newPerson("Дмитрий Иванов", "dmitri@example.ru", "koi8-r"),
	newPerson("Priya Raman", "priya@example.in", "us-ascii"),
	newPerson("Build Bot", "ci@builds.example.com", "us-ascii"),
	newPerson("O'Neil, Sam", "sam.oneil@example.ie", "us-ascii"),
	newPerson("Zoë Ng", "zoe@example.net", "utf-8"),
}

var topics = []string{
	"Quarterly planning", "Lunch on Friday?", "Invoice 2024-117", "Build failed on main",
	"Design review notes", "Café meeting — agenda", "Trip to Zürich", "Weekly report",
	"Question about the API", "Welcome aboard", "Server maintenance window", "Photos from the weekend",
	"Re-org of the shared drive", "Budget spreadsheet", "Release candidate 2", "Bug #4521: crash on start",
}

var sentences = []string{
	"Thanks for the quick reply.",
	"I have attached the figures we discussed yesterday.",
	"Could you have a look before the meeting on Thursday?",
	"Let me know if anything is unclear.",
	"The numbers look good overall, but the second quarter is lower than expected.",
	"We should probably move the deadline by a week.",
	"I'll be out of office until Monday.",
	"Here is the link to the document: https://docs.example.org/d/8f3a2c",
	"Apologies for the delay — it's been a busy week.",
	"Naïve question: does this also apply to the old accounts?",
	".leading dots must survive transport",
	"Best regards and see you soon!",
}

// legacyBodies are text bodies in non-UTF-8 charsets, encoded once, when
// the first message is seeded: not in every posta process, which imports
// this package whether it runs the demo or not.
type legacyBody struct {
	charset, cte string
	body         []byte
}

var legacyBodies = sync.OnceValue(func() []legacyBody {
	mk := func(charset, text string) []byte {
		b, err := legacyEncoder(charset).Bytes([]byte(text))
		if err != nil {
			return []byte(text)
		}
		return b
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	w.Write(mk("iso-8859-1", "Grüße aus München!\r\nDie Übersicht für März liegt bei.\r\nÀ bientôt, garçon — ¿qué tal?\r\n"))
	w.Close()
	return []legacyBody{
		{"iso-8859-1", "quoted-printable", qp.Bytes()},
		{"windows-1252", "8bit", mk("windows-1252", "“Smart quotes” and the € sign – typical Outlook mail…\r\nCost: 12,50 €\r\n")},
		{"koi8-r", "8bit", mk("koi8-r", "Привет! Отчёт за неделю во вложении.\r\nС уважением, Дмитрий\r\n")},
		{"iso-2022-jp", "7bit", mk("iso-2022-jp", "お疲れ様です。\r\n会議の資料を送ります。\r\nよろしくお願いします。\r\n")},
		{"shift_jis", "8bit", mk("shift_jis", "来週の予定について確認させてください。\r\n")},
	}
})

// attachment is a small binary or text part, base64 encoded once (when
// the first message is seeded, as legacyBodies).
type attachment struct {
	contentType, filename string
	b64                   string
}

var attachments = sync.OnceValue(func() []attachment {
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{R: 200, G: 40, B: 90, A: 255})
	}
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	csv := []byte("date,item,amount\r\n2024-03-01,Coffee,3.20\r\n2024-03-02,\"Books, used\",17.95\r\n")
	return []attachment{
		{"application/pdf", "report.pdf", wrap76(pdf)},
		{"image/png", "diagram.png", wrap76(pngBuf.Bytes())},
		{"text/csv", "expenses.csv", wrap76(csv)},
		{"application/pdf", "Rechnung März.pdf", wrap76(pdf)},
	}
})

func wrap76(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var sb strings.Builder
	for len(s) > 76 {
		sb.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	sb.WriteString(s + "\r\n")
	return sb.String()
}
