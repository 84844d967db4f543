package planner

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
)

// Baseline is where the previous build of every image is: its tag in a
// registry, or in an OCI layout.
type Baseline struct {
	Registry string // host[:port][/prefix]; "" means Layout
	Layout   string // OCI layout directory, used when Registry is ""
	Tag      string // tag of the previous build, e.g. "latest"
	Insecure bool   // reach the registry over plain HTTP (loopback ones always are)
}

// String names the baseline as `gobake plan --json` reports it:
// "registry:TAG" or "oci:DIR".
func (b Baseline) String() string {
	if b.Registry == "" {
		return "oci:" + b.Layout
	}
	return "registry:" + b.Tag
}

// Read returns the previous build of each selected image of cfg (every
// image when images is empty) that exists at the baseline.
func (b Baseline) Read(ctx context.Context, cfg *config.Config, images []string) (map[string]state.Previous, error) {
	if b.Tag == "" {
		return nil, errors.New("baseline: no tag")
	}
	repos, err := Repositories(cfg, images)
	if err != nil {
		return nil, err
	}
	if b.Registry == "" {
		if b.Layout == "" {
			return nil, errors.New("baseline: neither a registry nor an OCI layout")
		}
		return state.PreviousFromLayout(b.Layout, b.Tag, repos)
	}
	refs := make(map[string]name.Reference, len(repos))
	for img, repo := range repos {
		ref, err := imageref.Parse(imageref.Join(b.Registry, repo)+":"+b.Tag, b.Insecure)
		if err != nil {
			return nil, fmt.Errorf("baseline of %s: %w", img, err)
		}
		refs[img] = ref
	}
	return state.PreviousFromRegistry(ctx, refs, layering.RemoteOptions(ctx, layering.WithRegistryInsecure(b.Insecure))...)
}

// MarkRecorded sets SameOutput on every changed plan whose image at the
// baseline (builds) has a record of exactly its inputs among its
// referrers: a build of these inputs gave that image, though a later build
// of other inputs with the same output holds its newest record. It costs
// one referrers listing per changed image, and nothing for an OCI layout
// baseline, which keeps only the newest record.
func (b Baseline) MarkRecorded(ctx context.Context, cfg *config.Config, plans []graph.ImagePlan, builds map[string]state.Previous) error {
	if b.Registry == "" || len(builds) == 0 {
		return nil
	}
	opts := layering.RemoteOptions(ctx, layering.WithRegistryInsecure(b.Insecure))
	var eg errgroup.Group
	eg.SetLimit(8) // as many requests at once as reading the baseline makes
	for i := range plans {
		p := &plans[i]
		prev, ok := builds[p.Image]
		if p.Status != graph.StatusChanged || p.SameOutput || !ok {
			continue
		}
		repos, err := Repositories(cfg, []string{p.Image})
		if err != nil {
			return err
		}
		ref, err := imageref.Parse(imageref.Join(b.Registry, repos[p.Image])+"@"+prev.Digest.String(), b.Insecure)
		if err != nil {
			return fmt.Errorf("baseline of %s: %w", p.Image, err)
		}
		subject, ok := ref.(name.Digest)
		if !ok {
			return fmt.Errorf("baseline of %s: %s is not a digest reference", p.Image, ref)
		}
		eg.Go(func() error {
			p.SameOutput = state.HasRecord(ctx, subject, p.Digest, opts...)
			return nil
		})
	}
	return eg.Wait()
}
