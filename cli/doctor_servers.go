package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
	"github.com/posta-mail/posta/trace"
)

// doctorServers logs in to each account's servers, as config check does,
// and prints what each said it can do: the capabilities are read from a
// trace of the check kept in memory (credentials never reach it).
func doctorServers(ctx context.Context, g *globals, w io.Writer, cfg *accounts.Config) {
	for _, ac := range cfg.Accounts {
		var buf bytes.Buffer
		tr := trace.New(&buf, trace.Options{})
		ac.Fetch.Tracer, ac.SMTP.Tracer = tr, tr
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		fetchErr, sendErr := accounts.CheckAccount(cctx, ac)
		cancel()
		caps := traceCaps(buf.String())
		for _, s := range []struct {
			kind string
			sc   accounts.ServerConfig
			err  error
		}{
			{ac.Fetch.Kind, ac.Fetch.ServerConfig, fetchErr},
			{"smtp", ac.SMTP, sendErr},
		} {
			state := "ok"
			if s.err != nil {
				state = "FAILED: " + s.err.Error()
			}
			fmt.Fprintf(w, "%s %s %s: %s\n", sanitize.Line(ac.Name), s.kind,
				sanitize.Line(net.JoinHostPort(s.sc.Host, strconv.Itoa(s.sc.Port))), sanitize.Line(state))
			if c := caps[s.kind]; len(c) > 0 {
				fmt.Fprintf(w, "  capabilities: %s\n", sanitize.Line(strings.Join(c, " ")))
			}
		}
	}
}

// traceCaps reads the last capability list each protocol announced in a
// trace: IMAP CAPABILITY responses and response codes, the POP3 CAPA
// answer, the SMTP EHLO answer.
func traceCaps(t string) map[string][]string {
	caps := map[string][]string{}
	type block struct {
		lines []string
		open  bool
	}
	pop, smtp := map[string]*block{}, map[string]*block{}
	for _, line := range strings.Split(t, "\n") {
		f := strings.SplitN(line, " ", 4)
		if len(f) < 4 {
			continue
		}
		id, dir, text := f[1], f[2], f[3]
		proto, _, _ := strings.Cut(id, "#")
		switch proto {
		case "imap":
			if dir != "S:" {
				continue
			}
			u := strings.ToUpper(text)
			i := strings.Index(u, "CAPABILITY ")
			if i < 0 {
				continue
			}
			list := text[i+len("CAPABILITY "):]
			if j := strings.IndexByte(list, ']'); j >= 0 {
				list = list[:j]
			}
			caps["imap"] = strings.Fields(list)
		case "pop3":
			b := pop[id]
			if b == nil {
				b = &block{}
				pop[id] = b
			}
			switch {
			case dir == "C:" && strings.EqualFold(text, "CAPA"):
				b.lines, b.open = nil, true
			case dir == "S:" && b.open && text == ".":
				b.open = false
				if len(b.lines) > 0 {
					caps["pop3"] = b.lines
				}
			case dir == "S:" && b.open && !strings.HasPrefix(text, "+OK"):
				b.lines = append(b.lines, text)
			}
		case "smtp":
			b := smtp[id]
			if b == nil {
				b = &block{}
				smtp[id] = b
			}
			switch {
			case dir == "C:" && strings.HasPrefix(strings.ToUpper(text), "EHLO"):
				b.lines, b.open = nil, true
			case dir == "S:" && b.open && strings.HasPrefix(text, "250"):
				if len(text) > 4 {
					b.lines = append(b.lines, text[4:])
				}
				if len(text) < 4 || text[3] != '-' {
					b.open = false
					if len(b.lines) > 1 {
						caps["smtp"] = b.lines[1:] // the first names the server
					}
				}
			}
		}
	}
	for _, c := range caps {
		sort.Strings(c)
	}
	return caps
}
