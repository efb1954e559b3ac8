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
