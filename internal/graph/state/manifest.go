package state

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/graph"
)

// emptyJSON is the content of the OCI empty descriptor.
var emptyJSON = []byte("{}")

// artifact is the inputs artifact manifest. ggcr's mutate package can
// neither set artifactType nor give empty.Image the empty config "{}", so
// the manifest is written here and the rest of v1.Image comes from
// partial.CompressedToImage.
type artifact struct {
	raw   []byte
	layer v1.Layer
}

// newArtifact returns the artifact manifest of doc (media type
// graph.MediaType) with subject and annotations.
func newArtifact(doc []byte, subject v1.Descriptor, annotations map[string]string) (v1.Image, error) {
	layer := static.NewLayer(doc, types.MediaType(graph.MediaType))
	layerDesc, err := partial.Descriptor(layer)
	if err != nil {
		return nil, err
	}
	cfgDigest, cfgSize, err := v1.SHA256(bytes.NewReader(emptyJSON))
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  graph.MediaType,
		Config:        v1.Descriptor{MediaType: types.OCIEmptyJSON, Digest: cfgDigest, Size: cfgSize},
		Layers:        []v1.Descriptor{*layerDesc},
		Annotations:   annotations,
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifact{raw: raw, layer: layer})
}

// MediaType is the OCI image manifest media type.
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// RawManifest returns the artifact manifest.
func (a *artifact) RawManifest() ([]byte, error) { return a.raw, nil }

// RawConfigFile returns the empty config "{}".
func (a *artifact) RawConfigFile() ([]byte, error) { return emptyJSON, nil }

// ArtifactType returns graph.MediaType, for descriptors.
func (a *artifact) ArtifactType() (string, error) { return graph.MediaType, nil }

// LayerByDigest returns the record layer or the empty config blob.
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, err := a.layer.Digest(); err == nil && d == h {
		return a.layer, nil
	}
	if d, _, err := v1.SHA256(bytes.NewReader(emptyJSON)); err == nil && d == h {
		return static.NewLayer(emptyJSON, types.OCIEmptyJSON), nil
	}
	return nil, fmt.Errorf("inputs artifact has no blob %s", h)
}
