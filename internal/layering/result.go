package layering

import (
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
)

// Digest returns the digest of r's image or index.
func (r Result) Digest() (v1.Hash, error) {
	switch {
	case r.Image != nil:
		return r.Image.Digest()
	case r.Index != nil:
		return r.Index.Digest()
	}
	return v1.Hash{}, errors.New("result has neither an image nor an index")
}

// Descriptor returns the descriptor (media type, digest and size) of r's
// image or index.
func (r Result) Descriptor() (*v1.Descriptor, error) {
	switch {
	case r.Image != nil:
		return partial.Descriptor(r.Image)
	case r.Index != nil:
		return partial.Descriptor(r.Index)
	}
	return nil, errors.New("result has neither an image nor an index")
}

// Platforms lists the platforms r runs on: the platform of its image, or
// those of its index's entries, in order.
func (r Result) Platforms() ([]v1.Platform, error) {
	switch {
	case r.Image != nil:
		cf, err := r.Image.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("platforms of %s: %w", r.Name, err)
		}
		return []v1.Platform{*cf.Platform()}, nil
	case r.Index != nil:
		im, err := r.Index.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("platforms of %s: %w", r.Name, err)
		}
		var ps []v1.Platform
		for _, d := range im.Manifests {
			if d.Platform != nil {
				ps = append(ps, *d.Platform)
			}
		}
		return ps, nil
	}
	return nil, fmt.Errorf("platforms of %s: result has neither an image nor an index", r.Name)
}
