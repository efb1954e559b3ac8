package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// TestTripConnIMAPBursts notes the command names of each round trip
// above TLS, never their arguments, and the capabilities announced.
func TestTripConnIMAPBursts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		server, err := ln.Accept()
		if err != nil {
			return
		}
		defer server.Close()
		r := bufio.NewReader(server)
		server.Write([]byte("* OK [CAPABILITY IMAP4rev1 LIST-STATUS] hi\r\n"))
		for _, lines := range []int{1, 2, 1} { // the commands of each burst
			for range lines {
				if _, err := r.ReadString('\n'); err != nil {
					return
				}
			}
			server.Write([]byte("T OK done\r\n"))
		}
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	tr := &tripTracer{}
	c := tr.Conn("imap", "test", client)
	buf := make([]byte, 256)
	c.Read(buf) // the greeting
	for _, burst := range []string{"T1 LOGIN alice secret\r\n", "T2 LIST \"\" \"*\" RETURN (STATUS (MESSAGES))\r\nT3 UID FETCH 1:* (FLAGS)\r\n", "T4 LOGOUT\r\n"} {
		// Write a burst in pieces, as a buffered writer may.
		for len(burst) > 0 {
			n := min(len(burst), 7)
			c.Write([]byte(burst[:n]))
			burst = burst[n:]
		}
		c.Read(buf)
	}
	seen := tr.seen()
	if len(seen) != 1 || seen[0].Trips != 3 {
		t.Fatalf("seen %+v, want one connection of 3 round trips", seen)
	}
	if got, want := burstText(seen[0]), "LOGIN | LIST + UID FETCH | LOGOUT"; got != want {
		t.Errorf("bursts %q, want %q", got, want)
	}
	if strings.Contains(strings.Join(seen[0].Bursts[0], " "), "secret") {
		t.Error("a password in the bursts")
	}
	if len(seen[0].Caps) != 1 || seen[0].Caps[0] != "LIST-STATUS" {
		t.Errorf("caps %v, want [LIST-STATUS]", seen[0].Caps)
	}
}
