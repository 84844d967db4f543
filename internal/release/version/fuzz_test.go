package version

import (
	"regexp"
	"strings"
	"testing"
)

var (
	fuzzTypeRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	parsedTypes = regexp.MustCompile(`^([a-z][a-z0-9_-]*)?$`)
)

// FuzzParseConventional parses messages built from a type, a scope, a
// "!", a description and a body, each arbitrary: the parse never panics,
// its fields are single lines, the bump follows them, and a well-formed
// header is read back part for part.
func FuzzParseConventional(f *testing.F) {
	f.Fuzz(func(t *testing.T, typ, scope string, bang bool, desc, body string) {
		header := typ
		if scope != "" {
			header += "(" + scope + ")"
		}
		if bang {
			header += "!"
		}
		header += ": " + desc
		msg := header + "\n\n" + body
		c := ParseConventional(msg)
		for field, v := range map[string]string{"type": c.Type, "scope": c.Scope, "description": c.Description} {
			if strings.Contains(v, "\n") {
				t.Fatalf("%s %q holds a line break; message %q", field, v, msg)
			}
		}
		if !parsedTypes.MatchString(c.Type) {
			t.Fatalf("type %q; message %q", c.Type, msg)
		}
		want := BumpPatch
		switch {
		case c.Breaking:
			want = BumpMajor
		case c.Type == "feat":
			want = BumpMinor
		}
		if got := c.Bump(); got != want {
			t.Fatalf("bump %v, want %v for %+v", got, want, c)
		}
		wellFormed := fuzzTypeRE.MatchString(typ) && !strings.ContainsAny(scope, "()\r\n") &&
			!strings.ContainsAny(desc, "\r\n") && strings.TrimSpace(desc) != ""
		if !wellFormed {
			return
		}
		if c.Type != strings.ToLower(typ) || c.Scope != strings.TrimSpace(scope) || c.Description != strings.TrimSpace(desc) || bang && !c.Breaking {
			t.Fatalf("%q parsed as %+v", msg, c)
		}
	})
}
