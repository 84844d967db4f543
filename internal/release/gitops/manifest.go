package gitops

import (
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// imagePolicyRE matches a Flux image automation marker in a comment.
var imagePolicyRE = regexp.MustCompile(`\{\s*"\$imagepolicy"\s*:\s*"([^"]+)"\s*\}`)

// manifest edits, under n, every image: value whose repository is an
// updated image's, and every value with a Flux $imagepolicy marker naming
// an updated image. key is the mapping key n is the value of, nil for a
// document or a sequence item.
func (e *editor) manifest(n, key *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := e.manifest(c, nil); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if err := e.manifest(n.Content[i+1], n.Content[i]); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		return e.scalar(n, key)
	}
	return nil
}

// scalar edits one scalar of a manifest, the value of key (nil in a
// sequence).
func (e *editor) scalar(n, key *yaml.Node) error {
	f := field{key: key, val: n, name: "value"}
	comment := n.LineComment
	if key != nil {
		f.name = key.Value
		if comment == "" {
			comment = key.LineComment // yaml.v3 puts some line comments on the key
		}
	}
	if m := imagePolicyRE.FindStringSubmatch(comment); m != nil {
		parts := strings.Split(m[1], ":")
		if len(parts) < 2 {
			return nil
		}
		for _, u := range e.updates {
			if parts[1] != u.Image && parts[1] != u.shortName() {
				continue
			}
			v := u.pinned(e.pin)
			if len(parts) > 2 {
				switch parts[2] {
				case "tag":
					v = joinRef("", u.Tag, u.pinnedDigest(e.pin))
				case "name":
					v = u.Repository
				case "digest":
					v = u.Digest
				}
			}
			return e.set(f, u, v, value(n))
		}
		return nil
	}
	if key == nil || key.Value != "image" {
		return nil
	}
	repo, _, _ := splitRef(value(n))
	for _, u := range e.updates {
		if repo == u.Repository {
			return e.set(f, u, u.pinned(e.pin), value(n))
		}
	}
	return nil
}
