package version

import (
	"fmt"
	"strings"
)

// Note is one commit of an image's release notes.
type Note struct {
	Commit      string `json:"commit"`          // short hash
	Type        string `json:"type,omitempty"`  // conventional type ("feat", "fix"…); "" when not conventional
	Scope       string `json:"scope,omitempty"` // conventional scope; "" when none
	Description string `json:"description"`     // the header after the colon, or the whole subject
}

// Notes are the release notes of one image: the commits that drove its
// version (Decision.Causes: only those changing its inputs), grouped as a
// changelog reader looks for them, newest first in each group.
type Notes struct {
	Breaking []Note `json:"breaking"` // breaking changes ("!" or a BREAKING CHANGE footer), whatever their type
	Features []Note `json:"features"` // feat
	Fixes    []Note `json:"fixes"`    // fix
	Other    []Note `json:"other"`    // any other type, reverts and commits that are not conventional
}

// NotesOf groups the causes of a decision into release notes. It parses
// nothing: each cause carries the header Next parsed for its bump.
func NotesOf(causes []Cause) Notes {
	n := Notes{Breaking: []Note{}, Features: []Note{}, Fixes: []Note{}, Other: []Note{}}
	for _, c := range causes {
		note := Note{Commit: c.Commit.Short(), Type: c.Header.Type, Scope: c.Header.Scope, Description: c.Header.Description}
		switch {
		case c.Header.Breaking:
			n.Breaking = append(n.Breaking, note)
		case c.Header.Type == "feat":
			n.Features = append(n.Features, note)
		case c.Header.Type == "fix":
			n.Fixes = append(n.Fixes, note)
		default:
			n.Other = append(n.Other, note)
		}
	}
	return n
}

// Empty reports whether n lists no commit.
func (n Notes) Empty() bool {
	return len(n.Breaking)+len(n.Features)+len(n.Fixes)+len(n.Other) == 0
}

// groups are the sections of n in the order they are shown.
func (n Notes) groups() []struct {
	title string
	notes []Note
} {
	return []struct {
		title string
		notes []Note
	}{{"Breaking changes", n.Breaking}, {"Features", n.Features}, {"Fixes", n.Fixes}, {"Other", n.Other}}
}

// Markdown renders n as Markdown sections under headings of level
// (e.g. "###"): "### Features" then "- **scope:** description (abc1234)"
// lines; empty groups are left out, and empty notes render as "".
func (n Notes) Markdown(level string) string {
	var b strings.Builder
	for _, g := range n.groups() {
		if len(g.notes) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s\n\n", level, g.title)
		for _, note := range shown(g.notes) {
			fmt.Fprintf(&b, "- %s\n", note.line("**%s:** "))
		}
		if n := len(g.notes) - MaxShown; n > 0 {
			fmt.Fprintf(&b, "- … and %d more\n", n)
		}
	}
	return b.String()
}

// Text renders n as plain text for a commit message: a "Title:" line per
// group and "- scope: description (abc1234)" lines, indented by indent.
func (n Notes) Text(indent string) string {
	var b strings.Builder
	for _, g := range n.groups() {
		if len(g.notes) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s%s:\n", indent, g.title)
		for _, note := range shown(g.notes) {
			fmt.Fprintf(&b, "%s- %s\n", indent, note.line("%s: "))
		}
		if n := len(g.notes) - MaxShown; n > 0 {
			fmt.Fprintf(&b, "%s- … and %d more\n", indent, n)
		}
	}
	return b.String()
}

// MaxShown bounds the notes Markdown and Text show per group (a first
// release lists the image's whole history); the rest are counted.
const MaxShown = 100

// shown is the part of notes that is rendered.
func shown(notes []Note) []Note {
	return notes[:min(len(notes), MaxShown)]
}

// line is the note as one line; scopeFormat renders its scope.
func (n Note) line(scopeFormat string) string {
	s := ""
	if n.Scope != "" {
		s = fmt.Sprintf(scopeFormat, n.Scope)
	}
	return fmt.Sprintf("%s%s (%s)", s, strings.ReplaceAll(n.Description, "\n", " "), n.Commit)
}
