//go:build !race

package imap

// raceSlowdown: without the race detector the limits stand as written.
const raceSlowdown = 1
