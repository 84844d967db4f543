package release

import (
	"context"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/version"
)

// decider decides the versions of one release.
type decider struct {
	cfg    *config.Config
	repo   *gitrepo.Repo
	snap   *graph.Snapshot
	opts   Options
	commit string
}

// decide returns the release of every selected image that has something
// to release, and the others with the reason why not. The commits since
// each image's last git tag that touch its inputs decide its bump; when
// none does but its inputs differ from those recorded with the last
// release in the registry (a base image, toolchain or configuration
// change), it gets a patch.
func (d decider) decide(ctx context.Context, names []string) ([]version.Release, []Skipped, error) {
	initial, err := semver.StrictNewVersion(d.cfg.Release.InitialVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("release.initialVersion %q: %w", d.cfg.Release.InitialVersion, err)
	}
	changed, err := d.changedSinceLast(ctx, names)
	if err != nil {
		return nil, nil, err
	}
	var out []version.Release
	var skipped []Skipped
	var errs *multierror.Error
	for _, n := range names {
		img, _ := d.cfg.Image(n)
		r, err := version.Decide(ctx, d.repo, version.Query{
			Image:       n,
			TagTemplate: d.cfg.Release.TagTemplate,
			At:          d.commit,
			Relevant:    relevant(d.cfg.Root, img, d.snap.Records[n]),
			Changed:     changed[n],
			Options:     version.Options{Initial: initial, Pre: d.opts.Pre, Override: d.opts.Versions[n]},
		})
		switch {
		case err != nil:
			errs = multierror.Append(errs, err)
		case r.Version == nil:
			skipped = append(skipped, Skipped{Image: n, Reason: r.Reason})
		default:
			out = append(out, r)
		}
	}
	return out, skipped, errs.ErrorOrNil()
}

// changedSinceLast compares the inputs of each image with those recorded
// with its last release (its version tag in the registry) and returns, by
// image, why they differ; images never released, or whose last release is
// not in the registry or has no record, are left out.
func (d decider) changedSinceLast(ctx context.Context, names []string) (map[string]string, error) {
	refs := map[string]name.Reference{}
	lastTag := map[string]string{}
	for _, n := range names {
		last, err := version.Last(ctx, d.repo, n, d.cfg.Release.TagTemplate, d.commit)
		if err != nil {
			return nil, fmt.Errorf("release of %s: %w", n, err)
		}
		if last == nil {
			continue
		}
		img, _ := d.cfg.Image(n)
		ref, err := layering.ParseReference(d.opts.Registry+"/"+img.Repository+":"+version.OCITag(last.Version), d.opts.Insecure)
		if err != nil {
			return nil, fmt.Errorf("release of %s: %w", n, err)
		}
		refs[n], lastTag[n] = ref, last.Tag
	}
	if len(refs) == 0 {
		return nil, nil
	}
	prev, err := state.PreviousFromRegistry(ctx, refs, layering.RemoteOptions(ctx, layering.WithRegistryInsecure(d.opts.Insecure))...)
	if err != nil {
		return nil, fmt.Errorf("release: last releases: %w", err)
	}
	recs := map[string]*graph.Record{}
	for n, p := range prev {
		if p.Record != nil && len(p.Record.Platforms) > 0 {
			recs[n] = p.Record
		}
	}
	out := map[string]string{}
	for _, p := range graph.Plan(d.snap, recs) {
		if recs[p.Image] != nil && p.Status == graph.StatusChanged {
			out[p.Image] = fmt.Sprintf("inputs changed since %s (%s)", lastTag[p.Image], strings.Join(p.Reasons, "; "))
		}
	}
	return out, nil
}
