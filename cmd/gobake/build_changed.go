package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
)

// keptImage is an image --changed does not rebuild: its inputs are those
// of the build at ref.
type keptImage struct {
	image string
	ref   string // REF@sha256:… of the previous build
}

// changed plans the selected images against the target's baseline (or
// --since) and returns the images to build, those kept, and the digest of
// the baseline's build of each image to build that has one, noting each on
// stderr.
func (c *buildCmd) changed(g *globals, cfg *config.Config, t buildTarget, snap *graph.Snapshot, opts planner.Options) ([]string, []keptImage, map[string]string, error) {
	b := c.baseline(cfg, t)
	prev, builds, against, err := planner.Previous(g.ctx, cfg, opts, b, c.Since)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("build --changed: %w", err)
	}
	planner.Complete(builds, snap)
	if builds == nil { // --since: the references still come from the target
		if builds, err = b.Read(g.ctx, cfg, opts.Images); err != nil {
			return nil, nil, nil, fmt.Errorf("build --changed: %w", err)
		}
	}
	repos, err := planner.Repositories(cfg, opts.Images)
	if err != nil {
		return nil, nil, nil, err
	}
	var build []string
	var kept []keptImage
	previous := map[string]string{}
	c.reasons = map[string]string{}
	for _, p := range graph.Plan(snap, prev) {
		if pb, ok := builds[p.Image]; ok {
			previous[p.Image] = pb.Digest.String()
		}
		if p.Status != graph.StatusUnchanged {
			fmt.Fprintf(c.progress(g), "%s: %s against %s (%s): building\n", p.Image, p.Status, against, strings.Join(p.Reasons, "; "))
			c.reasons[p.Image] = string(p.Status) + ": " + strings.Join(p.Reasons, "; ")
			build = append(build, p.Image)
			continue
		}
		pb, ok := builds[p.Image]
		if !ok || (pb.Record.Digest != "" && pb.Record.Digest != p.Digest) {
			fmt.Fprintf(c.progress(g), "%s: unchanged against %s but %s:%s is not that build: building\n", p.Image, against, repos[p.Image], b.Tag)
			c.reasons[p.Image] = fmt.Sprintf("unchanged, but %s:%s is not that build", repos[p.Image], b.Tag)
			build = append(build, p.Image)
			continue
		}
		ref, err := b.Reference(repos[p.Image], pb)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("build --changed: %s: %w", p.Image, err)
		}
		fmt.Fprintf(c.progress(g), "%s: unchanged against %s: keeping %s\n", p.Image, against, ref)
		kept = append(kept, keptImage{image: p.Image, ref: ref.String()})
	}
	return build, kept, previous, nil
}

// sameOutput notes on log every image built although unchanged in
// output: its build is the image the baseline already holds (its inputs
// changed but not its binary, data or config), and returns their names.
func sameOutput(log io.Writer, results []layering.Result, refs []name.Digest, previous map[string]string) map[string]bool {
	same := map[string]bool{}
	for i, r := range results {
		if d := refs[i].DigestStr(); d != "" && previous[r.Name] == d {
			fmt.Fprintf(log, "%s: inputs changed but the build is the baseline's image %s: output unchanged\n", r.Name, refs[i])
			same[r.Name] = true
		}
	}
	return same
}
