package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
)

type planCmd struct {
	Images   []string `arg:"" optional:"" help:"Images to plan (default: all)."`
	Since    string   `placeholder:"REF" help:"Compare with the inputs at this git ref, computed in a temporary worktree, instead of the last pushed build."`
	Baseline string   `default:"latest" help:"Tag of the previous build in the registry."`
	JSON     bool     `name:"json" help:"Print the plan as JSON (stable schema, see graph.Report)."`
	Matrix   bool     `help:"Print a GitHub Actions matrix of the new and changed images."`
	ExitCode bool     `help:"Fail when an image is new or changed."`
	Explain  string   `placeholder:"IMAGE" help:"Show every input difference of one image."`
	Insecure bool     `help:"Reach every registry over plain HTTP."`
}

// errChanged is returned with --exit-code when something must be rebuilt.
var errChanged = errors.New("images changed")

func (c *planCmd) Run(g *globals) error {
	cfg, err := config.Load(g.config)
	if err != nil {
		return err
	}
	images := c.Images
	if c.Explain != "" {
		images = []string{c.Explain}
	}
	cur, err := compute(g.ctx, cfg, images, c.Insecure)
	if err != nil {
		return err
	}
	prev, baseline, err := c.previous(g.ctx, cfg, images)
	if err != nil {
		return err
	}
	plans := graph.Plan(cur, prev)
	switch {
	case c.Explain != "":
		err = explain(g.stdout, plans[0])
	case c.Matrix:
		err = writeJSON(g.stdout, graph.MatrixOf(plans))
	case c.JSON:
		err = writeJSON(g.stdout, graph.Report{Schema: graph.PlanSchema, Baseline: baseline, Images: plans})
	default:
		err = table(g.stdout, plans)
	}
	if err != nil {
		return err
	}
	if c.ExitCode {
		for _, p := range plans {
			if p.Status != graph.StatusUnchanged {
				return errChanged
			}
		}
	}
	return nil
}

// compute computes the inputs of images (all when nil) with the file hash
// cache under the repository's .gobake directory.
func compute(ctx context.Context, cfg *config.Config, images []string, insecure bool) (*graph.Snapshot, error) {
	cache := graph.OpenHashCache(filepath.Join(cfg.Root, ".gobake", "cache", "filehash.v1"))
	b := &baseResolver{insecure: insecure}
	s, err := graph.Compute(ctx, cfg, graph.Options{
		Images: nilIfEmpty(images), BaseDigest: b.digest, Platforms: b.platforms, Cache: cache,
	})
	if err != nil {
		return nil, err
	}
	if err := cache.Save(); err != nil {
		return nil, err
	}
	return s, nil
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// previous returns the records of the previous build and names the baseline.
func (c *planCmd) previous(ctx context.Context, cfg *config.Config, images []string) (map[string]*graph.Record, string, error) {
	if c.Since != "" {
		recs, err := since(ctx, cfg, images, c.Since, c.Insecure)
		return recs, "git:" + c.Since, err
	}
	if cfg.Registry == "" {
		dir := filepath.Join(cfg.Root, config.DefaultLayoutDir)
		recs, err := state.FromLayout(dir, c.Baseline, repositories(cfg, images))
		return recs, "oci:" + dir, err
	}
	refs := make(map[string]name.Reference)
	for img, repo := range repositories(cfg, images) {
		ref, err := layering.ParseReference(cfg.Registry+"/"+repo+":"+c.Baseline, c.Insecure)
		if err != nil {
			return nil, "", fmt.Errorf("image %s: %w", img, err)
		}
		refs[img] = ref
	}
	recs, err := state.FromRegistry(ctx, refs, layering.RemoteOptions(ctx)...)
	return recs, "registry:" + c.Baseline, err
}

// repositories maps the selected images (all when empty) to their repositories.
func repositories(cfg *config.Config, images []string) map[string]string {
	out := make(map[string]string)
	for _, img := range cfg.Images {
		if len(images) == 0 || containsString(images, img.Name) {
			out[img.Name] = img.Repository
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// since computes the records at a git ref from a temporary worktree.
func since(ctx context.Context, cfg *config.Config, images []string, ref string, insecure bool) (recs map[string]*graph.Record, err error) {
	dir, cleanup, err := graph.Worktree(ctx, cfg.Root, ref)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := cleanup(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	relPath, err := filepath.Rel(cfg.Root, cfg.Path)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, relPath)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return map[string]*graph.Record{}, nil // no gobake.yaml then: everything is new
	}
	old, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("gobake.yaml at %s: %w", ref, err)
	}
	var present []string
	for _, img := range old.Images {
		if len(images) == 0 || containsString(images, img.Name) {
			present = append(present, img.Name)
		}
	}
	if len(present) == 0 {
		return map[string]*graph.Record{}, nil
	}
	b := &baseResolver{insecure: insecure}
	s, err := graph.Compute(ctx, old, graph.Options{Images: present, BaseDigest: b.digest, Platforms: b.platforms})
	if err != nil {
		return nil, fmt.Errorf("inputs at %s: %w", ref, err)
	}
	return s.Records, nil
}

// table prints one line per image: name, status and reasons.
func table(w io.Writer, plans []graph.ImagePlan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tSTATUS\tREASONS")
	for _, p := range plans {
		reasons := strings.Join(p.Reasons, "; ")
		if reasons == "" {
			reasons = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Image, p.Status, reasons)
	}
	return tw.Flush()
}

// explain prints every input difference of one image.
func explain(w io.Writer, p graph.ImagePlan) error {
	fmt.Fprintf(w, "%s: %s\n  digest:   %s\n", p.Image, p.Status, p.Digest)
	if p.Previous != "" {
		fmt.Fprintf(w, "  previous: %s\n", p.Previous)
	}
	if len(p.Changes) == 0 {
		for _, r := range p.Reasons {
			fmt.Fprintf(w, "  %s\n", r)
		}
	}
	for _, c := range p.Changes {
		fmt.Fprintf(w, "  %s  [%s]\n", c.Reason, strings.Join(c.Platforms, ", "))
		fmt.Fprintf(w, "      %s\n", c.Key)
		if c.Old != "" {
			fmt.Fprintf(w, "      - %s\n", c.Old)
		}
		if c.New != "" {
			fmt.Fprintf(w, "      + %s\n", c.New)
		}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// baseResolver looks up base image digests per platform, each reference
// at most once. It is safe for concurrent use.
type baseResolver struct {
	insecure bool
	mu       sync.Mutex
	indexes  map[string]*v1.IndexManifest // by reference; nil entry for a single image
	digests  map[string]v1.Hash
}

// digest implements graph.BaseDigestFunc.
func (b *baseResolver) digest(ctx context.Context, img config.Image, platform string) (string, error) {
	if img.BaseRef == config.Scratch {
		return config.Scratch, nil
	}
	im, d, err := b.resolve(ctx, img.BaseRef)
	if err != nil {
		return "", err
	}
	if im == nil {
		return d.String(), nil
	}
	want, err := layering.ParsePlatform(platform)
	if err != nil {
		return "", err
	}
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.Satisfies(want) {
			return m.Digest.String(), nil
		}
	}
	return "", fmt.Errorf("base %s has no %s image", img.BaseRef, platform)
}

// platforms implements graph.PlatformsFunc.
func (b *baseResolver) platforms(ctx context.Context, img config.Image) ([]string, error) {
	im, _, err := b.resolve(ctx, img.BaseRef)
	if err != nil {
		return nil, err
	}
	if im == nil {
		return nil, fmt.Errorf("base %s is not a multi-platform index", img.BaseRef)
	}
	var out []string
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS != "unknown" {
			out = append(out, m.Platform.String())
		}
	}
	return out, nil
}

func (b *baseResolver) resolve(ctx context.Context, ref string) (*v1.IndexManifest, v1.Hash, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.indexes == nil {
		b.indexes, b.digests = map[string]*v1.IndexManifest{}, map[string]v1.Hash{}
	}
	if d, ok := b.digests[ref]; ok {
		return b.indexes[ref], d, nil
	}
	var (
		im  *v1.IndexManifest
		d   v1.Hash
		err error
	)
	if strings.HasPrefix(ref, config.OCIPrefix) {
		im, d, err = resolveLayout(ref)
	} else {
		im, d, err = resolveRemote(ctx, ref, b.insecure)
	}
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("base %s: %w", ref, err)
	}
	b.indexes[ref], b.digests[ref] = im, d
	return im, d, nil
}

func resolveRemote(ctx context.Context, ref string, insecure bool) (*v1.IndexManifest, v1.Hash, error) {
	r, err := layering.ParseReference(ref, insecure)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	desc, err := remote.Get(r, layering.RemoteOptions(ctx)...)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	if !desc.MediaType.IsIndex() {
		return nil, desc.Digest, nil
	}
	im, err := v1.ParseIndexManifest(strings.NewReader(string(desc.Manifest)))
	return im, desc.Digest, err
}

func resolveLayout(ref string) (*v1.IndexManifest, v1.Hash, error) {
	r, err := config.ParseOCIRef(ref)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	idx, err := layout.ImageIndexFromPath(r.Path)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	top, err := idx.IndexManifest()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	var found *v1.Descriptor
	for i, d := range top.Manifests {
		if (r.Tag != "" && d.Annotations["org.opencontainers.image.ref.name"] == r.Tag) ||
			(r.Digest != "" && d.Digest.String() == r.Digest) || (r.Tag == "" && r.Digest == "" && i == 0) {
			found = &top.Manifests[i]
			break
		}
	}
	if found == nil {
		return nil, v1.Hash{}, fmt.Errorf("no matching entry in %s", r.Path)
	}
	if !found.MediaType.IsIndex() {
		return nil, found.Digest, nil
	}
	child, err := idx.ImageIndex(found.Digest)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	im, err := child.IndexManifest()
	return im, found.Digest, err
}
