package gitops

import (
	"errors"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// errUnsafeEdit marks an edit that would change more than the values it
// targets: a bug of gobake's, caught before anything is written.
var errUnsafeEdit = errors.New("gobake bug: the edit would change more than the image references; nothing was written")

// verify re-parses out, the edited src whose documents are docs, and
// compares it with docs node by node: the same documents, kinds, tags,
// styles, anchors, keys, values and comments, except that each scalar of
// sets now holds its new value, as a string, and each mapping of inserts
// has gained its entries. Any other difference is reported at the line of
// the original node.
func verify(path string, docs []*yaml.Node, out []byte, sets map[*yaml.Node]string, inserts map[*yaml.Node][]insertion) error {
	got, err := decodeDocuments(out)
	if err != nil {
		return fmt.Errorf("%s:%d: %w: the result is not valid YAML: %v", path, errorLine(out), errUnsafeEdit, err)
	}
	if len(got) != len(docs) {
		return fmt.Errorf("%s: %w: %d documents become %d", path, errUnsafeEdit, len(docs), len(got))
	}
	v := verifier{path: path, sets: sets, inserts: inserts}
	for i := range docs {
		if err := v.node(docs[i], got[i]); err != nil {
			return err
		}
		if err := v.comments(docs[i], got[i]); err != nil {
			return err
		}
	}
	return nil
}

// verifier compares an original tree with its edited re-parse.
type verifier struct {
	path    string
	sets    map[*yaml.Node]string
	inserts map[*yaml.Node][]insertion
}

// errorf reports a difference at the original node o.
func (v *verifier) errorf(o *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %w: %s", v.path, o.Line, o.Column, errUnsafeEdit, fmt.Sprintf(format, args...))
}

// node compares the original node o with its edited version n.
func (v *verifier) node(o, n *yaml.Node) error {
	if want, ok := v.sets[o]; ok {
		switch {
		case n.Kind != yaml.ScalarNode:
			return v.errorf(o, "the value set to %q is no longer a scalar", want)
		case n.Value != want || n.ShortTag() != "!!str":
			return v.errorf(o, "the value set to %q reads back as %s %q", want, n.ShortTag(), n.Value)
		case n.Anchor != o.Anchor:
			return v.errorf(o, "anchor &%s becomes &%s", o.Anchor, n.Anchor)
		}
		return nil
	}
	switch {
	case o.Kind != n.Kind:
		return v.errorf(o, "a %s becomes a %s", kindName(o.Kind), kindName(n.Kind))
	case o.Tag != n.Tag:
		return v.errorf(o, "tag %s becomes %s", o.Tag, n.Tag)
	case o.Value != n.Value:
		return v.errorf(o, "%q becomes %q", o.Value, n.Value)
	case o.Style != n.Style:
		return v.errorf(o, "the style of %s changes", kindName(o.Kind))
	case o.Anchor != n.Anchor:
		return v.errorf(o, "anchor &%s becomes &%s", o.Anchor, n.Anchor)
	case o.Kind == yaml.AliasNode:
		return nil // the anchored node is compared where it stands
	}
	content := n.Content
	if ins := v.inserts[o]; len(ins) > 0 {
		var err error
		if content, err = v.withoutInserted(o, content, ins); err != nil {
			return err
		}
	}
	if len(o.Content) != len(content) {
		return v.errorf(o, "%d children become %d", len(o.Content), len(content))
	}
	for i := range o.Content {
		if err := v.node(o.Content[i], content[i]); err != nil {
			return err
		}
	}
	return nil
}

// withoutInserted returns the entries of the edited mapping content less
// those inserted into the original mapping o, checking they are there.
func (v *verifier) withoutInserted(o *yaml.Node, content []*yaml.Node, ins []insertion) ([]*yaml.Node, error) {
	content = slices.Clone(content)
	for _, in := range ins {
		i := 0
		for ; i+1 < len(content); i += 2 {
			if content[i].Kind == yaml.ScalarNode && content[i].Value == in.key {
				break
			}
		}
		if i+1 >= len(content) {
			return nil, v.errorf(o, "the added %s is missing", in.key)
		}
		if k, val := content[i], content[i+1]; k.ShortTag() != "!!str" || val.Kind != yaml.ScalarNode || val.ShortTag() != "!!str" || val.Value != in.value {
			return nil, v.errorf(o, "the added %s reads back as %s %q", in.key, val.ShortTag(), val.Value)
		}
		content = slices.Delete(content, i, i+2)
	}
	return content, nil
}

// comment is a comment and the node it is attached to.
type comment struct {
	text string
	node *yaml.Node
}

// comments checks that the document o and its edited version n have the
// same comments in the same order. They are compared as a whole, since
// yaml.v3 may attach a line comment to a key or to its value depending on
// what the value is.
func (v *verifier) comments(o, n *yaml.Node) error {
	a, b := comments(o), comments(n)
	for i := range a {
		if i >= len(b) {
			return v.errorf(a[i].node, "the comment %q is lost", a[i].text)
		}
		if a[i].text != b[i].text {
			return v.errorf(a[i].node, "the comment %q becomes %q", a[i].text, b[i].text)
		}
	}
	if len(b) > len(a) {
		return v.errorf(o, "a comment %q is added at line %d", b[len(a)].text, b[len(a)].node.Line)
	}
	return nil
}

// comments lists the comments of a tree in document order.
func comments(n *yaml.Node) []comment {
	var out []comment
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range []string{n.HeadComment, n.LineComment} {
			if c != "" {
				out = append(out, comment{c, n})
			}
		}
		if n.Kind != yaml.AliasNode {
			for _, c := range n.Content {
				walk(c)
			}
		}
		if n.FootComment != "" {
			out = append(out, comment{n.FootComment, n})
		}
	}
	walk(n)
	return out
}

// kindName names a node kind for errors.
func kindName(k yaml.Kind) string {
	switch k {
	case yaml.DocumentNode:
		return "document"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.MappingNode:
		return "mapping"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}
