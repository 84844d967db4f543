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
// an updated image. key is the mapping key n is the value of.
func (e *editor) manifest(n *yaml.Node, key string) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := e.manifest(c, ""); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.LineComment == "" && k.LineComment != "" {
				v.LineComment = k.LineComment // yaml.v3 puts some line comments on the key
			}
			if err := e.manifest(v, k.Value); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		return e.scalar(n, key)
	}
	return nil
}

// scalar edits one scalar of a manifest.
func (e *editor) scalar(n *yaml.Node, key string) error {
	if !stringScalar(n) {
		return nil
	}
	if m := imagePolicyRE.FindStringSubmatch(n.LineComment); m != nil {
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
			return e.set(n, u, v, n.Value)
		}
		return nil
	}
	if key != "image" {
		return nil
	}
	repo, _, _ := splitRef(n.Value)
	for _, u := range e.updates {
		if repo == u.Repository {
			return e.set(n, u, u.pinned(e.pin), n.Value)
		}
	}
	return nil
}
