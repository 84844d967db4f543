package planner

import (
	"context"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
)

// Previous returns the records the selected images are compared with: the
// inputs at the git ref since when it is set, else those read back from
// the baseline (an OCI layout's by their digests only: call Complete
// before comparing). It also names what it compared with ("git:REF" or
// Baseline.String) and returns the previous builds found at the baseline
// (nil when since is set).
func Previous(ctx context.Context, cfg *config.Config, opts Options, b Baseline, since string) (map[string]*graph.Record, map[string]state.Previous, string, error) {
	if since != "" {
		recs, err := Since(ctx, cfg, since, opts, layering.WithRegistryInsecure(b.Insecure))
		return recs, nil, "git:" + since, err
	}
	builds, err := b.Read(ctx, cfg, opts.Images)
	if err != nil {
		return nil, nil, "", err
	}
	return state.Records(builds), builds, b.String(), nil
}

// Complete reads in full the baseline records of builds (as Previous
// returned them) that a comparison with snap needs: those of the images
// whose input digest changed. Previous's records are completed in place.
func Complete(builds map[string]state.Previous, snap *graph.Snapshot) {
	if len(builds) == 0 {
		return
	}
	current := make(map[string]string, len(snap.Records))
	for name, r := range snap.Records {
		current[name] = r.Digest
	}
	state.Complete(builds, current)
}
