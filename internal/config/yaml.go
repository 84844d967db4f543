package config

import (
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// pair is one key and its value in a YAML mapping.
type pair struct {
	key, value *yaml.Node
}

// strVal is a string scalar and where it was written.
type strVal struct {
	v string
	n *yaml.Node
}

// listVal is a list of string scalars and where it was written.
type listVal struct {
	items []strVal
	n     *yaml.Node
}

// mapVal is a mapping of strings to strings and where it was written.
type mapVal struct {
	keys   []strVal // in file order
	values []strVal
	n      *yaml.Node
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// joinPath appends a key to a key path, quoting keys that are not plain.
func joinPath(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a key path.
func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// describe names the YAML type of n for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		}
		return n.ShortTag() + " " + strconv.Quote(n.Value)
	}
	return "nothing"
}

// pairs returns the entries of a mapping node, with YAML merge keys (<<)
// applied, reporting duplicate and non-scalar keys. ok is false when n is
// not a mapping.
func (w *walker) pairs(path string, n *yaml.Node) ([]pair, bool) {
	n = deref(n)
	if n.Kind != yaml.MappingNode {
		w.p.add(n.Line, n.Column, path, "must be a mapping, got %s", describe(n))
		return nil, false
	}
	var out []pair
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.p.add(k.Line, k.Column, path, "keys must be strings, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			w.p.add(k.Line, k.Column, joinPath(path, k.Value), "duplicate key (first defined at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	// Merged keys never override explicit ones; earlier merges win.
	for _, m := range merges {
		m = deref(m)
		var sources []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{m}
		case yaml.SequenceNode:
			sources = m.Content
		default:
			w.p.add(m.Line, m.Column, path, "merge key << needs a mapping or a list of mappings, got %s", describe(m))
			continue
		}
		for _, s := range sources {
			sub, ok := w.pairs(path, s)
			if !ok {
				continue
			}
			for _, sp := range sub {
				if _, dup := seen[sp.key.Value]; dup {
					continue
				}
				seen[sp.key.Value] = sp.key
				out = append(out, sp)
			}
		}
	}
	return out, true
}

// str decodes a string scalar.
func (w *walker) str(path string, n *yaml.Node) (strVal, bool) {
	n = deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		w.p.add(n.Line, n.Column, path, "must be a string, got %s", describe(n))
		return strVal{}, false
	}
	return strVal{n.Value, n}, true
}

// setStr sets *dst to the value of v, when v is written (not nil).
func setStr[T ~string](dst *T, v *strVal) {
	if v != nil {
		*dst = T(v.v)
	}
}

// checkedStr decodes a string scalar and checks it: check says what is
// wrong with the value, "" when nothing. What is wrong is reported at
// the value, and then, as for a value that is no string, the result is
// nil.
func (w *walker) checkedStr(path string, n *yaml.Node, check func(string) string) *strVal {
	s, ok := w.str(path, n)
	if !ok {
		return nil
	}
	if msg := check(s.v); msg != "" {
		w.p.add(s.n.Line, s.n.Column, path, "%s", msg)
		return nil
	}
	return &s
}

// list decodes a list of string scalars.
func (w *walker) list(path string, n *yaml.Node) (*listVal, bool) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		w.p.add(n.Line, n.Column, path, "must be a list of strings, got %s", describe(n))
		return nil, false
	}
	l := &listVal{n: n}
	ok := true
	for i, item := range n.Content {
		s, good := w.str(indexPath(path, i), item)
		ok = ok && good
		l.items = append(l.items, s)
	}
	return l, ok
}

// strMap decodes a mapping of strings to string scalars.
func (w *walker) strMap(path string, n *yaml.Node) (*mapVal, bool) {
	ps, ok := w.pairs(path, n)
	if !ok {
		return nil, false
	}
	m := &mapVal{n: deref(n)}
	for _, p := range ps {
		key := strVal{p.key.Value, p.key}
		if strings.TrimSpace(key.v) == "" {
			w.p.add(p.key.Line, p.key.Column, joinPath(path, key.v), "keys must not be empty")
			ok = false
			continue
		}
		v, good := w.str(joinPath(path, key.v), p.value)
		if !good {
			ok = false
			continue
		}
		m.keys = append(m.keys, key)
		m.values = append(m.values, v)
	}
	return m, ok
}
