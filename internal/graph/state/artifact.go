// Package state stores and reads back the input records of pushed images:
// each image gobake pushes has a referrer artifact (artifact type
// graph.MediaType, also tagged FallbackTag) holding its graph.Record, so
// that a later plan can say what changed. The image itself carries nothing
// of its inputs: two builds with the same output give the same image, and
// the newest record of it is the one under its fallback tag. Images of
// earlier gobake versions also carry the record's digest as the manifest
// annotation graph.AnnotationKey; they are still read.
package state

import (
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/ociartifact"
)

// FallbackTag is the tag the record of subject is written under for
// registries without the referrers API: "sha256-<hex>.inputs".
func FallbackTag(subject v1.Hash) string {
	return subject.Algorithm + "-" + subject.Hex + ".inputs"
}

// Artifact returns the OCI 1.1 artifact holding r, whose subject is the
// manifest described by subject: artifact type graph.MediaType, the empty
// config "{}", one layer (the record's JSON) and the annotation
// graph.AnnotationKey, so that a referrers listing shows both the type and
// the digest without fetching the artifact.
func Artifact(r *graph.Record, subject v1.Descriptor) (v1.Image, error) {
	b, err := r.Marshal()
	if err != nil {
		return nil, err
	}
	img, err := ociartifact.New(b, types.MediaType(graph.MediaType), subject,
		ociartifact.WithAnnotations(map[string]string{graph.AnnotationKey: r.Digest}))
	if err != nil {
		return nil, fmt.Errorf("inputs artifact of %s: %w", r.Image, err)
	}
	return img, nil
}

// ReadArtifact decodes the record held by an artifact made by Artifact.
func ReadArtifact(img v1.Image) (*graph.Record, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading inputs artifact: %w", err)
	}
	if len(layers) != 1 {
		return nil, fmt.Errorf("reading inputs artifact: %d layers, want 1", len(layers))
	}
	mt, err := layers[0].MediaType()
	if err != nil || !strings.EqualFold(string(mt), graph.MediaType) {
		return nil, fmt.Errorf("reading inputs artifact: layer media type %q, want %s", mt, graph.MediaType)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("reading inputs artifact: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("reading inputs artifact: %w", err)
	}
	return graph.UnmarshalRecord(b)
}
