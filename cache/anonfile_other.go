//go:build !linux

package cache

import (
	"errors"
	"io"
)

// anonFile stands for an unnamed file, which only Linux makes
// (anonfile_linux.go): elsewhere a POP3 batch writes named files into
// tmp/ and renames them.
type anonFile int

func createAnon(string, io.Reader) (anonFile, int64, error) { return -1, 0, errors.ErrUnsupported }
func (anonFile) link(string) error                          { return errors.ErrUnsupported }
func (anonFile) sync() error                                { return errors.ErrUnsupported }
func (anonFile) syncFS() error                              { return errors.ErrUnsupported }
func (anonFile) close()                                     {}
func anonSupported(string) bool                             { return false }
func anonLimit() int                                        { return 0 }
