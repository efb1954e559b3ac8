//go:build windows

package cache

func setUmask(m int) int { return 0 }
