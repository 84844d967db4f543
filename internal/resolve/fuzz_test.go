package resolve

import (
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/yamldoc"
)

// FuzzScan scans arbitrary YAML for ko:// and gobake:// references: Scan
// never panics, fails with one line naming the input, and finds each
// reference where it says; rewriting them all gives YAML in which exactly
// those values changed, and no reference is left.
func FuzzScan(f *testing.F) {
	const digest = "registry.example.com/img@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	f.Fuzz(func(t *testing.T, data []byte) {
		refs, _, err := Scan(Input{Name: "in.yaml", Data: data})
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "in.yaml:") {
				t.Fatalf("error is not one line naming the input: %q", msg)
			}
			return
		}
		for _, r := range refs {
			if r.Line < 1 || r.Column < 1 || string(data[r.start:r.end]) != r.String() {
				t.Fatalf("%s: %q is not at bytes %d-%d (%q)", r.Pos(), r.String(), r.start, r.end, data[r.start:r.end])
			}
		}
		if len(refs) == 0 {
			return
		}
		out := Rewrite(data, refs, func(Ref) string { return digest })
		again, _, err := Scan(Input{Name: "out.yaml", Data: out})
		if err != nil {
			t.Fatalf("the rewritten YAML does not scan: %v\ninput:\n%s\noutput:\n%s", err, data, out)
		}
		if len(again) > 0 {
			t.Fatalf("%s: a reference is left after rewriting\ninput:\n%s\noutput:\n%s", again[0].Pos(), data, out)
		}
		a, b := decodeAll(t, data), decodeAll(t, out)
		if len(a) != len(b) {
			t.Fatalf("%d documents became %d\noutput:\n%s", len(a), len(b), out)
		}
		for i := range a {
			if why := rewritten(a[i], b[i], digest); why != "" {
				t.Fatalf("%s\ninput:\n%s\noutput:\n%s", why, data, out)
			}
		}
	})
}

// decodeAll parses every document of data.
func decodeAll(t *testing.T, data []byte) []*yaml.Node {
	t.Helper()
	docs, err := yamldoc.Decode(data)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, data)
	}
	return docs
}

// rewritten says how b differs from a other than by references replaced
// with digest; "" when it does not.
func rewritten(a, b *yaml.Node, digest string) string {
	if a.Kind != b.Kind || a.Tag != b.Tag || len(a.Content) != len(b.Content) {
		return "the structure changed at line " + strconv.Itoa(a.Line)
	}
	if a.Kind == yaml.ScalarNode && a.Value != b.Value {
		v := strings.TrimSpace(a.Value)
		if !strings.HasPrefix(v, KoScheme) && !strings.HasPrefix(v, GobakeScheme) || b.Value != strings.Replace(a.Value, v, digest, 1) {
			return "the value " + a.Value + " became " + b.Value
		}
	}
	if a.Kind == yaml.AliasNode {
		return ""
	}
	for i := range a.Content {
		if why := rewritten(a.Content[i], b.Content[i], digest); why != "" {
			return why
		}
	}
	return ""
}
