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
// the baseline. It also names what it compared with ("git:REF" or
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
