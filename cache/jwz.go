package cache

import (
	"slices"
	"strings"
	"unicode"
)

// This file is the threading algorithm itself, after Jamie Zawinski's
// description (https://www.jwz.org/doc/threading.html): link messages by
// Message-ID, References and In-Reply-To, prune empty containers, then
// group root messages whose subjects are the same once reply and forward
// prefixes are stripped. It works on plain values and knows no SQL.

// threadMsg is one message as the threader sees it.
type threadMsg struct {
	rowID     int64
	messageID string   // normalised, "" if none
	refs      []string // normalised: References, then In-Reply-To if not already last
	subject   string
	date      int64

	// old values, to write back only what changed
	oldThread, oldDepth, oldOrder, oldLatest int64
}

// maxRefs bounds how many references of one message are followed, so a
// hostile References header of thousands of ids costs nothing special.
const maxRefs = 64

// container is a node of the thread tree; msg is nil for a message that is
// referenced but not present.
type container struct {
	id       string
	msg      *threadMsg
	parent   *container
	children []*container

	first    int64 // earliest date in the subtree, once known
	hasFirst bool
}

// placed is one message's position in its thread.
type placed struct {
	msg          *threadMsg
	depth, order int64
}

// thread is one computed thread: its messages in display order and the
// keys under which later messages can find it.
type thread struct {
	rows []placed
	keys []string // message ids (present or not) and "s:" + base subject of the root
}

// normalizeID strips angle brackets and white space from a message id.
func normalizeID(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "<")
	s = strings.TrimSuffix(s, ">")
	return strings.TrimSpace(s)
}

// baseSubject strips reply and forward prefixes (Re:, Fwd:, Fw:, AW:, SV:,
// WG:, VS:, Antw:, Re[2]:, Re(2):) and folds case and white space. isReply
// reports whether any prefix was there.
func baseSubject(s string) (base string, isReply bool) {
	s = strings.TrimSpace(s)
	for range 32 { // bounded: hostile subjects may repeat prefixes endlessly
		rest, ok := cutReplyPrefix(s)
		if !ok {
			break
		}
		s, isReply = strings.TrimSpace(rest), true
	}
	return strings.Join(strings.Fields(strings.ToLower(s)), " "), isReply
}

var replyPrefixes = []string{"re", "fwd", "fw", "aw", "sv", "wg", "vs", "antw", "tr", "rif"}

func cutReplyPrefix(s string) (string, bool) {
	i := 0
	for i < len(s) && i < 8 && s[i] < unicode.MaxASCII && unicode.IsLetter(rune(s[i])) {
		i++
	}
	word := strings.ToLower(s[:i])
	if !slices.Contains(replyPrefixes, word) {
		return "", false
	}
	rest := s[i:]
	if strings.HasPrefix(rest, "[") || strings.HasPrefix(rest, "(") {
		end := strings.IndexAny(rest, "])")
		if end < 0 || end > 6 {
			return "", false
		}
		rest = rest[end+1:]
	}
	rest = strings.TrimLeft(rest, " ")
	if !strings.HasPrefix(rest, ":") {
		return "", false
	}
	return rest[1:], true
}

// computeThreads threads msgs and returns one thread per root.
func computeThreads(msgs []*threadMsg) []thread {
	ids := map[string]*container{}
	get := func(id string) *container {
		c, ok := ids[id]
		if !ok {
			c = &container{id: id}
			ids[id] = c
		}
		return c
	}
	var all []*container
	for _, m := range msgs {
		var c *container
		if m.messageID != "" && ids[m.messageID] != nil && ids[m.messageID].msg == nil {
			c = ids[m.messageID]
		} else if m.messageID != "" && ids[m.messageID] == nil {
			c = get(m.messageID)
		} else {
			// No id, or a duplicate: a container of its own.
			c = &container{}
		}
		c.msg = m
		all = append(all, c)

		var prev *container
		refs := m.refs
		if len(refs) > maxRefs {
			refs = refs[len(refs)-maxRefs:]
		}
		for _, r := range refs {
			rc := get(r)
			if prev != nil && rc.parent == nil && rc != prev && !isAncestor(rc, prev) {
				link(prev, rc)
			}
			prev = rc
		}
		// The message's own References are authoritative for its parent.
		// Without References, a parent presumed from another message stays.
		if prev != nil && prev != c && !isAncestor(c, prev) {
			link(prev, c)
		}
	}
	for _, c := range ids {
		if c.msg == nil {
			all = append(all, c)
		}
	}
	var roots []*container
	for _, c := range all {
		if c.parent == nil {
			roots = append(roots, c)
		}
	}
	roots = pruneRoots(roots)
	roots = groupBySubject(roots)
	out := make([]thread, 0, len(roots))
	for _, r := range roots {
		out = append(out, flatten(r))
	}
	return out
}

// link makes child a child of parent, unlinking it from its old parent.
func link(parent, child *container) {
	if child.parent == parent {
		return
	}
	if old := child.parent; old != nil {
		old.children = slices.DeleteFunc(old.children, func(x *container) bool { return x == child })
	}
	child.parent = parent
	parent.children = append(parent.children, child)
}

// isAncestor reports whether a is b or one of b's ancestors.
func isAncestor(a, b *container) bool {
	for x := b; x != nil; x = x.parent {
		if x == a {
			return true
		}
	}
	return false
}

// prune removes empty containers below c, promoting their children.
func prune(c *container) {
	var kept []*container
	for _, ch := range c.children {
		prune(ch)
		if ch.msg == nil {
			for _, g := range ch.children {
				g.parent = c
				kept = append(kept, g)
			}
			continue
		}
		kept = append(kept, ch)
	}
	c.children = kept
}

// pruneRoots prunes every tree; an empty root with no children goes, one
// with a single child is replaced by it, one with several children stays
// and holds them together.
func pruneRoots(roots []*container) []*container {
	var out []*container
	for _, r := range roots {
		prune(r)
		switch {
		case r.msg != nil || len(r.children) > 1:
			out = append(out, r)
		case len(r.children) == 1:
			r.children[0].parent = nil
			out = append(out, r.children[0])
		}
	}
	return out
}

// rootSubject is the subject of a root: its message's, or its first
// child's when the root is empty.
func rootSubject(c *container) (string, bool) {
	if c.msg != nil {
		return baseSubject(c.msg.subject)
	}
	if len(c.children) > 0 && c.children[0].msg != nil {
		return baseSubject(c.children[0].msg.subject)
	}
	return "", false
}

// groupBySubject merges root threads with the same base subject.
func groupBySubject(roots []*container) []*container {
	table := map[string]*container{}
	for _, r := range roots {
		base, reply := rootSubject(r)
		if base == "" {
			continue
		}
		old, ok := table[base]
		if !ok {
			table[base] = r
			continue
		}
		_, oldReply := rootSubject(old)
		if (r.msg == nil && old.msg != nil) || (oldReply && !reply && old.msg != nil && r.msg != nil) {
			table[base] = r
		}
	}
	var out []*container
	for _, r := range roots {
		base, reply := rootSubject(r)
		that := table[base]
		if base == "" || that == nil || that == r {
			out = append(out, r)
			continue
		}
		_, thatReply := rootSubject(that)
		switch {
		case that.msg == nil && r.msg == nil:
			for _, ch := range r.children {
				ch.parent = nil
				link(that, ch)
			}
		case that.msg == nil:
			link(that, r)
		case r.msg == nil:
			// Cannot happen: an empty root is preferred in the table.
			link(r, that)
			table[base] = r
			out = append(out, r)
		case reply && !thatReply:
			link(that, r)
		case !reply && thatReply:
			link(r, that)
			table[base] = r
			out = append(out, r)
		default:
			// Both replies, or both originals: siblings under an empty root.
			holder := &container{}
			that.parent = nil
			link(holder, that)
			link(holder, r)
			table[base] = holder
			out = slices.DeleteFunc(out, func(x *container) bool { return x == that })
			out = append(out, holder)
		}
	}
	// Merged roots have a parent now.
	return slices.DeleteFunc(out, func(x *container) bool { return x.parent != nil })
}

// earliest is the date that orders a container among its siblings.
func earliest(c *container) int64 {
	if c.hasFirst {
		return c.first
	}
	d := int64(1<<63 - 1)
	if c.msg != nil {
		d = c.msg.date
	} else {
		for _, ch := range c.children {
			d = min(d, earliest(ch))
		}
	}
	c.first, c.hasFirst = d, true
	return d
}

// flatten lists a tree depth first, siblings by date; depth counts the
// present messages above a row.
func flatten(root *container) thread {
	var t thread
	seen := map[string]bool{}
	addKey := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			t.keys = append(t.keys, k)
		}
	}
	var walk func(c *container, depth int64)
	walk = func(c *container, depth int64) {
		addKey(c.id)
		if c.msg != nil {
			t.rows = append(t.rows, placed{msg: c.msg, depth: depth, order: int64(len(t.rows))})
			// Pruned empty parents are keys too: their message may come.
			for _, r := range c.msg.refs {
				addKey(r)
			}
			depth++
		}
		slices.SortStableFunc(c.children, func(a, b *container) int {
			da, db := earliest(a), earliest(b)
			switch {
			case da < db:
				return -1
			case da > db:
				return 1
			}
			return 0
		})
		for _, ch := range c.children {
			walk(ch, depth)
		}
	}
	walk(root, 0)
	if base, _ := rootSubject(root); base != "" {
		addKey("s:" + base)
	}
	return t
}
