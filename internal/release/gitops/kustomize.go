package gitops

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/config"
)

// kustomize edits the images: entries of a kustomization whose name is an
// updated image's full repository or short name.
func (e *editor) kustomize(root *yaml.Node) error {
	images := lookup(root, "images")
	if images == nil || images.Kind != yaml.SequenceNode {
		return nil
	}
	for _, entry := range images.Content {
		name := lookup(entry, "name")
		if name == nil || name.Kind != yaml.ScalarNode {
			continue
		}
		for _, u := range e.updates {
			if name.Value == u.Repository || name.Value == u.Image {
				if err := e.kustomizeEntry(entry, name, u); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// kustomizeEntry edits one images: entry for u.
func (e *editor) kustomizeEntry(entry, name *yaml.Node, u Update) error {
	newName, newTag, digest := lookup(entry, "newName"), lookup(entry, "newTag"), lookup(entry, "digest")
	oldRef := name.Value
	if newName != nil {
		oldRef = newName.Value
	}
	if newTag != nil {
		oldRef = joinRef(oldRef, newTag.Value, "")
	}
	if digest != nil {
		oldRef = joinRef(oldRef, "", digest.Value)
	}
	if newName != nil {
		if err := e.set(newName, u, u.Repository, oldRef); err != nil {
			return err
		}
	}
	var wantTag, wantDigest string
	switch e.pin {
	case config.PinTag:
		if digest != nil && digest.Value != "" {
			return fmt.Errorf("%s:%d:%d: images entry %s has a digest, which pin: tag would leave in place; remove it or pin a digest", e.s.path, digest.Line, digest.Column, name.Value)
		}
		wantTag = u.Tag
	case config.PinDigest:
		wantDigest = u.Digest
	default:
		wantTag = joinRef("", u.Tag, u.Digest)
		if digest != nil {
			wantTag, wantDigest = u.Tag, u.Digest
		}
	}
	if e.pin != config.PinTag && u.Digest == "" {
		return fmt.Errorf("%s:%d:%d: pin %s needs the digest of %s, which is unknown", e.s.path, name.Line, name.Column, e.pin, u.Image)
	}
	if wantTag != "" {
		if err := e.setOrInsert(entry, newTag, "newTag", name, u, wantTag, oldRef); err != nil {
			return err
		}
	}
	if wantDigest != "" {
		if err := e.setOrInsert(entry, digest, "digest", name, u, wantDigest, oldRef); err != nil {
			return err
		}
	}
	return nil
}

// setOrInsert sets the value n of key in entry, or adds key after the
// name: entry when it is missing.
func (e *editor) setOrInsert(entry, n *yaml.Node, key string, name *yaml.Node, u Update, v, oldRef string) error {
	if n != nil {
		if !stringScalar(n) {
			return fmt.Errorf("%s:%d:%d: %s must be a string", e.s.path, n.Line, n.Column, key)
		}
		return e.set(n, u, v, oldRef)
	}
	nameKey := lookupKey(entry, "name")
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: key, Line: nameKey.Line, Column: nameKey.Column}
	if err := e.s.insertAfter(entry, k, name, v); err != nil {
		return err
	}
	e.changes = append(e.changes, Change{File: e.s.path, Line: name.Line + 1, Image: u.Image, New: v, OldRef: oldRef})
	return nil
}
