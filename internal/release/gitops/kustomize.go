package gitops

import (
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
		name, ok := lookupField(entry, "name")
		if !ok || name.val.Kind != yaml.ScalarNode {
			continue
		}
		for _, u := range e.updates {
			if name.val.Value == u.Repository || name.val.Value == u.Image {
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
func (e *editor) kustomizeEntry(entry *yaml.Node, name field, u Update) error {
	newName, hasName := lookupField(entry, "newName")
	newTag, hasTag := lookupField(entry, "newTag")
	digest, hasDigest := lookupField(entry, "digest")
	for _, f := range []struct {
		f  field
		ok bool
	}{{newName, hasName}, {newTag, hasTag}, {digest, hasDigest}} {
		if f.ok {
			if err := e.s.editable(f.f); err != nil {
				return err
			}
		}
	}
	oldRef := name.val.Value
	if hasName && value(newName.val) != "" {
		oldRef = value(newName.val)
	}
	if hasTag {
		oldRef = joinRef(oldRef, value(newTag.val), "")
	}
	if hasDigest {
		oldRef = joinRef(oldRef, "", value(digest.val))
	}
	if hasName {
		if err := e.set(newName, u, u.Repository, oldRef); err != nil {
			return err
		}
	}
	var wantTag, wantDigest string
	switch e.pin {
	case config.PinTag:
		if hasDigest && value(digest.val) != "" {
			return e.s.errorf(digest, "images entry %s has a digest, which pin: tag would leave in place; remove it or pin a digest", name.val.Value)
		}
		wantTag = u.Tag
	case config.PinDigest:
		wantDigest = u.Digest
	default:
		wantTag = joinRef("", u.Tag, u.Digest)
		if hasDigest {
			wantTag, wantDigest = u.Tag, u.Digest
		}
	}
	if e.pin != config.PinTag && u.Digest == "" {
		return e.s.errorf(name, "pin %s needs the digest of %s, which is unknown", e.pin, u.Image)
	}
	if wantTag != "" {
		if err := e.setOrInsert(entry, newTag, hasTag, "newTag", name, u, wantTag, oldRef); err != nil {
			return err
		}
	}
	if wantDigest != "" {
		if err := e.setOrInsert(entry, digest, hasDigest, "digest", name, u, wantDigest, oldRef); err != nil {
			return err
		}
	}
	return nil
}

// setOrInsert sets f, the entry key of the images: entry, to v, or adds
// key after the name: entry when it is missing.
func (e *editor) setOrInsert(entry *yaml.Node, f field, ok bool, key string, name field, u Update, v, oldRef string) error {
	if ok {
		return e.set(f, u, v, oldRef)
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: key, Line: name.key.Line, Column: name.key.Column}
	if err := e.s.insertAfter(entry, k, name, v); err != nil {
		return err
	}
	e.inserts[entry] = append(e.inserts[entry], insertion{key, v})
	line := name.val.Line + 1 // on a line of its own
	if entry.Style&yaml.FlowStyle != 0 {
		line = name.val.Line
	}
	e.changes = append(e.changes, Change{File: e.s.path, Line: line, Image: u.Image, New: v, OldRef: oldRef})
	return nil
}
