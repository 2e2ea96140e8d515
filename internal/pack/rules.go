package pack

import (
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// builtin is one default exclude: the rule, and the literal name it keeps
// out of wildcards' reach (rooted: only as the first path segment).
type builtin struct {
	rule   globs.Rule
	name   string
	rooted bool
}

// builtins are the default excludes. node_modules is left out because the
// cloud installs dependencies from package.json ("cloud dependencies",
// API-NOTES.md); the rest are version-control and macOS litter that bloat or
// break functions.
func builtins() []builtin {
	return []builtin{
		{globs.Rule{Pattern: "node_modules/**", Exclude: true}, "node_modules", true},
		{globs.Rule{Pattern: ".git/**", Exclude: true}, ".git", true},
		{globs.Rule{Pattern: "**/.DS_Store", Exclude: true}, ".DS_Store", false},
		{globs.Rule{Pattern: "__MACOSX/**", Exclude: true}, "__MACOSX", true},
		{globs.Rule{Pattern: "**/__MACOSX/**", Exclude: true}, "__MACOSX", false},
	}
}

// DefaultExcludes are the rules applied before the user's lines.
//
// A later line re-includes what they exclude only when it spells the excluded
// name: wildcards never match it (as a shell's * skips dot files). So the
// default "**" still leaves node_modules out, while "node_modules/**" or
// "node_modules/lodash/**" brings it back. Read literally, last-match-wins
// with "**" after the defaults would re-include everything and the defaults
// would never apply.
func DefaultExcludes() globs.List {
	var rules globs.List
	for _, b := range builtins() {
		rules = append(rules, b.rule)
	}
	return rules
}

// rulesFor turns the Files option into the full rule list: defaults first,
// then the user's rules (none => "**"). A list built in code is checked as
// globs.Parse checks text: the matcher trusts its patterns.
func rulesFor(files globs.List) ([]globs.Rule, error) {
	if err := files.Validate(); err != nil {
		return nil, &SelectError{Msg: "files: " + strings.ReplaceAll(err.Error(), "\n", "; files: ")}
	}
	if len(files) == 0 {
		files = globs.List{{Pattern: "**"}}
	}
	return append(DefaultExcludes(), files...), nil
}

// userPatterns lists the user's rules as lines, for messages.
func userPatterns(rules []globs.Rule) []string {
	return globs.List(rules[len(DefaultExcludes()):]).Strings()
}

// sentinel replaces a default-excluded name to tell a pattern that spells
// the name from one that reaches it by wildcard: every wildcard matches it,
// no file name holds it.
const sentinel = "\x00"

// matcher applies a rule list: the builtins, then the user's rules. Patterns
// are validated when parsed, so the unvalidated (faster) match is safe.
type matcher struct {
	rules    []globs.Rule
	builtins []builtin
	// segs caches each pattern split on '/', or nil when the pattern holds
	// braces or escapes (which may hide a '/'), so prefix reasoning must give up.
	segs [][]string
}

func newMatcher(rules []globs.Rule) *matcher {
	m := &matcher{rules: rules, builtins: builtins(), segs: make([][]string, len(rules))}
	for i, r := range rules {
		if simple(r.Pattern) {
			m.segs[i] = strings.Split(r.Pattern, "/")
		}
	}
	return m
}

// simple reports whether pattern can be reasoned about one segment at a
// time: no braces or escapes (which may hide a '/'), and "**" only as a whole
// segment (doublestar treats runs of stars inside a segment in ways a
// segment-wise match does not reproduce: "**X***/*x*" matches
// "__MACOSX/a.x" although "**X***" alone does not match "__MACOSX").
func simple(pattern string) bool {
	if strings.ContainsAny(pattern, "{\\") {
		return false
	}
	for _, s := range strings.Split(pattern, "/") {
		if s != "**" && strings.Contains(s, "**") {
			return false
		}
	}
	return true
}

// included reports whether the file at slash path name is packed: the last
// matching rule decides; no match means left out. A user include reaches a
// default-excluded file only if it spells the excluded names.
func (m *matcher) included(name string) bool {
	var pins []int
	pinsKnown := false
	for i := len(m.rules) - 1; i >= 0; i-- {
		r := m.rules[i]
		if !doublestar.MatchUnvalidated(r.Pattern, name) {
			continue
		}
		if r.Exclude {
			return false
		}
		if !pinsKnown {
			pins, pinsKnown = m.filePins(name), true
		}
		if !spells(r.Pattern, name, pins) {
			continue
		}
		return true
	}
	return false
}

// filePins lists the segments of name that a builtin excludes it for.
func (m *matcher) filePins(name string) []int {
	var pins []int
	var segs []string
	for _, b := range m.builtins {
		if !strings.Contains(name, b.name) || !doublestar.MatchUnvalidated(b.rule.Pattern, name) {
			continue
		}
		if segs == nil {
			segs = strings.Split(name, "/")
		}
		for k, s := range segs {
			if s == b.name && (k == 0 || !b.rooted) && !slices.Contains(pins, k) {
				pins = append(pins, k)
			}
		}
	}
	return pins
}

// spells reports whether pattern still matches name once any one pinned
// segment is swapped for the sentinel: if it does, a wildcard did the
// matching there.
func spells(pattern, name string, pins []int) bool {
	if len(pins) == 0 {
		return true
	}
	segs := strings.Split(name, "/")
	for _, k := range pins {
		orig := segs[k]
		segs[k] = sentinel
		hit := doublestar.MatchUnvalidated(pattern, strings.Join(segs, "/"))
		segs[k] = orig
		if hit {
			return false
		}
	}
	return true
}

// prunable reports whether no file under directory dir can be packed, so the
// walk may skip it. It must never say true wrongly (that would drop files), so
// it is conservative: a file under dir is left out when some exclude rule i
// covers all of dir (pattern "P/**" with P matching dir or an ancestor) and no
// include rule after i could reach below dir; with no such exclude, when no
// include rule at all could.
func (m *matcher) prunable(dir string) bool {
	from := 0
	for i := len(m.rules) - 1; i >= 0; i-- {
		if m.rules[i].Exclude && covers(m.rules[i].Pattern, dir) {
			from = i + 1
			break
		}
	}
	dirSegs := strings.Split(dir, "/")
	pins := m.dirPins(dir, dirSegs)
	for j := from; j < len(m.rules); j++ {
		if !m.rules[j].Exclude && m.couldReach(j, dirSegs, pins) {
			return false
		}
	}
	return true
}

// dirPins lists the segments of dir for which a builtin excludes everything
// below dir.
func (m *matcher) dirPins(dir string, dirSegs []string) []int {
	var pins []int
	for _, b := range m.builtins {
		if !covers(b.rule.Pattern, dir) {
			continue
		}
		for k, s := range dirSegs {
			if s == b.name && (k == 0 || !b.rooted) && !slices.Contains(pins, k) {
				pins = append(pins, k)
			}
		}
	}
	return pins
}

// covers reports whether pattern matches every path below dir.
func covers(pattern, dir string) bool {
	if pattern == "**" {
		return true
	}
	p, ok := strings.CutSuffix(pattern, "/**")
	if !ok || !simple(p) {
		return false
	}
	for a := dir; ; {
		if doublestar.MatchUnvalidated(p, a) {
			return true
		}
		i := strings.LastIndexByte(a, '/')
		if i < 0 {
			return false
		}
		a = a[:i]
	}
}

// couldReach reports whether rule j might pack some file dir/x/...: a
// segment-by-segment comparison that answers yes when it cannot reason
// (braces, escapes, a "**" followed by literals). pins are dir's
// default-excluded segments, which only a spelled segment may consume.
func (m *matcher) couldReach(j int, dirSegs []string, pins []int) bool {
	segs := m.segs[j]
	if segs == nil {
		return true
	}
	for k, d := range dirSegs {
		if k >= len(segs) {
			return false
		}
		s := segs[k]
		if s == "**" {
			// "**" may swallow the pinned names still ahead; then one of the
			// later segments must spell each of them.
			for _, pk := range pins {
				if pk >= k && !anySpells(segs[k+1:], dirSegs[pk]) {
					return false
				}
			}
			return true
		}
		if !doublestar.MatchUnvalidated(s, d) {
			return false
		}
		if slices.Contains(pins, k) && doublestar.MatchUnvalidated(s, sentinel) {
			return false // a wildcard segment over a default-excluded name
		}
	}
	return len(segs) > len(dirSegs)
}

func anySpells(segs []string, name string) bool {
	for _, s := range segs {
		if doublestar.MatchUnvalidated(s, name) && !doublestar.MatchUnvalidated(s, sentinel) {
			return true
		}
	}
	return false
}
