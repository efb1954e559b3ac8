//go:build race

package imap

// raceSlowdown scales the time limits of the hostile-server tests: the
// race detector makes the parsing they time several times slower (a CI
// run took 10.29 s to refuse an 8 MiB ENVELOPE against a 10 s limit that
// the same test meets in about a second without it).
const raceSlowdown = 3
