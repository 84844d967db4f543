package planner

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

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
	targets, err := p.targets(names)
	if err != nil {
		return nil, err
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

// targets returns the targets of the images named, every planned one when
// names is empty, in plan order.
func (p *Plan) targets(names []string) ([]layering.Target, error) {
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
	return targets, nil
}

// BuildAndPublish builds the images named as Build does and publishes each
// with pub (at most jobs at once; 0 means GOMAXPROCS) as soon as all its
// platforms are built, while the others still compile and layer. It
// returns the results (inputs attached) and their references, in plan
// order, and records outputs as Build does. The first publish failure stops the build and is returned alone;
// on a build failure, the images that built are published and returned,
// without references, with the error.
func (p *Plan) BuildAndPublish(ctx context.Context, b *layering.Builder, names []string, pub layering.Publisher, jobs int) ([]layering.Result, []name.Digest, error) {
	targets, err := p.targets(names)
	if err != nil {
		return nil, nil, err
	}
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	eg, pctx := errgroup.WithContext(bctx)
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	eg.SetLimit(jobs)
	var mu sync.Mutex
	attached := map[string]layering.Result{}
	refs := map[string]name.Digest{}
	results, berr := b.BuildEach(bctx, targets, func(r layering.Result) error {
		rs := []layering.Result{r}
		if err := AttachInputs(rs, p.Snapshot); err != nil {
			return err
		}
		mu.Lock()
		attached[r.Name] = rs[0]
		mu.Unlock()
		eg.Go(func() error {
			d, err := pub.Publish(pctx, rs[0], rs[0].Tags)
			if err != nil {
				cancel()
				return err
			}
			mu.Lock()
			refs[r.Name] = d
			mu.Unlock()
			return nil
		})
		return nil
	})
	if err := eg.Wait(); err != nil {
		return nil, nil, err
	}
	for i, r := range results {
		results[i] = attached[r.Name]
	}
	if cerr := recordOutputs(p.root, p.Snapshot, results); cerr != nil && berr == nil {
		berr = cerr
	}
	if berr != nil {
		return results, nil, berr
	}
	out := make([]name.Digest, len(results))
	for i, r := range results {
		out[i] = refs[r.Name]
	}
	return results, out, nil
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
