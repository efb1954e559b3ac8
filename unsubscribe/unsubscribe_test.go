package unsubscribe

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestRead(t *testing.T) {
	tests := []struct {
		name, field, post string
		method            Method
		target            string // URL or mailto
	}{
		{"one click", "<mailto:leave@list.example?subject=unsubscribe>, <https://list.example/u/123>", "List-Unsubscribe=One-Click", OneClick, "https://list.example/u/123"},
		{"post without https", "<mailto:leave@list.example>, <http://list.example/u>", "List-Unsubscribe=One-Click", Mailto, "mailto:leave@list.example"},
		{"no post: mailto first", "<https://list.example/u>, <mailto:leave@list.example>", "", Mailto, "mailto:leave@list.example"},
		{"link only", "<https://list.example/u>", "", Link, "https://list.example/u"},
		{"http link", "<http://list.example/u>", "", Link, "http://list.example/u"},
		{"folded uri", "<https://list.example/\r\n  very/long>", "List-Unsubscribe=One-Click", OneClick, "https://list.example/very/long"},
		{"user part refused", "<https://bank.example@evil.example/u>", "List-Unsubscribe=One-Click", None, ""},
		{"nothing", "unsubscribe by writing to us", "", None, ""},
		{"other scheme", "<ftp://list.example/u>", "", None, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Read(tt.field, tt.post)
			if tt.method == None {
				if !errors.Is(err, ErrNone) {
					t.Fatalf("Read() = %+v, %v, want ErrNone", p, err)
				}
				return
			}
			if err != nil || p.Method != tt.method {
				t.Fatalf("Read() = %+v, %v, want method %v", p, err, tt.method)
			}
			got := p.Mailto
			if p.Method != Mailto {
				got = p.URL.String()
			}
			if got != tt.target {
				t.Errorf("target = %q, want %q", got, tt.target)
			}
		})
	}
}

func TestShowHostPunycode(t *testing.T) {
	if got := ShowHost("p\u0430ypal.com"); got != "xn--pypal-4ve.com" {
		t.Errorf("ShowHost() = %q", got)
	}
}

// recorder is a TLS test server that records the requests it gets.
type recorder struct {
	mu   sync.Mutex
	reqs []string // "METHOD path content-type body"
	srv  *httptest.Server
}

func newRecorder(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+string(body))
		rec.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.reqs...)
}

func roots(srvs ...*httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, s := range srvs {
		pool.AddCert(s.Certificate())
	}
	return pool
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOneClickPosts(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			http.Redirect(w, r, "/done", http.StatusTemporaryRedirect) // same host: followed, still a POST
			return
		}
		w.Write([]byte("bye"))
	})
	c := &Client{RootCAs: roots(rec.srv)}
	res, err := c.OneClick(context.Background(), mustURL(t, rec.srv.URL+"/first"))
	if err != nil || res.Status != 200 {
		t.Fatalf("OneClick() = %+v, %v", res, err)
	}
	want := []string{
		"POST /first application/x-www-form-urlencoded List-Unsubscribe=One-Click",
		"POST /done application/x-www-form-urlencoded List-Unsubscribe=One-Click",
	}
	if got := rec.requests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("server got %q, want %q", got, want)
	}
}

func TestOneClickRefusesCrossHostRedirect(t *testing.T) {
	other := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {})
	// The list's server and the other one differ by port: another host.
	list := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.srv.URL+"/track", http.StatusTemporaryRedirect)
	})
	c := &Client{RootCAs: roots(list.srv, other.srv)}
	_, err := c.OneClick(context.Background(), mustURL(t, list.srv.URL+"/u"))
	var re *RedirectError
	if !errors.As(err, &re) || re.To != strings.TrimPrefix(other.srv.URL, "https://") {
		t.Fatalf("OneClick() error = %v, want a RedirectError to the other host", err)
	}
	if n := len(other.requests()); n != 0 {
		t.Errorf("the other host got %d requests", n)
	}
	if n := len(list.requests()); n != 1 {
		t.Errorf("the list's host got %d requests, want 1", n)
	}
}

func TestOneClickRefusesRedirectOffHTTPS(t *testing.T) {
	list := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/plain", http.StatusFound)
	})
	c := &Client{RootCAs: roots(list.srv)}
	var re *RedirectError
	if _, err := c.OneClick(context.Background(), mustURL(t, list.srv.URL+"/u")); !errors.As(err, &re) {
		t.Fatalf("OneClick() error = %v, want a RedirectError", err)
	}
}

func TestOneClickVerifiesTLS(t *testing.T) {
	list := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {})
	c := &Client{} // the system's roots do not know the test certificate
	if _, err := c.OneClick(context.Background(), mustURL(t, list.srv.URL+"/u")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("OneClick() error = %v, want a certificate error", err)
	}
	if n := len(list.requests()); n != 0 {
		t.Errorf("the server got %d requests over an unverified connection", n)
	}
}

func TestOneClickRefusesHTTPAndReportsStatus(t *testing.T) {
	c := &Client{}
	if _, err := c.OneClick(context.Background(), mustURL(t, "http://list.example/u")); err == nil {
		t.Error("OneClick(http) succeeded")
	}
	list := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone \x1b[31m", http.StatusGone)
	})
	c = &Client{RootCAs: roots(list.srv)}
	res, err := c.OneClick(context.Background(), mustURL(t, list.srv.URL+"/u"))
	var se *StatusError
	if !errors.As(err, &se) || res.Status != http.StatusGone {
		t.Fatalf("OneClick() = %+v, %v, want a StatusError 410", res, err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add("<mailto:leave@list.example?subject=unsubscribe>, <https://list.example/u/123>", "List-Unsubscribe=One-Click")
	f.Add("<https://p\u0430ypal.com/\x1b[31m>", "")
	f.Fuzz(func(t *testing.T, field, post string) {
		p, err := Read(field, post)
		if err != nil {
			return
		}
		if p.Method == OneClick && (p.URL == nil || p.URL.Scheme != "https" || p.URL.User != nil) {
			t.Fatalf("one-click plan to %v", p.URL)
		}
		for _, s := range append([]string{p.Host}, p.Links...) {
			for _, r := range s {
				if r < 0x20 || (r >= 0x7f && r < 0xa0) {
					t.Fatalf("unsafe rune %U in %q", r, s)
				}
			}
		}
	})
}
