package layering

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/errlines"
	"github.com/gobake/gobake/internal/platform"
)

// Builder builds Targets: it compiles, layers and assembles each platform
// image and the index of a multi-platform image. Create it with
// NewBuilder.
type Builder struct {
	o    builderOptions
	done func(Result) error // BuildEach's
}

// NewBuilder returns a Builder.
func NewBuilder(opts ...BuilderOption) *Builder {
	o := defaultBuilderOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.environ == nil {
		o.environ = os.Environ()
	}
	if o.compiler == nil {
		var max int64
		max, o.binCacheErr = outputCacheSize(o.environ)
		o.compiler = NewGoCompiler(WithBuildEnviron(o.environ), WithCompileJobs(o.jobs),
			WithOutputCache(outputCacheDir(o.environ)), WithOutputCacheSize(max))
	}
	if o.layerCache == nil && !o.noLayers {
		if dir := outputCacheDir(o.environ); dir != "" {
			o.layerCache = newLayerCache(filepath.Join(dir, "layers"), 0)
			o.layerCacheErr = o.layerCache.sizeFromEnv(o.environ)
		}
	}
	o.log = &lockedWriter{w: o.log}
	return &Builder{o: o}
}

// imageJob is one target being built and what its platforms produce.
type imageJob struct {
	Target
	built     []platformImage // one per platform, in order
	referrers [][]Referrer    // one list per platform
	left      atomic.Int64    // platforms not built yet
	result    *Result         // set when every platform built
}

// Build builds every platform of targets, at most WithJobs at a time. It
// returns one Result per target whose platforms all built, in the order of
// targets. Failures of several images and platforms are all reported,
// each naming its image and platform.
func (b *Builder) Build(ctx context.Context, targets []Target) ([]Result, error) {
	return b.BuildEach(ctx, targets, nil)
}

// BuildEach builds targets as Build does and, when done is not nil,
// calls it with each image's Result as soon as all its platforms are
// built, while other images still build: so that it can be published
// meanwhile. done may be called concurrently; its errors are returned
// with the build's.
func (b *Builder) BuildEach(ctx context.Context, targets []Target, done func(Result) error) ([]Result, error) {
	if b.o.binCacheErr != nil {
		return nil, b.o.binCacheErr
	}
	b = &Builder{o: b.o}
	b.done = done
	created, err := b.created()
	if err != nil {
		return nil, err
	}
	if b.o.layerCacheErr != nil {
		return nil, b.o.layerCacheErr
	}
	defer b.o.layerCache.prune(time.Now())
	var errs errorList
	jobs := make([]*imageJob, len(targets))
	for i, t := range targets {
		if len(t.Platforms) == 0 {
			errs.add(fmt.Errorf("build %s: no platform to build", t.Image.Name))
			continue
		}
		jobs[i] = &imageJob{Target: t, built: make([]platformImage, len(t.Platforms)), referrers: make([][]Referrer, len(t.Platforms))}
		jobs[i].left.Store(int64(len(t.Platforms)))
	}
	jobs = slices.DeleteFunc(jobs, func(j *imageJob) bool { return j == nil })

	if bc, ok := b.o.compiler.(BatchCompiler); ok {
		b.buildBatched(ctx, bc, jobs, created, &errs)
	} else {
		b.buildEach(ctx, jobs, created, &errs)
	}

	var results []Result
	for _, j := range jobs {
		if j.result != nil {
			results = append(results, *j.result)
		} // else its errors are in errs
	}
	if err := errs.err(); err != nil {
		return results, err
	}
	return results, nil
}

// complete makes the Result of j, whose platforms are all built, and
// hands it to b.done; errors go to errs.
func (b *Builder) complete(j *imageJob, errs *errorList) {
	r, err := b.result(j)
	if err != nil {
		b.o.observer.Observe(Event{Image: j.Image.Name, Phase: PhaseFailed, Err: err})
		errs.add(fmt.Errorf("build %s: %w", j.Image.Name, err))
		return
	}
	j.result = &r
	if b.done != nil {
		if err := b.done(r); err != nil {
			errs.add(err)
		}
	}
}

// created is the creation time of every image: SOURCE_DATE_EPOCH, else
// the Unix epoch.
func (b *Builder) created() (time.Time, error) {
	s := config.EnvMap(b.o.environ)[config.SourceDateEpochEnv]
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("$%s=%q is not a Unix time in seconds", config.SourceDateEpochEnv, s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

// buildPlatform compiles, assembles and describes platform i of j.
func (b *Builder) buildPlatform(ctx context.Context, j *imageJob, i int, created time.Time) error {
	t, err := b.prepare(j, i)
	if err != nil {
		return err
	}
	defer os.RemoveAll(t.dir)
	if err := b.o.compiler.Compile(ctx, t.req); err != nil {
		return err // the compiler names image and platform
	}
	return b.finish(ctx, t, created)
}

// platformTask is platform i of job between compile request and image.
type platformTask struct {
	job      *imageJob
	i        int
	base     baseImage
	settings config.Settings // rendered for the platform
	req      CompileRequest
	dir      string // temporary directory holding the binary
	start    time.Time
}

// fail names the image and platform of t in err.
func (t *platformTask) fail(err error) error {
	return fmt.Errorf("build %s for %s: %w", t.job.Image.Name, t.job.Platforms[t.i].Platform, err)
}

// prepare renders the settings of platform i of j and makes the directory
// its binary goes to; the caller removes t.dir.
func (b *Builder) prepare(j *imageJob, i int) (*platformTask, error) {
	img, pt := j.Image, j.Platforms[i]
	t := &platformTask{job: j, i: i, base: pt.base}
	p := pt.Build
	settings, err := img.Settings.Expand(j.Info.TemplateData(img.Name, platform.Format(p)))
	if err != nil {
		return nil, t.fail(err)
	}
	fmt.Fprintf(b.o.log, "building %s for %s\n", img.Name, platform.Format(p))
	b.observe(j, i, PhaseCompile, nil)
	t.settings, t.start = settings, time.Now()
	if t.dir, err = os.MkdirTemp("", "gobake-"); err != nil {
		return nil, t.fail(err)
	}
	t.req = CompileRequest{
		Image: img.Name, Dir: img.Dir, Main: img.Main, Platform: p,
		Env: settings.Env, Flags: settings.Flags, Ldflags: settings.Ldflags,
		Output: filepath.Join(t.dir, img.Binary), Inputs: pt.Inputs,
	}
	return t, nil
}

// finish layers the compiled binary of t onto its base and describes it.
func (b *Builder) finish(ctx context.Context, t *platformTask, created time.Time) error {
	j, img, p, settings := t.job, t.job.Image, t.job.Platforms[t.i].Build, t.settings
	b.observe(j, t.i, PhaseLayer, nil)
	anns := maps.Clone(settings.Annotations)
	if anns == nil {
		anns = map[string]string{}
	}
	maps.Copy(anns, j.Annotations)
	out, err := assemble(assembly{
		image: img.Name, base: t.base, platform: p,
		binaryPath: t.req.Output, binary: img.Binary, dataDir: img.Data,
		user: settings.User, labels: settings.Labels, annotations: anns,
		created: created, compression: Compression(settings.Compression), cache: b.o.layerCache,
		buildIDs: trustBuildID(t.req.Flags, t.req.Ldflags, []string{config.EnvMap(append(slices.Clone(b.o.environ), t.req.Env...))["GOFLAGS"]}),
	})
	if err != nil {
		return t.fail(err)
	}
	var refs []Referrer
	if len(b.o.sbomFormats) > 0 {
		if refs, err = SBOMs(ctx, out, t.req.Output, b.o.sbomFormats, created); err != nil {
			return t.fail(err)
		}
	}
	j.built[t.i] = platformImage{image: out, platform: p}
	j.referrers[t.i] = refs
	fmt.Fprintf(b.o.log, "built %s for %s in %s\n", img.Name, platform.Format(p), time.Since(t.start).Round(time.Millisecond))
	return nil
}

// result makes the Result of a fully built job: the image itself for one
// platform, an index of them for several.
func (b *Builder) result(j *imageJob) (Result, error) {
	r := Result{Name: j.Image.Name, Repository: j.Image.Repository, Tags: j.Tags}
	for _, refs := range j.referrers {
		r.Referrers = append(r.Referrers, refs...)
	}
	if len(j.built) == 1 {
		r.Image = j.built[0].image
		return r, nil
	}
	settings, err := j.Image.Settings.Expand(j.Info.TemplateData(j.Image.Name, ""))
	if err != nil {
		return Result{}, err
	}
	anns := maps.Clone(settings.Annotations)
	if anns == nil {
		anns = map[string]string{}
	}
	if j.base != nil {
		baseAnnotations(anns, j.base.name, j.base.local, j.base.digest)
	}
	maps.Copy(anns, j.Annotations)
	idx, err := assembleIndex(j.built, anns)
	if err != nil {
		return Result{}, err
	}
	r.Index = idx
	return r, nil
}

// errorList collects errors from concurrent builds.
type errorList struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorList) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

// err returns the errors sorted by message (so by image and platform), one
// per line, or nil when there are none. Compiler errors that read the same
// for several images or platforms are shown once, naming them all.
func (l *errorList) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		return nil
	}
	errs := mergeCompileErrors(l.errs)
	slices.SortStableFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return &multierror.Error{Errors: errs, ErrorFormat: errlines.Format}
}

// lockedWriter serializes writes of concurrent builds to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// observe reports phase of platform i of j to the Builder's Observer.
func (b *Builder) observe(j *imageJob, i int, phase Phase, err error) {
	b.o.observer.Observe(Event{Image: j.Image.Name, Platform: platform.Format(j.Platforms[i].Build), Phase: phase, Err: err})
}
