package sanitize

import (
	"strings"
	"testing"
)

func TestAddress(t *testing.T) {
	tests := []struct {
		name, in, shown string
		warn            bool
	}{
		{"ascii", "service@paypal.com", "service@paypal.com", false},
		{"cyrillic a in a latin domain", "service@p\u0430ypal.com", "service@xn--pypal-4ve.com", true},
		{"greek omicron in a latin domain", "me@g\u03bf\u03bfgle.com", "me@xn--ggle-0nda.com", true},
		{"all cyrillic domain", "info@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", "info@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444", false},
		{"all han domain", "a@\u4f8b\u5b50.\u4e2d\u56fd", "a@\u4f8b\u5b50.\u4e2d\u56fd", false},
		{"latin with japanese", "a@abc\u3072\u3089\u304c\u306a\u6f22\u5b57.jp", "a@abc\u3072\u3089\u304c\u306a\u6f22\u5b57.jp", false},
		{"latin with accents", "a@b\u00fccher.de", "a@b\u00fccher.de", false},
		{"cherokee alone", "a@\u13aa\u13b3.com", "a@xn--g9ds.com", true},
		{"invisible in the domain", "service@pay\u200bpal.com", "service@pay<U+200B>pal.com", true},
		{"mixed local part", "p\u0430ypal@example.com", "p\u0430ypal@example.com", true},
		{"latin local part, cyrillic domain", "ivan@\u043f\u0440\u0438\u043c\u0435\u0440.com", "ivan@\u043f\u0440\u0438\u043c\u0435\u0440.com", false},
		{"control character", "a\x1b@b.com", "a\u241b@b.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shown, warning := Address(tt.in)
			if shown != tt.shown || (warning != "") != tt.warn {
				t.Errorf("Address(%q) = %q, %q; want %q, warning %v", tt.in, shown, warning, tt.shown, tt.warn)
			}
		})
	}
}

func TestAddressWarningNamesScripts(t *testing.T) {
	_, w := Address("service@p\u0430ypal.com")
	if !strings.Contains(w, "Latin and Cyrillic") || !strings.Contains(w, "punycode") {
		t.Errorf("warning = %q, want it to name Latin and Cyrillic and punycode", w)
	}
}

// FuzzAddress checks that Address never panics, that what it shows is
// safe as Line makes it, and that an address it does not warn of is
// shown as Line shows it.
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"a@b.com", "service@p\u0430ypal.com", "x@\u4f8b\u5b50.\u4e2d\u56fd", "pay\u200bpal@x.y", "@", "a@.", "\xff@\u0430.b", "a@b@c\u0391.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		shown, warning := Address(s)
		if Line(shown) != shown {
			t.Errorf("Address(%q) = %q, which Line changes", s, shown)
		}
		if warning == "" && shown != Line(s) {
			t.Errorf("Address(%q) = %q without a warning, want Line's %q", s, shown, Line(s))
		}
	})
}
