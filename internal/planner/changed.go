package planner

import (
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/imageref"
)

// Changes splits plans into the images to build (new or changed) and the
// unchanged ones, each in the order of plans.
func Changes(plans []graph.ImagePlan) (build, unchanged []string) {
	for _, p := range plans {
		if p.Status == graph.StatusUnchanged {
			unchanged = append(unchanged, p.Image)
		} else {
			build = append(build, p.Image)
		}
	}
	return build, unchanged
}

// Reference returns the reference of a previous build as gobake build
// prints it: REGISTRY/REPOSITORY@sha256:… for a registry baseline, and
// REPOSITORY@sha256:… (as the layout publisher does) for a layout.
func (b Baseline) Reference(repository string, prev state.Previous) (name.Digest, error) {
	return imageref.Digest(imageref.Join(b.Registry, repository)+"@"+prev.Digest.String(), b.Insecure)
}
