package version

import (
	"regexp"
	"strings"
)

// Conventional is what a commit message says under the Conventional
// Commits 1.0.0 specification (https://www.conventionalcommits.org).
type Conventional struct {
	Type        string // the type, lowercased ("feat", "fix", "revert"…); "" when the header is not conventional
	Scope       string // the scope in parentheses, "" when none
	Breaking    bool   // "!" before the colon, or a BREAKING CHANGE footer
	Description string // the header after the colon (for a git revert, the reverted subject)
	Merge       bool   // the default message of a merge ("Merge branch 'x'", "Merge pull request #1 from …")
	Revert      bool   // a revert: the type "revert" or git's `Revert "…"`
}

var (
	headerRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_-]*)(?:\(([^()\r\n]*)\))?(!)?:\s*(\S.*)$`)
	revertRE = regexp.MustCompile(`^Revert "(.*)"\s*$`)
	mergeRE  = regexp.MustCompile(`^Merge (?:branch|branches|remote-tracking branch|pull request|tag|commit|[0-9a-f]{7,40})\b`)
	footerRE = regexp.MustCompile(`^BREAKING[ -]CHANGE(?:: | #)`)
)

// ParseConventional parses a commit message: its first line is the header,
// "type(scope)!: description"; the type is case-insensitive, the colon may
// be followed by any blanks. A line of the rest starting with
// "BREAKING CHANGE: " or "BREAKING-CHANGE: " (uppercase, as the
// specification requires) marks a breaking change. A revert never carries
// the breaking change of the commit it reverts.
func ParseConventional(msg string) Conventional {
	header, body, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	header = strings.TrimSpace(header)
	var c Conventional
	switch m := headerRE.FindStringSubmatch(header); {
	case m != nil:
		c.Type = strings.ToLower(m[1])
		c.Scope = strings.TrimSpace(m[2])
		c.Breaking = m[3] == "!"
		c.Description = strings.TrimSpace(m[4])
		c.Revert = c.Type == "revert"
	case revertRE.MatchString(header):
		c.Type = "revert"
		c.Revert = true
		c.Description = revertRE.FindStringSubmatch(header)[1]
	case mergeRE.MatchString(header):
		c.Merge = true
		c.Description = header
	default:
		c.Description = header
	}
	for _, line := range strings.Split(body, "\n") {
		if footerRE.MatchString(strings.TrimRight(line, "\r")) {
			c.Breaking = true
		}
	}
	return c
}

// Bump returns the bump the commit asks for: major for a breaking change,
// minor for a feat, patch for anything else.
func (c Conventional) Bump() Bump {
	switch {
	case c.Breaking:
		return BumpMajor
	case c.Type == "feat":
		return BumpMinor
	default:
		return BumpPatch
	}
}
