// Package yamldoc reads YAML streams of one or more documents as yaml.v3
// nodes, for the packages that find or edit values in Kubernetes-style
// files (resolve, kocompat, gitops).
package yamldoc

import (
	"bytes"
	"errors"
	"io"

	"gopkg.in/yaml.v3"
)

// Decode returns every document of the YAML stream src, in order; none
// for an empty stream. Its error is the parser's, for the first document
// that does not parse.
func Decode(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
}

// Walk calls f on n and on every node under it, parents before their
// children, in document order. Aliases are not followed: the node they
// name is visited where it is anchored.
func Walk(n *yaml.Node, f func(*yaml.Node)) {
	f(n)
	for _, c := range n.Content {
		Walk(c, f)
	}
}
