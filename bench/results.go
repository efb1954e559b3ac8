package main

import (
	"fmt"
	"math"
)

// result is one row of the table.
type result struct {
	ID       string  `json:"id"`
	What     string  `json:"what"`
	Messages int     `json:"messages,omitempty"`
	Unit     string  `json:"unit"`
	Value    float64 `json:"median"`
	Samples  samples `json:"samples,omitempty"`
	// Baseline is the median of the raw protocol baseline, 0 if none.
	Baseline        float64 `json:"baseline,omitempty"`
	BaselineSamples samples `json:"baseline_samples,omitempty"`
	// BaselineName names the baseline when it is another program.
	BaselineName string `json:"baseline_name,omitempty"`
	Target       string `json:"target,omitempty"`
	Status       string `json:"status"` // "met", "missed by …", "no target", "n/a", "not measured"
	Note         string `json:"note,omitempty"`
	// Skipped says why the row could not be measured; its value is then
	// meaningless.
	Skipped string `json:"skipped,omitempty"`
	// Peers are the other readers measured the same way in the same run.
	Peers []peerResult `json:"peers,omitempty"`
	// PollMillis is the median time between two screen captures of the
	// launch rows: the resolution of their figures.
	PollMillis float64 `json:"poll_ms,omitempty"`
}

// peerResult is one peer's figure in a launch row, or why it is missing.
type peerResult struct {
	Name    string  `json:"name"`
	Median  float64 `json:"median,omitempty"`
	Samples samples `json:"samples,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// ratio is Value over Baseline, or 0 without a baseline.
func (r result) ratio() float64 {
	if r.Baseline <= 0 {
		return 0
	}
	return r.Value / r.Baseline
}

// target is a goal from issue 11: the value (or ratio to the baseline,
// when ofBaseline) must stay at or under limit.
type target struct {
	limit      float64
	ofBaseline bool
	text       string
}

// judge sets r's Target and Status from t; a nil t means no target.
func (r *result) judge(t *target) {
	if r.Skipped != "" {
		r.Target, r.Status = "", "not measured"
		if t != nil {
			r.Target = t.text
		}
		return
	}
	if t == nil {
		r.Status = "no target"
		return
	}
	r.Target = t.text
	v := r.Value
	if t.ofBaseline {
		if r.Baseline <= 0 {
			r.Status = "n/a"
			return
		}
		v = r.ratio()
	}
	if math.IsNaN(v) || v < 0 {
		r.Status = "n/a"
		return
	}
	if v <= t.limit {
		r.Status = "met"
		return
	}
	r.Status = fmt.Sprintf("missed by %.1f×", v/t.limit)
}

// targetFor returns issue 11's target for a measurement at n messages
// (issue 14 moved the cold and warm start targets from the in-process
// proxies to the launch rows, and added the peer ratios). Targets stated
// for 10,000 or 100,000 messages apply only there.
func targetFor(id string, n int) *target {
	switch {
	case id == "imap_sync" && n == 10_000:
		return &target{1.3, true, "≤ 1.3× raw FETCH"}
	case id == "launch_cold_demo" && n == 10_000:
		return &target{300, false, "< 300 ms"}
	case id == "launch_cold_dovecot":
		return &target{0.5, true, "≤ 0.5× the better of neomutt and aerc"}
	case id == "launch_warm_dovecot":
		return &target{0.5, true, "≤ 0.5× both neomutt and aerc"}
	case id == "open_during_sync":
		return &target{500, false, "< 500 ms (issue 14: one round trip plus the server's time)"}
	case id == "resync_trips":
		return &target{2, false, "≤ 2"}
	case id == "resync_proto" || id == "resync_accounts":
		return &target{20, false, "< 20 ms"}
	case id == "launch_warm_demo" && n == 10_000:
		return &target{60, false, "< 60 ms"}
	case id == "launch_warm_demo" && n == 100_000:
		return &target{100, false, "< 100 ms"}
	case id == "peak_rss" && n == 10_000:
		return &target{40, false, "< 40 MiB"}
	case id == "peak_rss" && n == 100_000:
		return &target{100, false, "< 100 MiB"}
	case (id == "search_word" || id == "search_from") && n == 100_000:
		return &target{50, false, "< 50 ms"}
	case id == "pop3_download" && n == 10_000:
		return &target{1.3, true, "≤ 1.3× raw RETR"}
	case id == "open_50mb":
		return &target{1000, false, "< 1 s"}
	case id == "open_50mb_heap":
		return &target{100, false, "< 2 copies (100 MiB)"}
	}
	return nil
}
