package planner

import (
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
)

// baseInput is the input key of the base image digest (see graph.Record).
const baseInput = "base"

// Verify checks that each result was built from the inputs s records: the
// same platforms, each on the base image digest the record holds. A
// mismatch would record inputs that a later plan trusts wrongly.
func Verify(results []layering.Result, s *graph.Snapshot) error {
	for _, r := range results {
		rec := s.Records[r.Name]
		if rec == nil {
			return fmt.Errorf("inputs of %s: not computed", r.Name)
		}
		built, err := baseDigests(r)
		if err != nil {
			return fmt.Errorf("inputs of %s: %w", r.Name, err)
		}
		if len(built) != len(rec.Platforms) {
			return fmt.Errorf("inputs of %s: built %d platform(s), computed %d", r.Name, len(built), len(rec.Platforms))
		}
		for _, pr := range rec.Platforms {
			want, err := layering.ParsePlatform(pr.Platform)
			if err != nil {
				return fmt.Errorf("inputs of %s: %w", r.Name, err)
			}
			i := slices.IndexFunc(built, func(b builtBase) bool { return layering.PlatformMatches(b.platform, want) })
			if i < 0 {
				return fmt.Errorf("inputs of %s: no %s image was built", r.Name, pr.Platform)
			}
			if got, rec := built[i].digest, pr.Inputs[baseInput]; got != rec {
				return fmt.Errorf("inputs of %s (%s): built on base %s but recorded %s", r.Name, pr.Platform, got, rec)
			}
		}
	}
	return nil
}

// builtBase is the platform of a built image and its base digest.
type builtBase struct {
	platform v1.Platform
	digest   string // "scratch" when the image has no base
}

// baseDigests returns the platform and base digest of every image of r.
func baseDigests(r layering.Result) ([]builtBase, error) {
	var imgs []v1.Image
	switch {
	case r.Image != nil:
		imgs = []v1.Image{r.Image}
	case r.Index != nil:
		im, err := r.Index.IndexManifest()
		if err != nil {
			return nil, err
		}
		for _, d := range im.Manifests {
			img, err := r.Index.Image(d.Digest)
			if err != nil {
				return nil, err
			}
			imgs = append(imgs, img)
		}
	}
	out := make([]builtBase, 0, len(imgs))
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		m, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		d := m.Annotations[layering.BaseDigestAnnotation]
		if d == "" {
			d = config.Scratch
		}
		out = append(out, builtBase{platform: *cf.Platform(), digest: d})
	}
	return out, nil
}
