package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
	"github.com/posta-mail/posta/protocols/pop3"
	"github.com/posta-mail/posta/protocols/smtp"
)

// Problem is one thing wrong in a configuration file.
type Problem struct {
	Line    int    // 1-based; 0 if unknown
	Key     string // full key without indices, e.g. "account.fetch.port"; "" for syntax errors
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// CheckConfigText returns every problem in configuration text, ordered by
// line: TOML syntax errors, unknown keys, values of the wrong type,
// missing or invalid values. Nil means the text is a valid configuration.
func CheckConfigText(text string) []Problem {
	_, problems := checkConfig(text)
	return problems
}

// CheckConfigFile reads the configuration file at path and returns what
// it could decode and every problem in it, including a password written
// in a file other users can read. The error is for a file that cannot be
// read (ErrNoConfig if it does not exist).
func CheckConfigFile(path string) (*Config, []Problem, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w at %s", ErrNoConfig, path)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	text := string(data)
	cfg, problems := checkConfig(text)
	if cfg == nil {
		return nil, problems, nil
	}
	cfg.Path = path
	problems = append(problems, locate(newKeyLines(text), cfg.passwordFileIssue(path, fi))...)
	problems = append(problems, locate(newKeyLines(text), cfg.cryptoFileIssues())...)
	sortProblems(problems)
	return cfg, problems, nil
}

// checkConfig decodes text and lists its problems. The Config is nil only
// if the text is not TOML; otherwise it holds every value of the right
// type, so later checks can use it even when there are problems.
func checkConfig(text string) (*Config, []Problem) {
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		return nil, []Problem{syntaxProblem(err)}
	}
	lines := newKeyLines(text)
	var issues []issue
	schemaCheck(raw, reflect.TypeOf(Config{}), "", &issues)
	reported := map[string]bool{}
	for _, is := range issues {
		reported[is.path] = true
	}
	// raw now holds only known keys of the right type: decode it for real.
	var buf bytes.Buffer
	var cfg Config
	err := toml.NewEncoder(&buf).Encode(raw)
	if err == nil {
		_, err = toml.Decode(buf.String(), &cfg)
	}
	if err != nil {
		issues = append(issues, issue{"", "cannot decode: " + err.Error()})
	}
	for _, is := range cfg.validate() {
		if !reported[is.path] {
			issues = append(issues, is)
		}
	}
	problems := locate(lines, issues)
	sortProblems(problems)
	return &cfg, problems
}

func syntaxProblem(err error) Problem {
	var perr toml.ParseError
	if errors.As(err, &perr) {
		return Problem{Line: perr.Position.Line, Message: "TOML syntax: " + perr.Message}
	}
	return Problem{Message: err.Error()}
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// locate gives issues their lines and turns their paths into keys.
func locate(lines *keyLines, issues []issue) []Problem {
	problems := make([]Problem, 0, len(issues))
	for _, is := range issues {
		problems = append(problems, Problem{
			Line:    lines.line(is.path),
			Key:     indexRE.ReplaceAllString(is.path, ""),
			Message: is.msg,
		})
	}
	return problems
}

func sortProblems(problems []Problem) {
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
}

// schemaCheck compares decoded TOML with the struct type t that reads it
// (following its toml tags): it reports keys t does not have and values
// of the wrong type, and deletes them from m.
func schemaCheck(m map[string]any, t reflect.Type, path string, issues *[]issue) {
	fields := map[string]reflect.Type{}
	collectFields(t, fields)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, p := m[k], join(path, k)
		ft, ok := fields[k]
		if !ok {
			*issues = append(*issues, issue{p, "unknown key" + suggest(k, fields)})
			delete(m, k)
			continue
		}
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct:
			sub, ok := v.(map[string]any)
			if !ok {
				*issues = append(*issues, issue{p, fmt.Sprintf("want a table, got %s", tomlType(v))})
				delete(m, k)
				continue
			}
			schemaCheck(sub, ft, p, issues)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			tables, ok := v.([]map[string]any)
			if !ok {
				*issues = append(*issues, issue{p, fmt.Sprintf("want [[%s]] tables, got %s", p, tomlType(v))})
				delete(m, k)
				continue
			}
			for i, sub := range tables {
				schemaCheck(sub, ft.Elem(), fmt.Sprintf("%s[%d]", p, i), issues)
			}
		default:
			if want := typeMismatch(ft, v); want != "" {
				*issues = append(*issues, issue{p, fmt.Sprintf("want %s, got %s", want, tomlType(v))})
				delete(m, k)
			}
		}
	}
}

// collectFields maps toml key names to field types, flattening untagged
// embedded structs as the decoder does.
func collectFields(t reflect.Type, fields map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("toml"), ",")[0]
		switch {
		case tag == "-" || !f.IsExported():
		case f.Anonymous && tag == "":
			collectFields(f.Type, fields)
		case tag != "":
			fields[tag] = f.Type
		default:
			fields[f.Name] = f.Type
		}
	}
}

// typeMismatch returns what t needs if v does not fit it, else "".
func typeMismatch(t reflect.Type, v any) string {
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return "a string"
		}
	case reflect.Int:
		if _, ok := v.(int64); !ok {
			return "an integer"
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return "true or false"
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return "an array of strings"
		}
		for _, e := range arr {
			if _, ok := e.(string); !ok {
				return "an array of strings"
			}
		}
	}
	return ""
}

// tomlType names the TOML type of a decoded value, with a short value.
func tomlType(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("string %q", v)
	case int64:
		return fmt.Sprintf("integer %d", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case bool:
		return fmt.Sprintf("boolean %v", v)
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	default:
		return "a date/time"
	}
}

// suggest proposes the known key closest to a misspelt one.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestDist := "", 3
	for f := range fields {
		if d := editDistance(key, f); d < bestDist || d == bestDist && best != "" && f < best {
			best, bestDist = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Check connects to the account's servers and logs in, as CheckAccount.
func (a *Account) Check(ctx context.Context) (fetch, send error) {
	return CheckAccount(ctx, a.cfg)
}

// CheckAccount connects to an account's fetch server and its SMTP server
// at the same time, logs in to each and logs out, on connections of its
// own. It lists a POP3 mailbox but never downloads or deletes mail. The
// errors never contain the password. ctx bounds both checks.
func CheckAccount(ctx context.Context, cfg AccountConfig) (fetch, send error) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		fetch = checkFetch(ctx, cfg)
	}()
	go func() {
		defer wg.Done()
		send = checkSend(ctx, cfg)
	}()
	wg.Wait()
	return fetch, send
}

func checkFetch(ctx context.Context, cfg AccountConfig) error {
	ep, _, err := endpoint(cfg.Name, cfg.Fetch.ServerConfig)
	if err != nil {
		return err
	}
	secret := recordSecret(&ep)
	switch cfg.Fetch.Kind {
	case "imap":
		f := imap.New(imap.Options{Endpoint: ep})
		_, err = f.Folders(ctx)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	case "pop3":
		// Every message counts as known and mail stays on the server, so
		// Sync logs in, lists the UIDLs and quits.
		f := pop3.New(pop3.Options{Endpoint: ep, LeaveOnServer: true})
		_, err = f.Sync(ctx, protocols.SyncRequest{
			Folder: pop3.Inbox,
			State:  protocols.FolderState{Known: func(string) bool { return true }},
			Store:  func(string, io.Reader) error { return errors.New("check downloads nothing") },
		})
	default:
		err = fmt.Errorf("unknown fetch kind %q", cfg.Fetch.Kind)
	}
	return withHint(cfg.Fetch.Kind, cfg.Fetch.ServerConfig, redact(err, secret))
}

func checkSend(ctx context.Context, cfg AccountConfig) error {
	err := checkSMTP(ctx, cfg.Name, cfg.SMTP)
	// An identity with an SMTP server of its own ([account.identity.smtp])
	// is checked too: otherwise its mistakes would show at its first send.
	for _, id := range cfg.Identities {
		if id.SMTP.Host == "" {
			continue
		}
		if ierr := checkSMTP(ctx, cfg.Name, id.SMTP); ierr != nil {
			err = errors.Join(err, fmt.Errorf("identity %s: %w", id.Address, ierr))
		}
	}
	return err
}

func checkSMTP(ctx context.Context, account string, s ServerConfig) error {
	ep, _, err := endpoint(account, s)
	if err != nil {
		return err
	}
	secret := recordSecret(&ep)
	return withHint("smtp", s, redact(smtp.New(smtp.Options{Endpoint: ep}).Check(ctx), secret))
}

// recordSecret wraps the endpoint's password source so the secret it
// hands out can be removed from errors afterwards.
func recordSecret(ep *protocols.Endpoint) func() string {
	var mu sync.Mutex
	var got string
	source := ep.Password
	ep.Password = func(ctx context.Context) (string, error) {
		pw, err := source(ctx)
		mu.Lock()
		got = pw
		mu.Unlock()
		return pw, err
	}
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// redactedError is an error whose text had a secret cut out; it still
// wraps the original for errors.Is.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func redact(err error, secret func() string) error {
	s := secret()
	if err == nil || s == "" || !strings.Contains(err.Error(), s) {
		return err
	}
	return &redactedError{strings.ReplaceAll(err.Error(), s, "[password]"), err}
}
