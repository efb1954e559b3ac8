// Command posta is a terminal mail client for IMAP, POP3 and SMTP.
//
// Run it with no arguments to read mail on the configured accounts, or
// "posta demo" to try it on local servers. "posta help" lists commands.
package main

import (
	"os"

	"github.com/posta-mail/posta/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:]))
}
