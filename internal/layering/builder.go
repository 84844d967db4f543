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
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/errlines"
)

// Builder builds the images of a gobake.yaml. Create it with NewBuilder.
type Builder struct {
	cfg   *config.Config
	o     builderOptions
	bases *bases
}

// NewBuilder returns a Builder for the images of cfg.
func NewBuilder(cfg *config.Config, opts ...BuilderOption) *Builder {
	o := defaultBuilderOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.environ == nil {
		o.environ = os.Environ()
	}
	if o.compiler == nil {
		o.compiler = NewGoCompiler(WithBuildEnviron(o.environ), WithCompileJobs(o.jobs),
			WithOutputCache(outputCacheDir(o.environ)))
	}
	o.log = &lockedWriter{w: o.log}
	return &Builder{
		cfg: cfg,
		o:   o,
		bases: &bases{
			root:     cfg.Root,
			insecure: o.insecure || makeRegistryOptions(o.registry...).insecure,
			registry: o.registry,
		},
	}
}

// imageJob is one image being built and what its platforms produce.
type imageJob struct {
	image     config.Image
	extra     map[string]string // annotations from WithAnnotations
	base      *base
	platforms []v1.Platform
	tags      []string        // rendered tags
	built     []platformImage // one per platform, in order
	referrers [][]Referrer    // one list per platform
}

// Build builds the images named (every image when names is empty) for each
// of their platforms, at most WithJobs at a time. It returns one Result per
// image, in the order of the configuration. Failures of several images and
// platforms are all reported, each naming its image and platform.
func (b *Builder) Build(ctx context.Context, names []string) ([]Result, error) {
	images, err := b.selectImages(names)
	if err != nil {
		return nil, err
	}
	info, created, err := b.buildInfo()
	if err != nil {
		return nil, err
	}

	var errs errorList
	jobs := b.planAll(ctx, images, info, &errs)

	if bc, ok := b.o.compiler.(BatchCompiler); ok {
		b.buildBatched(ctx, bc, jobs, info, created, &errs)
	} else {
		b.buildEach(ctx, jobs, info, created, &errs)
	}

	var results []Result
	for _, j := range jobs {
		if slices.ContainsFunc(j.built, func(pi platformImage) bool { return pi.image == nil }) {
			continue // its errors are in errs
		}
		r, err := b.result(j, info)
		if err != nil {
			errs.add(fmt.Errorf("build %s: %w", j.image.Name, err))
			continue
		}
		results = append(results, r)
	}
	if err := errs.err(); err != nil {
		return results, err
	}
	return results, nil
}

// selectImages returns the images named, in configuration order.
func (b *Builder) selectImages(names []string) ([]config.Image, error) {
	if len(names) == 0 {
		return b.cfg.Images, nil
	}
	var out []config.Image
	var unknown []string
	for _, n := range names {
		i := slices.IndexFunc(b.cfg.Images, func(img config.Image) bool { return img.Name == n })
		if i < 0 {
			unknown = append(unknown, n)
			continue
		}
		if !slices.ContainsFunc(out, func(img config.Image) bool { return img.Name == n }) {
			out = append(out, b.cfg.Images[i])
		}
	}
	if len(unknown) > 0 {
		known := make([]string, 0, len(b.cfg.Images))
		for _, img := range b.cfg.Images {
			known = append(known, img.Name)
		}
		return nil, fmt.Errorf("no image %s in %s (images: %s)", strings.Join(unknown, ", "), b.cfg.Path, strings.Join(known, ", "))
	}
	slices.SortStableFunc(out, func(a, c config.Image) int {
		return slices.IndexFunc(b.cfg.Images, func(img config.Image) bool { return img.Name == a.Name }) -
			slices.IndexFunc(b.cfg.Images, func(img config.Image) bool { return img.Name == c.Name })
	})
	return out, nil
}

// buildInfo returns the template facts of this run and the creation time
// of every image: SOURCE_DATE_EPOCH, else the Unix epoch.
func (b *Builder) buildInfo() (config.BuildInfo, time.Time, error) {
	env := config.EnvMap(b.o.environ)
	getenv := func(k string) string { return env[k] }
	date, err := config.BuildDate(getenv, b.o.git, time.Now())
	if err != nil {
		return config.BuildInfo{}, time.Time{}, err
	}
	created := time.Unix(0, 0).UTC()
	if s := env[config.SourceDateEpochEnv]; s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return config.BuildInfo{}, time.Time{}, fmt.Errorf("$%s=%q is not a Unix time in seconds", config.SourceDateEpochEnv, s)
		}
		created = time.Unix(sec, 0).UTC()
	}
	return config.BuildInfo{Version: b.o.version, Git: b.o.git, Date: date, Env: env}, created, nil
}

// planAll plans every image concurrently (fetching their bases), in
// order; failures go to errs.
func (b *Builder) planAll(ctx context.Context, images []config.Image, info config.BuildInfo, errs *errorList) []*imageJob {
	planned := make([]*imageJob, len(images))
	var wg sync.WaitGroup
	for i, img := range images {
		wg.Go(func() {
			j, err := b.plan(ctx, img, info)
			if err != nil {
				errs.add(fmt.Errorf("build %s: %w", img.Name, err))
				return
			}
			planned[i] = j
		})
	}
	wg.Wait()
	var jobs []*imageJob
	for _, j := range planned {
		if j != nil {
			jobs = append(jobs, j)
		}
	}
	return jobs
}

// plan renders the tags of img and resolves its base and platforms.
func (b *Builder) plan(ctx context.Context, img config.Image, info config.BuildInfo) (*imageJob, error) {
	tags := img.Tags
	switch {
	case len(b.o.tags) > 0:
		tags = b.o.tags
	case len(tags) == 0:
		tags = b.cfg.Tags
	}
	tags, err := config.ExpandTags(tags, info.TemplateData(img.Name, ""))
	if err != nil {
		return nil, err
	}
	bs, err := b.bases.get(ctx, img.BaseRef)
	if err != nil {
		return nil, err
	}
	specs := img.Platforms
	if len(b.o.platforms) > 0 {
		specs = b.o.platforms
	}
	var ps []v1.Platform
	for _, s := range specs {
		if s == AllPlatforms {
			all, err := bs.platforms()
			if err != nil {
				return nil, err
			}
			ps = append(ps, all...)
			continue
		}
		p, err := ParsePlatform(s)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("no platform to build")
	}
	j := &imageJob{image: img, base: bs, platforms: ps, tags: tags}
	j.built = make([]platformImage, len(ps))
	j.referrers = make([][]Referrer, len(ps))
	if b.o.annotations != nil {
		j.extra = b.o.annotations(img.Name)
	}
	return j, nil
}

// buildPlatform compiles, assembles and describes platform i of j.
func (b *Builder) buildPlatform(ctx context.Context, j *imageJob, i int, info config.BuildInfo, created time.Time) error {
	t, err := b.prepare(j, i, info)
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
	return fmt.Errorf("build %s for %s: %w", t.job.image.Name, platformString(t.job.platforms[t.i]), err)
}

// prepare resolves the base and settings of platform i of j and makes the
// directory its binary goes to; the caller removes t.dir.
func (b *Builder) prepare(j *imageJob, i int, info config.BuildInfo) (*platformTask, error) {
	img := j.image
	t := &platformTask{job: j, i: i}
	bi, err := j.base.forPlatform(j.platforms[i])
	if err != nil {
		return nil, t.fail(err)
	}
	p := bi.platform
	settings, err := img.Settings.Expand(info.TemplateData(img.Name, platformString(p)))
	if err != nil {
		return nil, t.fail(err)
	}
	fmt.Fprintf(b.o.log, "building %s for %s\n", img.Name, platformString(p))
	t.base, t.settings, t.start = bi, settings, time.Now()
	if t.dir, err = os.MkdirTemp("", "gobake-"); err != nil {
		return nil, t.fail(err)
	}
	t.req = CompileRequest{
		Image: img.Name, Dir: img.Dir, Main: img.Main, Platform: p,
		Env: settings.Env, Flags: settings.Flags, Ldflags: settings.Ldflags,
		Output: filepath.Join(t.dir, img.Binary),
	}
	return t, nil
}

// finish layers the compiled binary of t onto its base and describes it.
func (b *Builder) finish(ctx context.Context, t *platformTask, created time.Time) error {
	j, img, p, settings := t.job, t.job.image, t.base.platform, t.settings
	anns := maps.Clone(settings.Annotations)
	if anns == nil {
		anns = map[string]string{}
	}
	maps.Copy(anns, j.extra)
	out, err := assemble(assembly{
		image: img.Name, base: t.base, platform: p,
		binaryPath: t.req.Output, binary: img.Binary, dataDir: img.Data,
		user: settings.User, labels: settings.Labels, annotations: anns,
		created: created,
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
	fmt.Fprintf(b.o.log, "built %s for %s in %s\n", img.Name, platformString(p), time.Since(t.start).Round(time.Millisecond))
	return nil
}

// result makes the Result of a fully built job: the image itself for one
// platform, an index of them for several.
func (b *Builder) result(j *imageJob, info config.BuildInfo) (Result, error) {
	r := Result{Name: j.image.Name, Repository: j.image.Repository}
	r.Tags = j.tags
	for _, refs := range j.referrers {
		r.Referrers = append(r.Referrers, refs...)
	}
	if len(j.built) == 1 {
		r.Image = j.built[0].image
		return r, nil
	}
	settings, err := j.image.Settings.Expand(info.TemplateData(j.image.Name, ""))
	if err != nil {
		return Result{}, err
	}
	anns := maps.Clone(settings.Annotations)
	if anns == nil {
		anns = map[string]string{}
	}
	if j.base.name != "" {
		anns[BaseNameAnnotation] = j.base.name
		anns[BaseDigestAnnotation] = j.base.digest.String()
	}
	maps.Copy(anns, j.extra)
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
// per line, or nil when there are none.
func (l *errorList) err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errs) == 0 {
		return nil
	}
	errs := slices.Clone(l.errs)
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
