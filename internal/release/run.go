package release

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/go-multierror"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitinfo"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/pingcache"
	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/redact"
	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/version"
)

// run is one release in progress.
type run struct {
	remoteName string // the source remote: origin, or the only remote; "" for none
	cfg        *config.Config
	opts       Options
	info       gitinfo.Info
	repo       *gitrepo.Repo
	targets    *planner.Plan   // what is built: every image × platform, resolved once
	snap       *graph.Snapshot // targets.Snapshot, or a shard's from the plan record
	snapBlob   []byte          // a shard's snapshot as the plan record stores it
	report     *Report
	results    map[string]layering.Result // built images, by name
	built      map[string]string          // version each result was built with, by name
	same       []Image                    // images sameOutput dropped: their build is their last release
	shardN     int                        // finalize: the number of shards
	shardRecs  map[int]*shardRecord       // finalize: their records, by K
	logMu      sync.Mutex                 // logf is called from the goroutines of each
	lookups    []layering.RegistryOption  // registryOptions, reusing one Puller and Pusher: see lookupOptions
	pings      http.RoundTripper          // the transport of every registry request (pingcache)
	ahead      *manifestsAhead            // finalize: the manifests read while it decides (see readAhead)
}

// Run releases the changed images of cfg: see the package documentation.
// The report says what was done, also on failure; the error then holds
// every failure.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Report, error) {
	if opts.Registry == "" {
		opts.Registry = cfg.Registry
	}
	opts.Registry = strings.TrimSuffix(opts.Registry, "/")
	rep := &Report{Schema: ReportSchema, DryRun: opts.DryRun, Images: []Image{}, Skipped: []Skipped{}, GitTags: []string{}, Finalize: opts.Finalize}
	if opts.Shard.N > 0 {
		rep.Shard = opts.Shard.String()
	}
	r := &run{cfg: cfg, opts: opts, report: rep, results: map[string]layering.Result{}, built: map[string]string{}, pings: pingcache.New(opts.Insecure)}
	err := r.reuseConnections(ctx)
	if err == nil {
		err = r.release(ctx)
	}
	r.ahead.stop()
	if err != nil {
		for _, e := range flatten(err) {
			rep.Errors = append(rep.Errors, redact.String(e.Error()))
		}
	}
	return rep, err
}

// release runs the steps in order, stopping at the first that fails.
func (r *run) release(ctx context.Context) error {
	if err := r.opts.check(r.cfg); err != nil {
		return err
	}
	if r.opts.Warm && r.opts.Shards == 1 {
		r.logf("warm: one shard shares its packages with no other: nothing to compile ahead\n")
		return nil
	}
	if err := r.open(ctx); err != nil {
		return err
	}
	names := r.opts.selected(r.cfg)
	info, err := config.NewBuildInfo(r.environ(), r.info, "", time.Now())
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	bases := layering.NewBases(ctx, r.cfg.Root, r.registryOptions()...)
	plan := func(ctx context.Context, images []string) (*planner.Plan, error) {
		return planner.New(ctx, r.cfg, bases, planner.Options{Images: images, Info: info})
	}
	switch {
	case r.opts.Finalize:
		// The shards planned this commit: their snapshot is this one's.
		if err := r.openShards(ctx, names); err != nil {
			return err
		}
		r.readAhead(ctx)
	case r.opts.Shard.N > 0:
		return r.shard(ctx, names, plan)
	default:
		if r.targets, err = plan(ctx, names); err != nil {
			return err
		}
		r.snap = r.targets.Snapshot
	}
	if r.opts.Warm {
		return r.warm(ctx, names)
	}
	for attempt := 1; ; attempt++ {
		err := r.attempt(ctx, names)
		if !errors.Is(err, errLost) || attempt == maxClaims {
			if errors.Is(err, errLost) {
				return fmt.Errorf("release: gave up after %d claims lost to other releases: %w (run it again)", attempt, err)
			}
			return err
		}
		r.logf("%v: fetching the tags and deciding again\n", err)
		if err := r.sync(ctx); err != nil {
			return err
		}
		r.report.Images, r.report.Skipped, r.report.GitTags, r.same = []Image{}, []Skipped{}, []string{}, nil
	}
}

// maxClaims bounds the claims a release makes when others win them.
const maxClaims = 4

// decide decides the versions of names (see decider) and adds the images
// with nothing to release to the report.
func (r *run) decide(ctx context.Context, names []string) ([]version.Release, []Skipped, map[string]bool, []version.Release, error) {
	rels, skipped, claimed, completions, err := decider{cfg: r.cfg, repo: r.repo, snap: r.snap, opts: r.opts, commit: r.info.Commit, registry: r.lookupOptions()}.decide(ctx, names)
	r.report.Skipped = append(r.report.Skipped, skipped...)
	return rels, skipped, claimed, completions, err
}

// decideAndPlan is an attempt's first two steps, as a shard and warm take
// them: decide the versions of names, then plan the images (see plan).
func (r *run) decideAndPlan(ctx context.Context, names []string) error {
	rels, _, claimed, completions, err := r.decide(ctx, names)
	if err != nil {
		return err
	}
	return r.plan(rels, claimed, completions)
}

// attempt decides the versions, builds what is not in the registry yet,
// pushes it by digest, claims the versions and publishes them. It returns
// an error wrapping errLost when another release claimed a version first:
// nothing visible has changed then.
func (r *run) attempt(ctx context.Context, names []string) error {
	rels, skipped, claimed, completions, err := r.decide(ctx, names)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		r.logf("%s: nothing to release (%s)\n", s.Image, s.Reason)
	}
	if len(rels) == 0 && len(completions) == 0 {
		return nil
	}
	build := r.build
	if r.opts.Finalize {
		build = r.collect // the shards built and pushed them
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"plan", func(context.Context) error { return r.plan(rels, claimed, completions) }},
		{"newest", r.markNewest},
		{"adopt", r.adopt},
		{"settle", r.settle},
		{"reuse", r.reuse},
		{"build", build},
		{"same output", r.sameOutput},
	}
	if r.opts.DryRun {
		steps = append(steps, struct {
			name string
			fn   func(context.Context) error
		}{"gitops", r.planGitOps})
	} else {
		steps = append(steps, []struct {
			name string
			fn   func(context.Context) error
		}{
			{"push", r.push},
			{"check", r.checkPushed},
			{"claim", r.claim},
			{"tag images and gitops", r.publish},
		}...)
	}
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			return err
		}
		if len(r.report.Images) == 0 {
			return nil // every image was released already
		}
	}
	r.report.Released = !r.opts.DryRun
	return nil
}

// open reads the source commit and refuses a dirty work tree: a release
// must be made from a commit. It opens the clone and syncs its tags at
// the same time: git status, which looks at every file of the tree, takes
// as long as the fetch; a release refused then has only fetched tags.
func (r *run) open(ctx context.Context) error {
	var (
		wg      sync.WaitGroup
		info    gitinfo.Info
		infoErr error
	)
	wg.Go(func() { info, infoErr = gitinfo.Read(ctx, r.cfg.Root) })
	syncErr := r.openRepo(ctx)
	wg.Wait()
	switch {
	case infoErr != nil:
		return fmt.Errorf("release: %w", infoErr)
	case info.Commit == "":
		return fmt.Errorf("release: %s is not in a git repository with a commit", r.cfg.Root)
	case info.TreeState != "clean":
		return fmt.Errorf("release: the work tree of %s has uncommitted changes: commit or stash them first", r.cfg.Root)
	case syncErr != nil:
		return syncErr
	}
	r.info = info
	r.report.Commit = info.Commit
	return nil
}

// openRepo opens the clone, finds its source remote and syncs its tags.
func (r *run) openRepo(ctx context.Context) error {
	managed, err := r.managedTags()
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if r.repo, err = gitrepo.Open(ctx, r.cfg.Root, gitrepo.WithManagedTags(managed)); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if r.remoteName, err = r.remote(ctx); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return r.sync(ctx)
}

// plan fills in the report's image of every release: its repository,
// input digest and the image tags it will move. The completions of
// unfinished claims of an image come first, oldest first.
func (r *run) plan(rels []version.Release, claimed map[string]bool, completions []version.Release) error {
	var errs *multierror.Error
	for _, img := range r.cfg.Images { // configuration order
		var mine []version.Release
		for _, c := range completions {
			if c.Image == img.Name {
				mine = append(mine, c)
			}
		}
		if i := slices.IndexFunc(rels, func(rel version.Release) bool { return rel.Image == img.Name }); i >= 0 {
			mine = append(mine, rels[i])
		}
		for _, rel := range mine {
			done := rel.Commit != r.info.Commit // a claim of another commit, to complete
			out := Image{
				Image: img.Name, Repository: imageref.Join(r.opts.Registry, img.Repository),
				Version: rel.Version.String(), Bump: rel.Bump.String(), Reason: rel.Reason,
				GitTag: rel.Tag, Platforms: []string{}, SBOM: []string{},
				Commit: rel.Commit, repository: img.Repository, ociTag: rel.OCITag,
				version: rel.Version, Claimed: claimed[img.Name] || done, Completed: done,
				Notes: version.NotesOf(rel.Causes),
			}
			if rel.Last != nil {
				out.Previous = rel.Last.Version.String()
				out.last = rel.Last
			}
			if rec := r.snap.Records[img.Name]; rec != nil && !done {
				out.Inputs = rec.Digest
			}
			vt, ft, err := r.imageTags(img.Name, rel)
			if err != nil {
				errs = multierror.Append(errs, fmt.Errorf("release of %s: %w", img.Name, err))
			}
			out.versionTags, out.floatingTags = vt, ft
			out.Tags = append(append([]string{}, vt...), ft...) // [] when the tags failed to render
			r.report.Images = append(r.report.Images, out)
			r.logf("%s: %s → %s (%s)\n", img.Name, orNone(out.Previous), out.Version, out.Reason)
		}
	}
	return errs.ErrorOrNil()
}

// imageTags returns the image tags of rel: the version's own, then for a
// final release those of release.tags (templates seeing the version),
// split into version tags and floating ones.
func (r *run) imageTags(image string, rel version.Release) (versionTags, floatingTags []string, err error) {
	versionTags = []string{rel.OCITag}
	if rel.Version.Prerelease() != "" {
		return versionTags, nil, nil
	}
	git := r.info
	if rel.Commit != git.Commit { // completing the claim of another commit
		git = gitinfo.Info{Commit: rel.Commit, ShortCommit: short(rel.Commit)[:7], TreeState: "clean"}
	}
	render := func(tmpl string) func(v string) (string, error) {
		return func(v string) (string, error) {
			info := config.BuildInfo{Version: v, Git: git, Env: config.EnvMap(r.environ())}
			out, err := config.ExpandTags([]string{tmpl}, info.TemplateData(image, ""))
			return strings.Join(out, ""), err
		}
	}
	for _, tmpl := range r.cfg.Release.Tags {
		t, err := render(tmpl)(rel.Version.String())
		if err != nil {
			return nil, nil, err
		}
		if t == "" || slices.Contains(versionTags, t) || slices.Contains(floatingTags, t) {
			continue
		}
		float, err := floating(render(tmpl), rel.Version.String())
		if err != nil {
			return nil, nil, err
		}
		if float {
			floatingTags = append(floatingTags, t)
		} else {
			versionTags = append(versionTags, t)
		}
	}
	return versionTags, floatingTags, nil
}

// builderOptions are the options of the release's Builder.
func (r *run) builderOptions() []layering.BuilderOption {
	log := r.opts.Log
	if r.opts.Observer != nil {
		log = nil // the display shows what the builder's lines say
	}
	opts := []layering.BuilderOption{
		layering.WithLogger(log),
		layering.WithObserver(r.opts.Observer),
		layering.WithJobs(r.opts.Jobs),
		layering.WithEnviron(r.environ()),
	}
	if r.opts.SBOMFormats != nil {
		opts = append(opts, layering.WithSBOMFormats(r.opts.SBOMFormats...))
	}
	return opts
}

// registryOptions are how the release reaches the registry.
func (r *run) registryOptions() []layering.RegistryOption {
	opts := []layering.RegistryOption{layering.WithRegistryInsecure(r.opts.Insecure)}
	if r.pings != nil {
		opts = append(opts, layering.WithRegistryTransport(r.pings))
	}
	return opts
}

// reuseConnections makes the Puller and Pusher that lookupOptions share.
func (r *run) reuseConnections(ctx context.Context) error {
	ropts := layering.RemoteOptions(ctx, r.registryOptions()...)
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	r.lookups = append(r.registryOptions(), layering.WithRemoteOptions(remote.Reuse(puller), remote.Reuse(pusher)))
	return nil
}

// lookupOptions are registryOptions for the release's many small requests
// (HEADs, tag listings, manifest GETs and tag PUTs, hundreds in a release
// of hundreds of images): they share one Puller and one Pusher, which
// ping and authenticate once per repository and keep their connections,
// instead of once per request. Pushes of images keep registryOptions: a
// Pusher given by remote.Reuse would ignore their own options.
func (r *run) lookupOptions() []layering.RegistryOption {
	if r.lookups == nil { // a run made without Run, in tests
		return r.registryOptions()
	}
	return r.lookups
}

// environ is the process environment of the release.
func (r *run) environ() []string {
	if r.opts.Environ == nil {
		return os.Environ()
	}
	return r.opts.Environ
}

// logf writes a progress line; several goroutines may at once.
func (r *run) logf(format string, args ...any) {
	if r.opts.Log != nil {
		r.logMu.Lock()
		defer r.logMu.Unlock()
		fmt.Fprintf(r.opts.Log, format, args...)
	}
}

// sortErrors returns the errors of m sorted by message, or nil.
func sortErrors(m *multierror.Error) error {
	if m == nil || len(m.Errors) == 0 {
		return nil
	}
	slices.SortStableFunc(m.Errors, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return m
}

// flatten returns the errors err holds: those of a multierror (nested
// ones too), else err itself.
func flatten(err error) []error {
	var m *multierror.Error
	if !errors.As(err, &m) {
		return []error{err}
	}
	var out []error
	for _, e := range m.Errors {
		out = append(out, flatten(e)...)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
