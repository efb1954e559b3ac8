// Package keymap holds posta's key bindings as data: every action of
// every context with its default keys and help text, and the rules for
// overriding them from the [keys] table of the configuration. The UI
// builds its bindings from it and the configuration check validates
// against it, so the help screen, the keys and the checks agree.
package keymap

import (
	"fmt"
	"sort"
	"strings"
)

// Context is where a binding applies.
type Context string

// The contexts a [keys] table may name.
const (
	Index   Context = "index"
	Pager   Context = "pager"
	Compose Context = "compose"
	Sidebar Context = "sidebar"
)

// Action is one thing a key can do.
type Action struct {
	Name string   // the name used in [keys.<context>]
	Help string   // what the help screen says
	Keys []string // bound keys, as Bubble Tea names them ("j", "ctrl+d", "enter")
}

// defaults returns the default bindings; a fresh copy on every call.
func defaults() map[Context][]Action {
	return map[Context][]Action{
		Index: {
			{"down", "next message", []string{"j", "down"}},
			{"up", "previous message", []string{"k", "up"}},
			{"top", "first message", []string{"g", "home"}},
			{"bottom", "last message", []string{"G", "end"}},
			{"page_down", "page down", []string{"ctrl+d", "pgdown"}},
			{"page_up", "page up", []string{"ctrl+u", "pgup"}},
			{"open", "open message", []string{"enter"}},
			{"mark", "mark or unmark the message", []string{"x", " "}},
			{"mark_range", "mark a range (v, move, v)", []string{"v"}},
			{"mark_all", "mark all in view (again: unmark)", []string{"*"}},
			{"mark_pattern", "mark what a search finds in view", []string{"T"}},
			{"undo", "take back the message being sent (during the undo delay), else undo the last action on marked messages", []string{"u"}},
			{"compose", "compose", []string{"m"}},
			{"reply", "reply", []string{"r"}},
			{"reply_all", "reply to all", []string{"R"}},
			{"forward", "forward", []string{"f"}},
			{"forward_attachment", "forward as an attachment", []string{"ctrl+f"}},
			{"toggle_read", "toggle read (marked: all)", []string{"N"}},
			{"toggle_flag", "toggle flag (marked: all)", []string{"F"}},
			{"delete", "delete (to Trash; marked: all)", []string{"d"}},
			{"archive", "archive (marked: all)", []string{"a"}},
			{"move", "move to a folder (Tab completes its name; marked: all)", []string{"M"}},
			{"search", "search all accounts (esc: back)", []string{"/"}},
			{"toggle_threads", "threads or date order", []string{"t"}},
			{"sort", "sort by: date, arrival, sender, subject, size, unread, flagged", []string{"o"}},
			{"sort_reverse", "reverse the sort", []string{"O"}},
			{"resume", "edit as new (resume a draft)", []string{"E"}},
			{"unsubscribe", "unsubscribe from the mailing list", []string{"U"}},
			{"sync", "sync now", []string{"$"}},
			{"outbox", "the outbox: scheduled and waiting mail (edit, cancel, send now)", []string{"L"}},
			{"help", "toggle help", []string{"?"}},
			{"quit", "quit", []string{"q", "ctrl+c"}},
		},
		Sidebar: {
			{"next_account", "next account (1-9: account N)", []string{"tab"}},
			{"prev_account", "previous account", []string{"shift+tab"}},
			{"next_folder", "next folder", []string{"J", "ctrl+n"}},
			{"prev_folder", "previous folder", []string{"K", "ctrl+p"}},
			{"all_inboxes", "all inboxes, merged", []string{"0"}},
		},
		Pager: {
			{"down", "scroll down", []string{"j", "down"}},
			{"up", "scroll up", []string{"k", "up"}},
			{"top", "top", []string{"g", "home"}},
			{"bottom", "bottom", []string{"G", "end"}},
			{"page_down", "page down", []string{"ctrl+d", "pgdown", " "}},
			{"page_up", "page up", []string{"ctrl+u", "pgup"}},
			{"next_message", "next message", []string{"J"}},
			{"prev_message", "previous message", []string{"K"}},
			{"search", "search in the message (n, N: next, previous match)", []string{"/"}},
			{"search_next", "next match", []string{"n"}},
			{"search_prev", "previous match", []string{"N"}},
			{"full_headers", "all header fields or the main ones", []string{"h"}},
			{"pipe", "pipe the message to a command", []string{"|"}},
			{"reply", "reply", []string{"r"}},
			{"reply_all", "reply to all", []string{"R"}},
			{"forward", "forward", []string{"f"}},
			{"forward_attachment", "forward as an attachment", []string{"ctrl+f"}},
			{"toggle_flag", "toggle flag", []string{"F"}},
			{"delete", "delete (to Trash)", []string{"d"}},
			{"archive", "archive", []string{"a"}},
			{"resume", "edit as new (resume a draft)", []string{"E"}},
			{"save_attachment", "save an attachment", []string{"s"}},
			{"open_attachment", "open an attachment", []string{"o"}},
			{"open_link", "open a link (its number below the message; http and https only)", []string{"l"}},
			{"unsubscribe", "unsubscribe from the mailing list", []string{"U"}},
			{"invite_accept", "accept the invitation", []string{"A"}},
			{"invite_tentative", "accept the invitation tentatively", []string{"T"}},
			{"invite_decline", "decline the invitation", []string{"D"}},
			{"invite_export", "export the invitation to an .ics file", []string{"X"}},
			{"back", "back to the index", []string{"q", "esc"}},
		},
		Compose: {
			{"send", "send", []string{"y"}},
			{"edit", "edit again", []string{"e"}},
			{"identity", "next identity (From)", []string{"f"}},
			{"send_later", "send later", []string{"l"}},
			{"sign", "sign or not", []string{"s"}},
			{"encrypt", "encrypt or not", []string{"c"}},
			{"smime", "OpenPGP or S/MIME", []string{"p"}},
			{"postpone", "close, kept in Drafts", []string{"q", "esc"}},
			{"discard", "discard", []string{"x"}},
		},
	}
}

// Map is the bindings in force: per context, the actions in help order.
type Map map[Context][]Action

// Defaults returns the default bindings.
func Defaults() Map { return Map(defaults()) }

// Action returns the named action of a context; it panics on a name the
// table does not have, which is a programming error.
func (m Map) Action(ctx Context, name string) Action {
	for _, a := range m[ctx] {
		if a.Name == name {
			return a
		}
	}
	panic(fmt.Sprintf("keymap: no action %s.%s", ctx, name))
}

// Problem is a wrong entry of a [keys] table. Path is the key's dotted
// path in the configuration ("keys.index.compose").
type Problem struct {
	Path, Message string
}

// scopes lists the contexts that are active together and so must not
// share a key: the sidebar keys work while the index has focus.
var scopes = [][]Context{{Index, Sidebar}, {Pager}, {Compose}}

// Build applies overrides ([keys.<context>] action = ["key", ...]) to the
// defaults. Unknown contexts or actions, empty key lists and one key
// bound to two actions in the same scope are problems; the returned Map
// is usable even then (bad entries are ignored).
func Build(overrides map[string]map[string][]string) (Map, []Problem) {
	m := Defaults()
	var problems []Problem
	overridden := map[string]bool{} // "context.action" the user rebound
	ctxNames := make([]string, 0, len(overrides))
	for c := range overrides {
		ctxNames = append(ctxNames, c)
	}
	sort.Strings(ctxNames)
	for _, c := range ctxNames {
		actions, ok := m[Context(c)]
		if !ok {
			problems = append(problems, Problem{"keys." + c, "unknown context (index, pager, compose, sidebar)"})
			continue
		}
		for _, name := range sortedKeys(overrides[c]) {
			keys := overrides[c][name]
			path := "keys." + c + "." + name
			i := indexOf(actions, name)
			switch {
			case i < 0:
				problems = append(problems, Problem{path, "unknown action" + known(actions)})
			case len(keys) == 0:
				problems = append(problems, Problem{path, "no keys given"})
			default:
				actions[i].Keys = append([]string(nil), keys...)
				overridden[c+"."+name] = true
			}
		}
	}
	for _, scope := range scopes {
		owner := map[string]string{}
		for _, c := range scope {
			for _, a := range m[c] {
				for _, k := range a.Keys {
					who := string(c) + "." + a.Name
					if prev, ok := owner[k]; ok && prev != who {
						// Blame the binding the user wrote, not the default.
						at, other := who, prev
						if overridden[prev] && !overridden[who] {
							at, other = prev, who
						}
						problems = append(problems, Problem{"keys." + at, fmt.Sprintf("key %q is also bound to %s", displayName(k), other)})
						continue
					}
					owner[k] = who
				}
			}
		}
	}
	return m, problems
}

func indexOf(actions []Action, name string) int {
	for i, a := range actions {
		if a.Name == name {
			return i
		}
	}
	return -1
}

func known(actions []Action) string {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = a.Name
	}
	return " (known: " + strings.Join(names, ", ") + ")"
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func displayName(k string) string {
	if k == " " {
		return "space"
	}
	return k
}
