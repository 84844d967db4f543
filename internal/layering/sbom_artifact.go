package layering

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/ociartifact"
)

// Annotation keys gobake sets on artifacts.
const (
	annotationCreated = "org.opencontainers.image.created"
	annotationTitle   = "org.opencontainers.image.title"
)

// newArtifact wraps doc (of media type mt) in an OCI 1.1 artifact manifest
// whose subject is subject, annotated with created when it is not zero.
func newArtifact(doc []byte, mt types.MediaType, subject v1.Descriptor, created time.Time) (v1.Image, error) {
	opts := []ociartifact.Option{
		ociartifact.WithLayerAnnotations(map[string]string{annotationTitle: "sbom" + sbomExtension(mt)}),
	}
	if !created.IsZero() {
		opts = append(opts, ociartifact.WithAnnotations(map[string]string{annotationCreated: created.UTC().Format(time.RFC3339)}))
	}
	return ociartifact.New(doc, mt, subject, opts...)
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
