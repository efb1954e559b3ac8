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
	// Why explains a missed target with this run's figures; when empty,
	// the report falls back to notes.go's whyMissed.
	Why string `json:"why,omitempty"`
	// Skipped says why the row could not be measured; its value is then
	// meaningless.
	Skipped string `json:"skipped,omitempty"`
	// Peers are the other readers measured the same way in the same run.
	Peers []peerResult `json:"peers,omitempty"`
	// PollMillis is the median time between two screen captures of the
	// launch rows: the resolution of their figures.
	PollMillis float64 `json:"poll_ms,omitempty"`
	// Breakdown is the parts of the measured work timed alone in the same
	// run (breakdown.go), which the report's explanation is made of.
	Breakdown []breakdownPart `json:"breakdown,omitempty"`
	// CPU is what the machine's cores did during a sync row's runs
	// (cpuuse.go), which the explanation of a missed target uses too.
	CPU *cpuUse `json:"cpu,omitempty"`
}

// breakdownPart is one part of a Breakdown.
type breakdownPart struct {
	Name   string  `json:"name"`
	Millis float64 `json:"ms"`
	// Reference marks a figure timed for comparison (the file system's
	// floor), not a part of posta's work: it is not in the sum.
	Reference bool `json:"reference,omitempty"`
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
// when ofBaseline) must stay at or under limit, or under it when strict
// (a target written "< X").
type target struct {
	limit      float64
	ofBaseline bool
	text       string
	strict     bool
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
	if v < t.limit || (!t.strict && v == t.limit) {
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
	case (id == "imap_sync" || id == "imap_sync_dovecot") && n == 10_000:
		return &target{limit: 1.5, ofBaseline: true, text: "≤ 1.5× raw FETCH of the same items (issue 15)"}
	case id == "launch_cold_demo" && n == 10_000:
		return &target{limit: 300, ofBaseline: false, text: "< 300 ms", strict: true}
	case id == "launch_cold_dovecot":
		return &target{limit: 0.5, ofBaseline: true, text: "≤ 0.5× the better of neomutt and aerc"}
	case id == "launch_warm_dovecot":
		return &target{limit: 0.5, ofBaseline: true, text: "≤ 0.5× both neomutt and aerc"}
	case id == "open_during_sync":
		return &target{limit: 500, ofBaseline: false, text: "< 500 ms (issue 14: one round trip plus the server's time)", strict: true}
	case id == "resync_trips":
		return &target{limit: resyncMinimum, text: resyncMinimumText}
	case id == "resync_proto" || id == "resync_accounts":
		return &target{limit: 20, ofBaseline: false, text: "< 20 ms", strict: true}
	case id == "launch_warm_demo" && n == 10_000:
		return &target{limit: 60, ofBaseline: false, text: "< 60 ms", strict: true}
	case id == "launch_warm_demo" && n == 100_000:
		return &target{limit: 100, ofBaseline: false, text: "< 100 ms", strict: true}
	case id == "peak_rss" && n == 10_000:
		return &target{limit: 40, ofBaseline: false, text: "< 40 MiB", strict: true}
	case id == "peak_rss" && n == 100_000:
		return &target{limit: 100, ofBaseline: false, text: "< 100 MiB", strict: true}
	case (id == "search_word" || id == "search_from") && n == 100_000:
		return &target{limit: 50, ofBaseline: false, text: "< 50 ms", strict: true}
	case (id == "pop3_download" || id == "pop3_download_dovecot") && n == 10_000:
		return &target{limit: 2, ofBaseline: true, text: "≤ 2× raw RETR loop (issue 15)"}
	case id == "open_50mb":
		return &target{limit: 1000, ofBaseline: false, text: "< 1 s", strict: true}
	case id == "open_50mb_heap":
		return &target{limit: 100, ofBaseline: false, text: "< 2 copies (100 MiB)", strict: true}
	}
	return nil
}
