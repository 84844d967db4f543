// Package ociartifact makes OCI 1.1 artifact manifests: an artifactType,
// the empty config "{}", one layer holding a document (or several, see
// Bundle), and a subject.
// go-containerregistry's mutate package can neither set artifactType nor
// give empty.Image the empty config, so the manifest is written here and
// the rest of v1.Image comes from partial.CompressedToImage.
package ociartifact

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyJSON is the content of the OCI empty descriptor.
var emptyJSON = []byte("{}")

// Option sets optional parts of an artifact manifest.
type Option func(*v1.Manifest)

// WithAnnotations sets the manifest's annotations.
func WithAnnotations(a map[string]string) Option {
	return func(m *v1.Manifest) { m.Annotations = a }
}

// WithLayerAnnotations sets the annotations of the document's layer
// descriptor (e.g. org.opencontainers.image.title).
func WithLayerAnnotations(a map[string]string) Option {
	return func(m *v1.Manifest) { m.Layers[0].Annotations = a }
}

// New returns the artifact whose one layer is doc, of media type mt, which
// is also its artifactType, referring to subject. Only the subject's media
// type, digest and size are recorded.
func New(doc []byte, mt types.MediaType, subject v1.Descriptor, opts ...Option) (v1.Image, error) {
	return build(doc, mt, &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}, opts)
}

// Standalone returns the artifact whose one layer is doc, of media type
// mt, referring to nothing: a document kept under a tag of its own.
func Standalone(doc []byte, mt types.MediaType, opts ...Option) (v1.Image, error) {
	return build(doc, mt, nil, opts)
}

// Document is one layer of a Bundle: its bytes and media type.
type Document struct {
	Data      []byte
	MediaType types.MediaType
}

// Bundle returns the artifact of type mt whose layers are docs, in order,
// referring to nothing. A registry stores a layer once per repository
// whatever the manifests naming it, so a document several bundles share
// is stored (and, once there, uploaded) once.
func Bundle(mt types.MediaType, docs []Document, opts ...Option) (v1.Image, error) {
	if len(docs) == 0 {
		return nil, fmt.Errorf("artifact %s: no document", mt)
	}
	return buildLayers(docs, mt, nil, opts)
}

// build is New with the subject given, or none when nil.
func build(doc []byte, mt types.MediaType, subject *v1.Descriptor, opts []Option) (v1.Image, error) {
	return buildLayers([]Document{{Data: doc, MediaType: mt}}, mt, subject, opts)
}

// buildLayers makes the artifact of type mt with a layer per document.
func buildLayers(docs []Document, mt types.MediaType, subject *v1.Descriptor, opts []Option) (v1.Image, error) {
	var layers []v1.Layer
	var descs []v1.Descriptor
	for _, d := range docs {
		layer := static.NewLayer(d.Data, d.MediaType)
		desc, err := partial.Descriptor(layer)
		if err != nil {
			return nil, fmt.Errorf("artifact layer: %w", err)
		}
		layers, descs = append(layers, layer), append(descs, *desc)
	}
	cfgDigest, cfgSize, err := v1.SHA256(bytes.NewReader(emptyJSON))
	if err != nil {
		return nil, fmt.Errorf("artifact config: %w", err)
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  string(mt),
		Config:        v1.Descriptor{MediaType: types.OCIEmptyJSON, Digest: cfgDigest, Size: cfgSize},
		Layers:        descs,
		Subject:       subject,
	}
	for _, o := range opts {
		o(&m)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("artifact manifest: %w", err)
	}
	return partial.CompressedToImage(&artifact{raw: raw, artifactType: mt, layers: layers})
}

// artifact is the partial.CompressedImageCore of an artifact manifest.
type artifact struct {
	raw          []byte
	artifactType types.MediaType
	layers       []v1.Layer
}

// MediaType is the OCI image manifest media type.
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// RawManifest returns the artifact manifest.
func (a *artifact) RawManifest() ([]byte, error) { return a.raw, nil }

// RawConfigFile returns the empty config "{}".
func (a *artifact) RawConfigFile() ([]byte, error) { return emptyJSON, nil }

// ArtifactType returns the document's media type, for descriptors.
func (a *artifact) ArtifactType() (string, error) { return string(a.artifactType), nil }

// LayerByDigest returns a document layer or the empty config blob.
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, l := range a.layers {
		if d, err := l.Digest(); err == nil && d == h {
			return l, nil
		}
	}
	if d, _, err := v1.SHA256(bytes.NewReader(emptyJSON)); err == nil && d == h {
		return static.NewLayer(emptyJSON, types.OCIEmptyJSON), nil
	}
	return nil, fmt.Errorf("artifact %s has no blob %s", a.artifactType, h)
}
