package planner

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/layering"
)

// Build builds the planned images named (every planned image when names
// is empty) with b, and attaches to each result the record of its inputs
// (see AttachInputs): whatever publishes a result built here pushes its
// inputs beside it. The digest each build gave for its inputs goes to the
// outputs cache, for MarkSameOutput. Results come in plan order; on
// failure, those that built are returned with the error.
func (p *Plan) Build(ctx context.Context, b *layering.Builder, names []string) ([]layering.Result, error) {
	var targets []layering.Target
	for _, n := range names {
		if !slices.ContainsFunc(p.Targets, func(t layering.Target) bool { return t.Image.Name == n }) {
			return nil, fmt.Errorf("image %s is not planned", n)
		}
	}
	for _, t := range p.Targets {
		if len(names) == 0 || slices.Contains(names, t.Image.Name) {
			targets = append(targets, t)
		}
	}
	results, err := b.Build(ctx, targets)
	if aerr := AttachInputs(results, p.Snapshot); aerr != nil {
		return nil, aerr
	}
	if cerr := recordOutputs(p.root, p.Snapshot, results); cerr != nil && err == nil {
		return results, cerr
	}
	return results, err
}

// Publish stores every result with pub, several at once (jobs; 0 means
// GOMAXPROCS), under the tags of the result, and returns the reference of
// each, in order. It stops at the first failure and returns only it, so
// that one unreachable target gives one line.
func Publish(ctx context.Context, pub layering.Publisher, results []layering.Result, jobs int) ([]name.Digest, error) {
	refs := make([]name.Digest, len(results))
	eg, ctx := errgroup.WithContext(ctx)
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	eg.SetLimit(jobs)
	for i, r := range results {
		eg.Go(func() error {
			d, err := pub.Publish(ctx, r, r.Tags)
			if err != nil {
				return err
			}
			refs[i] = d
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return refs, nil
}
