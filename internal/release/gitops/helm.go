package gitops

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/config"
)

// helm edits the YAML paths of Helm values for each updated image that
// paths names.
func (e *editor) helm(root *yaml.Node, paths map[string]config.HelmPaths) error {
	for _, name := range slices.Sorted(maps.Keys(paths)) {
		i := slices.IndexFunc(e.updates, func(u Update) bool { return u.Image == name })
		if i < 0 {
			continue
		}
		u, p := e.updates[i], paths[name]
		if e.pin != config.PinTag && u.Digest == "" {
			return fmt.Errorf("%s: pin %s needs the digest of %s, which is unknown", e.s.path, e.pin, u.Image)
		}
		nodes := map[string]field{}
		for _, yp := range []string{p.Repository, p.Tag, p.Digest} {
			if yp == "" {
				continue
			}
			n, err := e.find(root, yp)
			if err != nil {
				return err
			}
			nodes[yp] = n
		}
		oldRef := ""
		if f, ok := nodes[p.Repository]; ok {
			oldRef = value(f.val)
		}
		if f, ok := nodes[p.Tag]; ok {
			oldRef = joinRef(oldRef, value(f.val), "")
		}
		if f, ok := nodes[p.Digest]; ok {
			oldRef = joinRef(oldRef, "", value(f.val))
		}
		tag := u.Tag
		if e.pin != config.PinTag && p.Digest == "" {
			tag = joinRef("", u.Tag, u.Digest)
		}
		for _, set := range []struct{ path, v string }{
			{p.Repository, u.Repository},
			{p.Tag, tag},
			{p.Digest, u.pinnedDigest(e.pin)},
		} {
			if set.path == "" {
				continue
			}
			if err := e.set(nodes[set.path], u, set.v, oldRef); err != nil {
				return err
			}
		}
	}
	return nil
}

// find returns the scalar at the YAML path yp (.a.b.c) under root.
func (e *editor) find(root *yaml.Node, yp string) (field, error) {
	f := field{val: root, name: yp}
	for _, key := range strings.Split(strings.TrimPrefix(yp, "."), ".") {
		n := f.val
		if n.Kind == yaml.AliasNode {
			return field{}, fmt.Errorf("%s:%d:%d: %s goes through the alias *%s; edit the anchored values instead", e.s.path, n.Line, n.Column, yp, n.Value)
		}
		if n.Kind != yaml.MappingNode {
			return field{}, fmt.Errorf("%s:%d:%d: %s: not a mapping at %s", e.s.path, n.Line, n.Column, yp, key)
		}
		next, ok := lookupField(n, key)
		if !ok {
			return field{}, fmt.Errorf("%s:%d:%d: %s: no key %s", e.s.path, n.Line, n.Column, yp, key)
		}
		f = field{key: next.key, val: next.val, name: yp}
	}
	if err := e.s.editable(f); err != nil {
		return field{}, err
	}
	return f, nil
}
