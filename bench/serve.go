package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// serve starts the demo servers seeded with n messages, writes the
// configuration file the sync rows use and waits for an interrupt: a
// developer can then run and profile `posta sync` by hand against the
// very servers and folder the rows measure.
func serve(n int, bin string) error {
	scratch, err := os.MkdirTemp("", "posta-bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	f, err := startFixture(n, scratch)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.usePosta(bin); err != nil {
		return err
	}
	dirs := filepath.Join(scratch, "run")
	fmt.Printf("demo servers with %d messages; IMAP %s, POP3 %s\n", n, f.srv.IMAPAddr, f.srv.POP3Addr)
	fmt.Printf("%s --config %s --cache-dir %s/cache --data-dir %s/data sync --account work|home\n", bin, f.conf, dirs, dirs)
	fmt.Println("interrupt to stop")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return nil
}

// serveDovecot seeds the Dovecot of scripts/mailstack.sh (up, its env
// exported) with n messages, as the Dovecot rows do, and prints a
// `posta sync` command line for it.
func serveDovecot(n int, bin string) error {
	stack, err := findMailstack()
	if err != nil {
		return err
	}
	box, err := stack.seed(n)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "posta-bench-dovecot-")
	if err != nil {
		return err
	}
	conf := filepath.Join(dir, "posta.toml")
	pop3Addr := os.Getenv("MAILSTACK_POP3")
	if err := writeSyncConfig(conf, syncServers{imapAddr: stack.imapAddr, pop3Addr: pop3Addr, smtpAddr: stack.smtpAddr,
		imapUser: box.user, pop3User: box.user, password: box.password, caFile: stack.caFile}); err != nil {
		return err
	}
	fmt.Printf("Dovecot user %s with %d messages and the marker\n", box.user, n)
	fmt.Printf("%s --config %s --cache-dir %s/run/cache --data-dir %s/run/data sync --account work|home\n", bin, conf, dir, dir)
	return nil
}
