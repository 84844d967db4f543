package gitops

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/yamldoc"
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
	e := &editor{s: newSource(path, src), updates: updates, pin: pin, sets: map[*yaml.Node]string{}, inserts: map[*yaml.Node][]insertion{}}
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
			err = e.manifest(root, nil)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	out, err := e.s.result()
	if err != nil {
		return nil, nil, err
	}
	if len(e.s.splices) > 0 {
		if err := verify(path, docs, out, e.sets, e.inserts); err != nil {
			return nil, nil, err
		}
	}
	return out, e.changes, nil
}

// editor collects the splices and changes of one file, and what they
// must do to its nodes, for verify.
type editor struct {
	s       *source
	updates []Update
	pin     config.Pin
	changes []Change
	sets    map[*yaml.Node]string      // scalar → the value it is set to
	inserts map[*yaml.Node][]insertion // mapping → the entries added to it
}

// insertion is an entry added to a mapping.
type insertion struct{ key, value string }

// set changes the value of f to v and records it.
func (e *editor) set(f field, u Update, v, oldRef string) error {
	changed, err := e.s.set(f, v)
	if err != nil {
		return err
	}
	if changed {
		e.sets[f.val] = v
	}
	line, _ := f.pos()
	e.changes = append(e.changes, Change{File: e.s.path, Line: line, Image: u.Image, Old: value(f.val), New: v, OldRef: oldRef})
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
	_, err := yamldoc.Decode(src)
	return err == nil
}

// parseDocuments parses every document of a YAML stream.
func parseDocuments(src []byte, path string) ([]*yaml.Node, error) {
	docs, err := decodeDocuments(src)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: not valid YAML: %v", path, errorLine(src), err)
	}
	return docs, nil
}

// decodeDocuments decodes every document of a YAML stream. Its error is
// the parser's message without the line (see errorLine) or "yaml: ".
func decodeDocuments(src []byte) ([]*yaml.Node, error) {
	docs, err := yamldoc.Decode(src)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(yamlLineRE.ReplaceAllString(err.Error(), ""), "yaml: "))
	}
	return docs, nil
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
	if f, ok := lookupField(m, key); ok {
		return f.val
	}
	return nil
}

// lookupField returns the entry key of the mapping m, and whether there
// is one.
func lookupField(m *yaml.Node, key string) (field, bool) {
	if m == nil || m.Kind != yaml.MappingNode {
		return field{}, false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return field{key: k, val: m.Content[i+1], name: key}, true
		}
	}
	return field{}, false
}

// checkUpdates checks that every update has what pin writes, and that
// what it writes is a valid repository, tag and digest: nothing else may
// reach a deployment repository's YAML.
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
		// The values are quoted: the library's messages would print them raw.
		// References are printable ASCII (a registry host name included: an
		// international one is written in punycode); the library lets other
		// bytes through in a host name.
		if !printableASCII(u.Repository) {
			return fmt.Errorf("update %s: %q is not a valid repository", u.Image, u.Repository)
		}
		if _, err := name.NewRepository(u.Repository); err != nil {
			return fmt.Errorf("update %s: %q is not a valid repository", u.Image, u.Repository)
		}
		if u.Tag != "" {
			if _, err := name.NewTag(u.Repository + ":" + u.Tag); err != nil {
				return fmt.Errorf("update %s: %q is not a valid tag", u.Image, u.Tag)
			}
		}
		if u.Digest != "" {
			if _, err := v1.NewHash(u.Digest); err != nil {
				return fmt.Errorf("update %s: %q is not a valid digest", u.Image, u.Digest)
			}
		}
	}
	return nil
}

// printableASCII reports whether s is made only of printable ASCII
// characters other than space.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
