package planner

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/errlines"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
)

// cachePath is the directory of the repository's caches, relative to
// its root: the file hash cache (filehash.v1), the package graphs (graph/)
// and the input digests of inputs seen before (digests.v1).
const cachePath = ".gobake/cache"

// hashCachePath is the file hash cache, relative to the repository root.
const hashCachePath = cachePath + "/filehash.v1"

// Options select and shape the targets of a Plan.
type Options struct {
	Images    []string         // image names; empty means every image
	Platforms []string         // replace every image's platforms (build --platform); empty keeps them
	Tags      []string         // replace every image's tag templates (build --tag); empty keeps them
	Info      config.BuildInfo // what templates see: tags are rendered with it, and so are settings at build time
	Notes     io.Writer        // where notes for the user go (standard error); nil drops them
	// Hashes, when set, is the working tree's file hashes as this run sees
	// them (NewHashes), shared by New and Previous (Since) run at once so
	// that each file is looked at once; nil opens the hash cache.
	Hashes *graph.RunHashes

	tree string                                         // graph.Options.Tree: set by Since, whose files are a commit's
	ref  func(context.Context) (*graph.RefFiles, error) // graph.Options.Ref: set by Since, computing a commit's records with the working tree's graph
}

// Plan is what one run builds, resolved once: for every selected image,
// its platforms with their Go environment and base image, its input
// record and its tags (the image carries nothing of its inputs, so that
// its digest depends only on what is in it). Everything
// after planning (the input comparison, the build, the inputs record
// pushed beside each image) reads the plan and decides nothing again.
type Plan struct {
	Targets  []layering.Target // one per selected image, in configuration order
	Snapshot *graph.Snapshot   // the input records of the targets, by image
	tags     []string          // Options.Tags, to render again with another version
	root     string            // repository root, where the outputs cache is
}

// New plans the selected images of cfg: it resolves each image's base and
// platforms with bases, computes the inputs of every image × platform
// (with the file hash cache under the repository's .gobake directory) and
// renders tags and annotations.
func New(ctx context.Context, cfg *config.Config, bases *layering.Bases, opts Options) (*Plan, error) {
	if opts.Hashes == nil {
		opts.Hashes = NewHashes(cfg)
	}
	cache := opts.Hashes.Cache()
	p, err := plan(ctx, cfg, bases, opts, cache, filepath.Join(cfg.Root, filepath.FromSlash(cachePath)))
	if err != nil {
		return nil, err
	}
	if err := cache.Save(); err != nil {
		return nil, fmt.Errorf("saving the file hash cache: %w", err)
	}
	return p, nil
}

// NewHashes opens the file hash cache of cfg's working tree (under the
// repository's .gobake directory) for a run: see Options.Hashes.
func NewHashes(cfg *config.Config) *graph.RunHashes {
	return graph.NewRunHashes(graph.OpenHashCache(filepath.Join(cfg.Root, filepath.FromSlash(hashCachePath))))
}

// plan is New with the given hash cache (nil hashes every file) and
// directory of the package graph and digest caches ("" lists every graph
// and hashes all inputs).
func plan(ctx context.Context, cfg *config.Config, bases *layering.Bases, opts Options, cache *graph.HashCache, cacheDir string) (*Plan, error) {
	images, err := cfg.Select(opts.Images)
	if err != nil {
		return nil, err
	}
	targets, err := resolveTargets(ctx, bases, images, opts.Platforms)
	if err != nil {
		return nil, err
	}
	var gts []graph.Target
	for _, t := range targets {
		for _, pt := range t.Platforms {
			gts = append(gts, graph.Target{Image: t.Image, Platform: pt.Platform, GoEnv: pt.GoEnv, Base: pt.BaseDigest, Layout: layering.LayoutVersion})
		}
	}
	gopts := graph.Options{Targets: gts, Cache: cache, Run: opts.Hashes}
	if cacheDir != "" {
		gopts.GraphCache = filepath.Join(cacheDir, "graph")
		gopts.DigestCache = filepath.Join(cacheDir, "digests.v1")
		gopts.Tree = opts.tree
		gopts.Ref = opts.ref
	}
	snap, err := graph.Compute(ctx, cfg, gopts)
	if err != nil {
		return nil, err
	}
	p := &Plan{Targets: targets, Snapshot: snap, tags: opts.Tags, root: cfg.Root}
	for i := range p.Targets {
		t := &p.Targets[i]
		t.Info = opts.Info
		if rec := snap.Records[t.Image.Name]; rec != nil {
			for k := range t.Platforms {
				if pr := rec.Platform(t.Platforms[k].Platform); pr != nil {
					t.Platforms[k].Inputs = pr.Digest // lets the compiler reuse a binary of the same inputs
				}
			}
		}
		if err := p.renderTags(t); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// resolveTargets resolves the base and platforms of every image at once and
// returns their targets in the order of images, or every failure.
func resolveTargets(ctx context.Context, bases *layering.Bases, images []config.Image, platforms []string) ([]layering.Target, error) {
	targets := make([]layering.Target, len(images))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i, img := range images {
		wg.Go(func() {
			t, err := bases.Target(ctx, img, platforms)
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("image %s: %w", img.Name, err))
				mu.Unlock()
				return
			}
			targets[i] = t
		})
	}
	wg.Wait()
	switch len(errs) {
	case 0:
		return targets, nil
	case 1:
		return nil, errs[0]
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return nil, &multierror.Error{Errors: errs, ErrorFormat: errlines.Format}
}

// renderTags renders the tags of t: Options.Tags when given, else the
// image's, with t's template facts.
func (p *Plan) renderTags(t *layering.Target) error {
	tags := t.Image.Tags
	if len(p.tags) > 0 {
		tags = p.tags
	}
	rendered, err := config.ExpandTags(tags, t.Info.TemplateData(t.Image.Name, ""))
	if err != nil {
		return fmt.Errorf("image %s: %w", t.Image.Name, err)
	}
	t.Tags = rendered
	return nil
}

// SetVersion makes image build as version (.Version in its templates),
// rendering its tags again; its inputs do not change, as templates are
// inputs as written.
func (p *Plan) SetVersion(image, version string) error {
	i := slices.IndexFunc(p.Targets, func(t layering.Target) bool { return t.Image.Name == image })
	if i < 0 {
		return fmt.Errorf("image %s is not planned", image)
	}
	t := &p.Targets[i]
	t.Info.Version = version
	return p.renderTags(t)
}

// Images returns the names of the planned images, in configuration order.
func (p *Plan) Images() []string {
	out := make([]string, len(p.Targets))
	for i, t := range p.Targets {
		out[i] = t.Image.Name
	}
	return out
}
