package release

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/platform"
)

// Shards that start at once with an empty shared build cache (GOCACHEPROG)
// all compile the packages their images share, each shard for itself:
// the shared core of a monorepo is compiled N times. release --warm
// --shards N, run before them (in the plan job), compiles once, into that
// cache, every package more than one of the N shards needs, so that they
// find it there. It decides the versions and assigns the images as the
// shards will, and records the plan for them (recordPlan); it builds no
// image and pushes no image.

// warm compiles the packages that more than one of the shards needs.
func (r *run) warm(ctx context.Context, names []string) error {
	if err := r.recordPlan(ctx); err != nil { // the shards' plan
		return err
	}
	if err := r.decideAndPlan(ctx, names); err != nil {
		return err
	}
	set := r.buildSet()
	assign := planner.Assign(r.snap, set, r.opts.Shards) // as every shard assigns them
	// An image whose version tag names a build of the same inputs already
	// is built by no shard (see reuse): its packages are not needed.
	if err := r.reuse(ctx); err != nil {
		return err
	}
	var built []string
	for _, img := range r.report.Images {
		if slices.Contains(set, img.Image) && !img.Reused {
			built = append(built, img.Image)
		}
	}
	groups, err := r.sharedPackages(built, assign)
	r.report.Images = []Image{} // nothing is released
	if err != nil {
		return err
	}
	c := layering.NewGoCompiler(layering.WithBuildEnviron(r.environ()), layering.WithCompileJobs(r.jobs()))
	total := 0
	for _, g := range groups {
		r.logf("warm: compiling %d package(s) shared by the shards of %d image(s) for %s\n", len(g.pkgs), len(built), platform.Format(g.req.Platform))
		if err := c.Warm(ctx, g.req, g.pkgs); err != nil {
			return fmt.Errorf("release --warm: %w", err)
		}
		total += len(g.pkgs)
	}
	r.logf("warm: %d package(s) compiled for %d shard(s)\n", total, r.opts.Shards)
	return nil
}

// warmGroup is packages compiled by one go build: those of images built
// with the same directory, platform, environment and flags.
type warmGroup struct {
	req  layering.CompileRequest
	pkgs []string // import paths, sorted
}

// sharedPackages returns, by build settings, the packages that the images
// of set in more than one shard need, from the images' input records and
// their shards in assign. The standard library's are in: usually cached
// (go then only looks them up), but after a Go upgrade a shared cache has
// none of them and every shard would compile them. Mains are left out:
// go build of one main would write its binary.
func (r *run) sharedPackages(set []string, assign map[string]int) ([]warmGroup, error) {
	mains := map[string]bool{} // every image's main: its directory relative to the root, and as written (an import path, perhaps)
	for _, img := range r.cfg.Images {
		mains[img.Main] = true
		if rel, err := filepath.Rel(r.cfg.Root, filepath.Join(img.Dir, img.Main)); err == nil {
			mains[filepath.ToSlash(rel)] = true
		}
	}
	type group struct {
		req    layering.CompileRequest
		shards map[string]map[int]bool // package → shards needing it
	}
	groups := map[string]*group{}
	for _, img := range r.report.Images {
		if !slices.Contains(set, img.Image) {
			continue
		}
		// Settings may use the version (a flag or variable, not only ldflags).
		if err := r.targets.SetVersion(img.Image, img.Version); err != nil {
			return nil, fmt.Errorf("release --warm: %s: %w", img.Image, err)
		}
	}
	for _, t := range r.targets.Targets {
		if !slices.Contains(set, t.Image.Name) {
			continue
		}
		rec := r.snap.Records[t.Image.Name]
		for _, pt := range t.Platforms {
			settings, err := t.Image.Settings.Expand(t.Info.TemplateData(t.Image.Name, platform.Format(pt.Build)))
			if err != nil {
				return nil, fmt.Errorf("release --warm: %s: %w", t.Image.Name, err)
			}
			req := layering.CompileRequest{Image: t.Image.Name, Dir: t.Image.Dir, Main: t.Image.Main, Platform: pt.Build, Env: settings.Env, Flags: settings.Flags}
			key := req.PackagesKey()
			g := groups[key]
			if g == nil {
				g = &group{req: req, shards: map[string]map[int]bool{}}
				groups[key] = g
			}
			var inputs map[string]string
			if rec != nil {
				if pr := rec.Platform(pt.Platform); pr != nil {
					inputs = pr.Inputs
				}
			}
			for k, v := range inputs {
				pkg, ok := strings.CutPrefix(k, "pkg:")
				if f := strings.Fields(v); !ok || mains[pkg] || (len(f) >= 2 && f[0] == "local" && mains[f[1]]) {
					continue
				}
				if g.shards[pkg] == nil {
					g.shards[pkg] = map[int]bool{}
				}
				g.shards[pkg][assign[t.Image.Name]] = true
			}
		}
	}
	var out []warmGroup
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		g := groups[key]
		var pkgs []string
		for pkg, shards := range g.shards {
			if len(shards) > 1 {
				pkgs = append(pkgs, pkg)
			}
		}
		if len(pkgs) > 0 {
			slices.Sort(pkgs)
			out = append(out, warmGroup{req: g.req, pkgs: pkgs})
		}
	}
	return out, nil
}
