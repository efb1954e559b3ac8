package mail

import "testing"

func TestCutUTF8(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"}, {"hello", 5, "hello"}, {"hello", 3, "hel"}, {"hello", 0, ""}, {"hello", -2, ""},
		{"grün", 3, "gr"}, {"grün", 4, "grü"}, {"日本", 2, ""}, {"日本", 3, "日"}, {"日本", 5, "日"},
	} {
		if got := CutUTF8(tt.s, tt.n); got != tt.want {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
