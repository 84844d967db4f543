package layering

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
)

// AnnotationRefName is the OCI annotation naming an entry of an image
// layout's index.json.
const AnnotationRefName = "org.opencontainers.image.ref.name"

// published is the top manifest of a Result: its single image or its index.
type published interface {
	partial.Describable
	RawManifest() ([]byte, error)
}

// topManifest returns the image or the index of r and its digest. Exactly
// one of them must be set.
func topManifest(r Result) (published, v1.Hash, error) {
	var top published
	switch {
	case r.Image != nil && r.Index != nil:
		return nil, v1.Hash{}, errors.New("result has both an image and an index")
	case r.Image != nil:
		top = r.Image
	case r.Index != nil:
		top = r.Index
	default:
		return nil, v1.Hash{}, errors.New("result has neither an image nor an index")
	}
	d, err := top.Digest()
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("digest: %w", err)
	}
	return top, d, nil
}

// checkReferrers verifies that every referrer of r has an artifact.
func checkReferrers(r Result) error {
	for i, ref := range r.Referrers {
		if ref.Artifact == nil {
			return fmt.Errorf("referrer %d of %s has no artifact", i, ref.Subject)
		}
	}
	return nil
}
