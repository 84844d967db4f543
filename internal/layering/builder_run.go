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
	r := b.newRunner(ctx, errs)
	for _, j := range jobs {
		for i := range j.Platforms {
			r.start(platformRef{j, i}, func() error { return b.buildPlatform(ctx, j, i, created) })
		}
	}
	r.wait()
}

// buildBatched hands every platform's compile request to bc at once, so
// that it can share go commands between them, and assembles each image as
// soon as its go command ends (while others still compile), at most
// WithJobs at a time; failures go to errs.
func (b *Builder) buildBatched(ctx context.Context, bc BatchCompiler, jobs []*imageJob, created time.Time, errs *errorList) {
	var tasks []*platformTask
	for _, j := range jobs {
		for i := range j.Platforms {
			t, err := b.prepare(j, i)
			if err != nil {
				b.observe(j, i, PhaseFailed, err)
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
	r := b.newRunner(ctx, errs)
	bc.CompileEach(ctx, reqs, func(k int, err error) {
		t := tasks[k]
		if err != nil {
			b.observe(t.job, t.i, PhaseFailed, err)
			errs.add(err) // the compiler names image and platform
			return
		}
		r.start(platformRef{t.job, t.i}, func() error { return b.finish(ctx, t, created) })
	})
	r.wait()
}

// platformRef is platform i of job.
type platformRef struct {
	job *imageJob
	i   int
}

// runner runs platform work, at most WithJobs at a time, and stops
// starting new work when ctx is done; errors go to errs. When the last
// platform of a job is done, it completes the job (Builder.complete).
type runner struct {
	b    *Builder
	ctx  context.Context
	errs *errorList
	sem  chan struct{}
	wg   sync.WaitGroup
}

func (b *Builder) newRunner(ctx context.Context, errs *errorList) *runner {
	return &runner{b: b, ctx: ctx, errs: errs, sem: make(chan struct{}, b.o.jobs)}
}

// start runs fn for platform t in a new goroutine.
func (r *runner) start(t platformRef, fn func() error) {
	r.wg.Go(func() {
		select {
		case r.sem <- struct{}{}:
			defer func() { <-r.sem }()
		case <-r.ctx.Done():
		}
		if err := r.ctx.Err(); err != nil {
			r.b.observe(t.job, t.i, PhaseFailed, err)
			r.errs.add(fmt.Errorf("build %s for %s: %w", t.job.Image.Name, t.job.Platforms[t.i].Platform, err))
			return
		}
		if err := fn(); err != nil {
			r.b.observe(t.job, t.i, PhaseFailed, err)
			r.errs.add(err)
			return
		}
		if t.job.left.Add(-1) == 0 {
			r.b.complete(t.job, r.errs)
		}
	})
}

// wait returns when every started function has returned.
func (r *runner) wait() { r.wg.Wait() }

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
