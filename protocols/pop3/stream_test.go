package pop3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/posta-mail/posta/demo/pop3server"
	"github.com/posta-mail/posta/protocols"
)

// TestRETRKeepsExactBytes checks dot-unstuffing and that lines, line
// endings and a final dot line come through byte for byte.
func TestRETRKeepsExactBytes(t *testing.T) {
	s := startDemo(t, 0)
	bodies := []string{
		"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n...\r\nend\r\n",
		"Subject: dot last\r\n\r\nbody\r\n.\r\n",
		"Subject: long line\r\n\r\n" + strings.Repeat("y", 100000) + "\r\n",
	}
	var uids []string
	for _, b := range bodies {
		u, err := s.POP3.Deliver("bob", []byte(b))
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, u)
	}
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "password"), LeaveOnServer: true})
	st := &store{}
	if _, err := f.Sync(context.Background(), st.request()); err != nil {
		t.Fatal(err)
	}
	for i, u := range uids {
		if got := string(st.msgs[u]); got != bodies[i] {
			t.Errorf("message %d = %q, want %q", i, got, bodies[i])
		}
	}
	rc, err := f.FetchBody(context.Background(), "INBOX", uids[0])
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	if err := rc.Close(); err != nil || string(got) != bodies[0] {
		t.Errorf("FetchBody() = %q, Close() = %v", got, err)
	}
}

// TestDroppedRETRDeletesNothing cuts the connection inside a RETR: the
// Store sees an error, nothing is deleted, and the retry fetches the rest.
func TestDroppedRETRDeletesNothing(t *testing.T) {
	s := startDemo(t, 4)
	msgs := s.POP3.Messages("bob")
	victim := msgs[2].UID
	s.POP3.CutRETR = func(uid string, size int) int {
		if uid == victim {
			return size / 2
		}
		return -1
	}
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "password")})
	var storeErr error
	st := &store{}
	req := st.request()
	req.Store = func(uid string, r io.Reader) error {
		if _, err := io.ReadAll(r); err != nil {
			storeErr = err
			return err
		}
		return st.Store(uid, bytes.NewReader(msgsByUID(msgs)[uid]))
	}
	res, err := f.Sync(context.Background(), req)
	if err == nil || !errors.Is(storeErr, io.ErrUnexpectedEOF) {
		t.Fatalf("Sync() = %+v, %v; Store saw %v, want io.ErrUnexpectedEOF", res, err, storeErr)
	}
	if n := len(s.POP3.Messages("bob")); n != 4 {
		t.Errorf("server has %d messages after a dropped session, want 4 (no QUIT)", n)
	}
	s.POP3.CutRETR = nil
	if res, err := f.Sync(context.Background(), st.request()); err != nil || res.Added != 2 {
		t.Errorf("retry Sync() = %+v, %v; want the 2 messages left", res, err)
	}
	if n := len(s.POP3.Messages("bob")); n != 0 {
		t.Errorf("server has %d messages after the retry, want 0", n)
	}
}

func msgsByUID(msgs []pop3server.Message) map[string][]byte {
	out := map[string][]byte{}
	for _, m := range msgs {
		out[m.UID] = m.Data
	}
	return out
}

// TestSyncPolicyDeleteKnown deletes only the known messages the policy
// names, and nothing else.
func TestSyncPolicyDeleteKnown(t *testing.T) {
	s := startDemo(t, 3)
	msgs := s.POP3.Messages("bob")
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "password")})
	st := &store{}
	if _, err := f.SyncPolicy(context.Background(), st.request(), Policy{}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.POP3.Messages("bob")); n != 3 {
		t.Fatalf("empty policy left %d messages, want 3", n)
	}
	p := Policy{DeleteKnown: func(uid string) bool { return uid == msgs[1].UID }}
	if _, err := f.SyncPolicy(context.Background(), st.request(), p); err != nil {
		t.Fatal(err)
	}
	left := s.POP3.Messages("bob")
	if len(left) != 2 || left[0].UID != msgs[0].UID || left[1].UID != msgs[2].UID {
		t.Errorf("server has %v, want all but the second message", left)
	}
}

func TestSASL(t *testing.T) {
	tests := []struct {
		auth, secret string
		wantErr      error
		wantVerb     string
	}{
		{"", "password", nil, "USER"},
		{"plain", "password", nil, "AUTH"},
		{"plain", "wrong", protocols.ErrAuthFailed, "AUTH"},
		{"xoauth2", "token-1", nil, "AUTH"},
		{"xoauth2", "bad", protocols.ErrAuthFailed, "AUTH"},
		{"oauthbearer", "token-1", nil, "AUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.auth+"/"+tt.secret, func(t *testing.T) {
			s := startDemo(t, 1)
			s.POP3.AcceptToken = func(user, token string) bool { return user == "bob" && token == "token-1" }
			var verbs []string
			s.POP3.Observe = func(v string) { verbs = append(verbs, v) }
			ep := endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), tt.secret)
			ep.Auth = tt.auth
			res, err := New(Options{Endpoint: ep, LeaveOnServer: true}).Sync(context.Background(), (&store{}).request())
			if tt.wantErr == nil && (err != nil || res.Added != 1) {
				t.Fatalf("Sync() = %+v, %v; want 1 added", res, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Sync() error = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(strings.Join(verbs, " "), tt.wantVerb) {
				t.Errorf("commands = %v, want %s", verbs, tt.wantVerb)
			}
		})
	}
}

func TestSASLNotOffered(t *testing.T) {
	s := startDemo(t, 1) // no AcceptToken: CAPA lists SASL PLAIN only
	ep := endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "token")
	ep.Auth = "xoauth2"
	if _, err := New(Options{Endpoint: ep}).Sync(context.Background(), (&store{}).request()); !errors.Is(err, protocols.ErrUnsupported) {
		t.Errorf("Sync() error = %v, want ErrUnsupported", err)
	}
}
