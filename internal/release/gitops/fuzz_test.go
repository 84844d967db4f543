package gitops

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/yamldoc"
)

// fuzzTargets are the kinds of file FuzzEdit edits: the file's name and
// its target.
var fuzzTargets = []struct {
	path   string
	target config.GitOpsTarget
}{
	{"values.yaml", config.GitOpsTarget{Helm: map[string]config.HelmPaths{"api": {Tag: ".image.tag"}}}},
	{"values.yaml", config.GitOpsTarget{Helm: map[string]config.HelmPaths{"api": {Repository: ".image.repository", Tag: ".image.tag", Digest: ".image.digest"}}}},
	{"kustomization.yaml", config.GitOpsTarget{}},
	{"deploy.yaml", config.GitOpsTarget{}},
}

// FuzzEdit edits arbitrary YAML with an arbitrary reference for api: the
// result is valid YAML in which only the targeted values differ, holding
// what was written, and editing it again changes nothing; or the edit is
// refused with a one-line error, never by the safety net.
func FuzzEdit(f *testing.F) {
	f.Fuzz(func(t *testing.T, src []byte, kind, pin uint8, ref string) {
		ft := fuzzTargets[int(kind)%len(fuzzTargets)]
		ft.target.File = ft.path
		p := []config.Pin{config.PinTag, config.PinDigest, config.PinTagDigest}[int(pin)%3]
		repo, tag, _ := splitRef(ref)
		if repo == "" {
			repo = "ghcr.io/acme/api"
		}
		if tag == "" {
			tag = "1.0.0"
		}
		updates := []Update{
			{Image: "api", Repository: repo, Version: "1.0.0", Tag: tag, Digest: digestA},
			{Image: "worker", Repository: "ghcr.io/acme/worker", Version: "2.0.0", Tag: "2.0.0", Digest: digestB},
		}
		out, changes, err := Edit(src, ft.path, ft.target, updates, p)
		if err != nil {
			if errors.Is(err, errUnsafeEdit) {
				t.Fatalf("the safety net caught a bad edit: %v\ninput:\n%s", err, src)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, ft.path+":") && !strings.HasPrefix(msg, "update api: ") {
				t.Fatalf("error is not one line starting with %s: %q", ft.path+":", msg)
			}
			return
		}
		var written []string
		for _, c := range changes {
			written = append(written, c.New)
		}
		if bytes.Equal(out, src) {
			return
		}
		a, err := yamldoc.Decode(src)
		if err != nil {
			t.Fatalf("the input parses for Edit but not here: %v", err)
		}
		b, err := yamldoc.Decode(out)
		if err != nil {
			t.Fatalf("the output is not YAML: %v\ninput:\n%s\noutput:\n%s", err, src, out)
		}
		if len(a) != len(b) {
			t.Fatalf("%d documents became %d\ninput:\n%s\noutput:\n%s", len(a), len(b), src, out)
		}
		for i := range a {
			if why := sameBut(a[i], b[i], written); why != "" {
				t.Fatalf("%s\ninput:\n%s\noutput:\n%s", why, src, out)
			}
		}
		again, _, err := Edit(out, ft.path, ft.target, updates, p)
		if err != nil {
			t.Fatalf("editing the output again: %v\noutput:\n%s", err, out)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("editing the output again changes it:\n%s\nthen:\n%s", out, again)
		}
	})
}

// sameBut says how b differs from a other than by scalars now holding one
// of the strings written, or by newTag: and digest: entries holding one;
// "" when it does not.
func sameBut(a, b *yaml.Node, written []string) string {
	if a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && (a.Value != b.Value || a.Tag != b.Tag) {
		if !slices.Contains(written, b.Value) || b.ShortTag() != "!!str" {
			return "the scalar " + a.Value + " became " + b.ShortTag() + " " + b.Value + ", which was not written"
		}
		return ""
	}
	switch {
	case a.Kind != b.Kind:
		return "a node changed kind: " + a.Value
	case a.Tag != b.Tag:
		return "a node changed tag: " + a.Tag + " to " + b.Tag
	case a.Kind == yaml.AliasNode:
		if a.Value != b.Value {
			return "an alias changed: " + a.Value + " to " + b.Value
		}
		return ""
	case a.Anchor != b.Anchor:
		return "an anchor changed: " + a.Anchor + " to " + b.Anchor
	}
	bc := b.Content
	if a.Kind == yaml.MappingNode && len(bc) > len(a.Content) {
		bc = nil
		for i := 0; i+1 < len(b.Content); i += 2 {
			k, v := b.Content[i], b.Content[i+1]
			if (k.Value == "newTag" || k.Value == "digest") && lookup(a, k.Value) == nil {
				if v.Kind != yaml.ScalarNode || !slices.Contains(written, v.Value) {
					return "an added " + k.Value + " holds " + v.Value + ", which was not written"
				}
				continue
			}
			bc = append(bc, k, v)
		}
	}
	if len(a.Content) != len(bc) {
		return "a node's children changed"
	}
	for i := range a.Content {
		if why := sameBut(a.Content[i], bc[i], written); why != "" {
			return why
		}
	}
	return ""
}
