package planner

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
)

// AttachInputs adds to each result the inputs artifact of its record in s
// (state.Artifact), referring to its image or index and tagged
// state.FallbackTag for registries without the referrers API.
func AttachInputs(results []layering.Result, s *graph.Snapshot) error {
	for i := range results {
		r := &results[i]
		rec := s.Records[r.Name]
		if rec == nil {
			return fmt.Errorf("inputs of %s: not computed", r.Name)
		}
		d, err := r.Descriptor()
		if err != nil {
			return fmt.Errorf("inputs of %s: %w", r.Name, err)
		}
		subject := v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
		art, err := state.Artifact(rec, subject)
		if err != nil {
			return err
		}
		r.Referrers = append(r.Referrers, layering.Referrer{Subject: d.Digest, Artifact: art, FallbackTag: state.FallbackTag(d.Digest)})
	}
	return nil
}

// IsInputs reports whether rf is an inputs artifact made by AttachInputs
// (and not an SBOM).
func IsInputs(rf layering.Referrer) bool {
	at, err := partial.ArtifactType(rf.Artifact)
	return err == nil && at == graph.MediaType
}
