package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// rerenderReport rewrites a report from the raw numbers it embeds, with
// the notes and targets of this build: explanations can follow the code
// without measuring again.
func rerenderReport(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const open = "## Raw numbers\n\n```json\n"
	i := bytes.Index(data, []byte(open))
	if i < 0 {
		return errors.New("no raw numbers in " + path)
	}
	rest := data[i+len(open):]
	j := bytes.Index(rest, []byte("\n```"))
	if j < 0 {
		return errors.New("unterminated raw numbers in " + path)
	}
	var rep report
	if err := json.Unmarshal(rest[:j], &rep); err != nil {
		return fmt.Errorf("raw numbers: %w", err)
	}
	for k := range rep.Results {
		rep.Results[k].judge(targetFor(rep.Results[k].ID, rep.Results[k].Messages))
	}
	var b bytes.Buffer
	if err := rep.writeMarkdown(&b); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
