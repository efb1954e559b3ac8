package accounts

import "github.com/posta-mail/posta/protocols"

// fetcherCaps holds the optional capabilities of one fetcher, found by
// type assertion once, when the fetcher is built. A nil field means the
// fetcher lacks that capability. The values are bound to that fetcher:
// an account with two connections (lanes) resolves each one's own.
type fetcherCaps struct {
	appender protocols.Appender     // store a message in a server folder
	copier   protocols.Copier       // copy on the server, without downloading
	placer   protocols.Placer       // move and tell the new UIDs
	searcher protocols.Searcher     // search message text on the server
	conn     protocols.Connector    // connect ahead of need
	release  protocols.Releaser     // let go of server state between syncs
	reporter protocols.CapsReporter // what the server announced at login
}

// resolveCaps finds which optional capabilities f has.
func resolveCaps(f protocols.Fetcher) fetcherCaps {
	var c fetcherCaps
	c.appender, _ = f.(protocols.Appender)
	c.copier, _ = f.(protocols.Copier)
	c.placer, _ = f.(protocols.Placer)
	c.searcher, _ = f.(protocols.Searcher)
	c.conn, _ = f.(protocols.Connector)
	c.release, _ = f.(protocols.Releaser)
	c.reporter, _ = f.(protocols.CapsReporter)
	return c
}
