package main

import (
	"fmt"
	"os"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitinfo"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
)

// newPlan plans the images of cfg as every command does: bases resolved
// with the registry options (plain HTTP for every registry when
// insecure), templates seeing this process's environment and the
// repository's commit.
func newPlan(g *globals, cfg *config.Config, insecure bool, opts planner.Options) (*planner.Plan, error) {
	git, err := gitinfo.Read(g.ctx, cfg.Root)
	if err != nil {
		return nil, err
	}
	if opts.Info, err = config.NewBuildInfo(os.Environ(), git, "", time.Now()); err != nil {
		return nil, fmt.Errorf("build info: %w", err)
	}
	bases := layering.NewBases(g.ctx, cfg.Root, layering.WithRegistryInsecure(insecure))
	return planner.New(g.ctx, cfg, bases, opts)
}
