// Package layering turns Go main packages into container images: it
// resolves base images (Bases, which the planner uses to make Targets),
// then executes Targets as given: runs go build, layers the binary and
// static files onto the base image, assembles multi-platform indexes,
// makes SBOMs and publishes the results.
package layering

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Result is one built image of gobake.yaml: a single-platform image or a
// multi-platform index, plus the artifacts that refer to it (SBOMs).
type Result struct {
	Name       string        // image name in gobake.yaml
	Repository string        // repository under the registry, e.g. "api"
	Image      v1.Image      // set when one platform was built
	Index      v1.ImageIndex // set when several platforms were built
	Referrers  []Referrer    // artifacts whose subject is the image, the index or one of its manifests
	Tags       []string      // rendered tags to publish it under (Target.Tags)
}

// Referrer is an OCI 1.1 artifact (an SBOM) attached to a manifest of a Result.
type Referrer struct {
	Subject  v1.Hash  // digest of the manifest it refers to
	Artifact v1.Image // the artifact manifest, with its subject field set
	// FallbackTag is the tag written for registries without the referrers
	// API, e.g. "sha256-<hex>.sbom".
	FallbackTag string
}

// Publisher stores a Result and returns the reference it can be pulled by.
// A failed Publish moves no tag and leaves no half-written output.
type Publisher interface {
	Publish(ctx context.Context, r Result, tags []string) (name.Digest, error)
}
