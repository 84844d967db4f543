package layering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyJSON is the content of the OCI empty descriptor.
var emptyJSON = []byte("{}")

// Annotation keys gobake sets on artifacts.
const (
	annotationCreated = "org.opencontainers.image.created"
	annotationTitle   = "org.opencontainers.image.title"
)

// artifact is an OCI 1.1 artifact manifest: artifactType set, the empty
// config "{}" and one layer holding the document. ggcr's mutate package can
// neither set artifactType nor replace the config blob of empty.Image (it
// keeps a Docker config), so the manifest is built here and the rest of
// v1.Image comes from partial.CompressedToImage.
type artifact struct {
	raw          []byte
	artifactType types.MediaType
	layer        v1.Layer
}

// newArtifact wraps doc (of media type mt) in an artifact manifest whose
// subject is subject, annotated with created when it is not zero.
func newArtifact(doc []byte, mt types.MediaType, subject v1.Descriptor, created time.Time) (v1.Image, error) {
	layer := static.NewLayer(doc, mt)
	layerDesc, err := partial.Descriptor(layer)
	if err != nil {
		return nil, err
	}
	layerDesc.Annotations = map[string]string{annotationTitle: "sbom" + sbomExtension(mt)}
	cfgDigest, cfgSize, err := v1.SHA256(bytes.NewReader(emptyJSON))
	if err != nil {
		return nil, err
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  string(mt),
		Config: v1.Descriptor{
			MediaType: types.OCIEmptyJSON,
			Digest:    cfgDigest,
			Size:      cfgSize,
		},
		Layers:  []v1.Descriptor{*layerDesc},
		Subject: &subject,
	}
	if !created.IsZero() {
		m.Annotations = map[string]string{annotationCreated: created.UTC().Format(time.RFC3339)}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifact{raw: raw, artifactType: mt, layer: layer})
}

// sbomExtension is the file extension of a document of media type mt.
func sbomExtension(mt types.MediaType) string {
	switch mt {
	case SPDXMediaType:
		return ".spdx.json"
	case CycloneDXMediaType:
		return ".cdx.json"
	default:
		return ".json"
	}
}

// MediaType is the OCI image manifest media type.
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// RawManifest returns the artifact manifest.
func (a *artifact) RawManifest() ([]byte, error) { return a.raw, nil }

// RawConfigFile returns the empty config "{}".
func (a *artifact) RawConfigFile() ([]byte, error) { return emptyJSON, nil }

// ArtifactType returns the media type of the document, for descriptors.
func (a *artifact) ArtifactType() (string, error) { return string(a.artifactType), nil }

// LayerByDigest returns the document layer or the empty config blob.
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, err := a.layer.Digest(); err == nil && d == h {
		return a.layer, nil
	}
	if d, _, err := v1.SHA256(bytes.NewReader(emptyJSON)); err == nil && d == h {
		return static.NewLayer(emptyJSON, types.OCIEmptyJSON), nil
	}
	return nil, fmt.Errorf("artifact has no blob %s", h)
}
