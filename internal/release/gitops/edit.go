package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/config"
)

// Edit sets the references of updates in one file of target, as pin says,
// and returns the new content and every value it matched (changed or
// already up to date). Only the changed scalars change: comments,
// whitespace, quoting, key order and document separators stay. path names
// the file in errors and picks kustomizations by name. Edit does no I/O.
func Edit(src []byte, path string, target config.GitOpsTarget, updates []Update, pin config.Pin) ([]byte, []Change, error) {
	if err := checkUpdates(updates, pin); err != nil {
		return nil, nil, err
	}
	docs, err := parseDocuments(src, path)
	if err != nil {
		return nil, nil, err
	}
	e := &editor{s: newSource(path, src), updates: updates, pin: pin}
	for i, doc := range docs {
		root := doc
		if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
			root = root.Content[0]
		}
		switch {
		case target.Helm != nil:
			if i == 0 {
				err = e.helm(root, target.Helm)
			}
		case isKustomization(path, root):
			err = e.kustomize(root)
		default:
			err = e.manifest(root, "")
		}
		if err != nil {
			return nil, nil, err
		}
	}
	out, err := e.s.result()
	if err != nil {
		return nil, nil, err
	}
	return out, e.changes, nil
}

// editor collects the splices and changes of one file.
type editor struct {
	s       *source
	updates []Update
	pin     config.Pin
	changes []Change
}

// set changes the scalar n to v and records it.
func (e *editor) set(n *yaml.Node, u Update, v, oldRef string) error {
	if err := e.s.set(n, v); err != nil {
		return err
	}
	e.changes = append(e.changes, Change{File: e.s.path, Line: n.Line, Image: u.Image, Old: n.Value, New: v, OldRef: oldRef})
	return nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line \d+: `)

// errorLine finds the line of a YAML syntax error, which yaml.v3 reports at
// best as the start of the enclosing block: the line after the longest
// prefix of src that parses.
func errorLine(src []byte) int {
	lines := bytes.SplitAfter(src, []byte("\n"))
	for n := len(lines) - 1; n > 0; n-- {
		if parses(bytes.Join(lines[:n], nil)) {
			return n + 1
		}
	}
	return 1
}

// parses reports whether every document of src parses.
func parses(src []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// parseDocuments parses every document of a YAML stream.
func parseDocuments(src []byte, path string) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			msg := strings.TrimPrefix(yamlLineRE.ReplaceAllString(err.Error(), ""), "yaml: ")
			return nil, fmt.Errorf("%s:%d: not valid YAML: %s", path, errorLine(src), msg)
		}
		docs = append(docs, &doc)
	}
}

// isKustomization reports whether a document is a kustomization: by the
// file's name or by its kind.
func isKustomization(path string, root *yaml.Node) bool {
	base := path[strings.LastIndexByte(path, '/')+1:]
	switch base {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	k := lookup(root, "kind")
	return k != nil && k.Kind == yaml.ScalarNode && k.Value == "Kustomization"
}

// lookup returns the value of key in the mapping m, nil when absent.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// lookupKey returns the key node of key in the mapping m, nil when absent.
func lookupKey(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i]
		}
	}
	return nil
}

// stringScalar reports whether n is a string scalar that can be edited in
// place (not an alias).
func stringScalar(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!str" || n.ShortTag() == "!!null" || n.ShortTag() == "!!int" || n.ShortTag() == "!!float")
}

// checkUpdates checks that every update has what pin writes.
func checkUpdates(updates []Update, pin config.Pin) error {
	for _, u := range updates {
		switch {
		case u.Image == "" || u.Repository == "":
			return fmt.Errorf("update %q: image name and repository are required", u.Image)
		case u.Tag == "" && pin != config.PinDigest:
			return fmt.Errorf("update %s: pin %s needs a tag", u.Image, pin)
		case u.Digest == "" && pin != config.PinTag:
			return fmt.Errorf("update %s: pin %s needs a digest", u.Image, pin)
		}
	}
	return nil
}
