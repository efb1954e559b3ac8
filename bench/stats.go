package main

import (
	"slices"
	"time"
)

// samples are repeated measurements of one quantity, in milliseconds.
type samples []float64

func (s samples) median() float64 {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// repeat runs measure n times and collects its results.
func repeat(n int, measure func() (time.Duration, error)) (samples, error) {
	out := make(samples, 0, n)
	for range n {
		d, err := measure()
		if err != nil {
			return out, err
		}
		out = append(out, ms(d))
	}
	return out, nil
}
