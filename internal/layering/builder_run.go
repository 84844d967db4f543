package layering

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gobake/gobake/internal/config"
)

// buildEach builds every platform of jobs with its own Compile call, at
// most WithJobs at a time; failures go to errs.
func (b *Builder) buildEach(ctx context.Context, jobs []*imageJob, created time.Time, errs *errorList) {
	var targets []platformRef
	for _, j := range jobs {
		for i := range j.Platforms {
			targets = append(targets, platformRef{j, i})
		}
	}
	b.eachPlatform(ctx, targets, errs, func(k int) error {
		return b.buildPlatform(ctx, targets[k].job, targets[k].i, created)
	})
}

// buildBatched hands every platform's compile request to bc at once, so
// that it can share go commands between them, then assembles the images
// that compiled, at most WithJobs at a time; failures go to errs.
func (b *Builder) buildBatched(ctx context.Context, bc BatchCompiler, jobs []*imageJob, created time.Time, errs *errorList) {
	var tasks []*platformTask
	for _, j := range jobs {
		for i := range j.Platforms {
			t, err := b.prepare(j, i)
			if err != nil {
				errs.add(err)
				continue
			}
			defer os.RemoveAll(t.dir)
			tasks = append(tasks, t)
		}
	}
	if len(tasks) == 0 {
		return
	}
	reqs := make([]CompileRequest, len(tasks))
	for k, t := range tasks {
		reqs[k] = t.req
	}
	var compiled []*platformTask
	var targets []platformRef
	for k, err := range bc.CompileAll(ctx, reqs) {
		if err != nil {
			errs.add(err) // the compiler names image and platform
			continue
		}
		compiled = append(compiled, tasks[k])
		targets = append(targets, platformRef{tasks[k].job, tasks[k].i})
	}
	b.eachPlatform(ctx, targets, errs, func(k int) error {
		return b.finish(ctx, compiled[k], created)
	})
}

// platformRef is platform i of job.
type platformRef struct {
	job *imageJob
	i   int
}

// eachPlatform calls fn(k) for every targets[k], at most WithJobs at a
// time, and stops starting new ones when ctx is done; errors go to errs.
func (b *Builder) eachPlatform(ctx context.Context, targets []platformRef, errs *errorList, fn func(k int) error) {
	sem := make(chan struct{}, b.o.jobs)
	var wg sync.WaitGroup
	for k, t := range targets {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
			}
			if err := ctx.Err(); err != nil {
				errs.add(fmt.Errorf("build %s for %s: %w", t.job.Image.Name, t.job.Platforms[t.i].Platform, err))
				return
			}
			if err := fn(k); err != nil {
				errs.add(err)
			}
		})
	}
	wg.Wait()
}

// outputCacheDir is where the default compiler keeps binaries between
// runs: $GOBAKE_CACHE, else gobake under the user cache directory; none
// when GOBAKE_CACHE=off or no cache directory is known.
func outputCacheDir(environ []string) string {
	dir := config.EnvMap(environ)["GOBAKE_CACHE"]
	switch dir {
	case "off":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "gobake")
	}
	return dir
}
