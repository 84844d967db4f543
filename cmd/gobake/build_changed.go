package main

import (
	"fmt"
	"strings"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/planner"
)

// keptImage is an image --changed does not rebuild: its inputs are those
// of the build at ref.
type keptImage struct {
	image string
	ref   string // REF@sha256:… of the previous build
}

// changed plans the selected images against the target's baseline (or
// --since) and returns the images to build and those kept, noting each on
// stderr.
func (c *buildCmd) changed(g *globals, cfg *config.Config, t buildTarget, snap *graph.Snapshot, opts planner.Options) ([]string, []keptImage, error) {
	b := c.baseline(cfg, t)
	prev, builds, against, err := planner.Previous(g.ctx, cfg, opts, b, c.Since)
	if err != nil {
		return nil, nil, fmt.Errorf("build --changed: %w", err)
	}
	if builds == nil { // --since: the references still come from the target
		if builds, err = b.Read(g.ctx, cfg, opts.Images); err != nil {
			return nil, nil, fmt.Errorf("build --changed: %w", err)
		}
	}
	repos, err := planner.Repositories(cfg, opts.Images)
	if err != nil {
		return nil, nil, err
	}
	var build []string
	var kept []keptImage
	for _, p := range graph.Plan(snap, prev) {
		if p.Status != graph.StatusUnchanged {
			fmt.Fprintf(g.stderr, "%s: %s against %s (%s): building\n", p.Image, p.Status, against, strings.Join(p.Reasons, "; "))
			build = append(build, p.Image)
			continue
		}
		pb, ok := builds[p.Image]
		if !ok || (pb.Record.Digest != "" && pb.Record.Digest != p.Digest) {
			fmt.Fprintf(g.stderr, "%s: unchanged against %s but %s:%s is not that build: building\n", p.Image, against, repos[p.Image], b.Tag)
			build = append(build, p.Image)
			continue
		}
		ref, err := b.Reference(repos[p.Image], pb)
		if err != nil {
			return nil, nil, fmt.Errorf("build --changed: %s: %w", p.Image, err)
		}
		fmt.Fprintf(g.stderr, "%s: unchanged against %s: keeping %s\n", p.Image, against, ref)
		kept = append(kept, keptImage{image: p.Image, ref: ref.String()})
	}
	return build, kept, nil
}
