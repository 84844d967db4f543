package graph

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/platform"
)

// Target is one image on one platform as the planner resolved it: the
// platform its record is keyed by, the Go environment that builds it and
// the digest of its base image. Compute takes targets as data; it expands
// no platform and looks up no base.
type Target struct {
	Image    config.Image
	Platform string   // os/arch[/variant]: the key of its PlatformRecord
	GoEnv    []string // GOOS, GOARCH and variant variables (platform.GoEnv)
	Base     string   // digest of the base image for the platform, or "scratch"; "" leaves it out of the inputs
	Layout   string   // version of the image layout the builder writes (layering.LayoutVersion); "" leaves it out
}

// Options control Compute.
type Options struct {
	// Targets are the images and platforms to compute, grouped by image in
	// the order given. Nil means every image of the configuration on its
	// configured platforms, without base digests (for tests and
	// benchmarks; platforms "all" then is an error).
	Targets []Target
	Cache   *HashCache // file hash cache; nil hashes every file
	// Run, when set, is the hashes of the run this Compute is part of,
	// shared with the other Computes of it (see RunHashes); Cache is then
	// not used. The files must not change during the run.
	Run *RunHashes

	// GraphCache is the directory where the package graph of each build
	// configuration is kept between runs (.gobake/cache/graph), so that a
	// graph nothing changed since is not listed again; "" always lists.
	GraphCache string
	// DigestCache is the file where the input digest of each image's
	// inputs fingerprint is kept between runs (.gobake/cache/digests.v1),
	// so that inputs seen before are not sorted and hashed again; ""
	// keeps none.
	DigestCache string
	// Tree, when set with GraphCache, says that the files under the
	// configuration's root are those of one git commit, never changed
	// while gobake keeps them (graph.RefTree), and identifies them: the
	// commit, and whatever else the caller put in the files. The records
	// made of the same Tree, targets and Go environment are then kept
	// beside the graphs and given again without a look at a file.
	Tree string
	// Ref, when set with GraphCache, computes the records of a commit's
	// files (the RefFiles it returns, called only when Tree's records are
	// not kept) with the package graph stored for the work tree, without
	// a checkout and without listing: Compute fails with an error
	// wrapping ErrNotShared unless that graph is the commit's. Only the
	// records (see Tree: set it to name the commit; kept when the same
	// Tree is asked for twice in a row) and the input digests (in
	// DigestCache with ".ref" appended) are written then.
	Ref func(context.Context) (*RefFiles, error)

	// onLoad, when set, is called before each go list run with its build
	// configuration and mains (tests count loads with it). Loads run
	// concurrently.
	onLoad func(b buildConfig, mains []string)
	// racy is how recently touched a file may be for a listed graph that
	// depends on it to be stored; 0 means racyWindow (tests set it tiny).
	racy time.Duration
}

// target is one Target and the group it is loaded with.
type target struct {
	img    config.Image
	plat   string
	group  *group
	base   string
	layout string
}

// group is the targets sharing a build configuration, and their packages.
type group struct {
	cfg   buildConfig
	mains []string
	l     *loaded
	all   []*pkg       // every package of the mains' closures, by import path (pkg.idx)
	in    []*pkgInputs // what each package of all contributes
}

// Compute loads the packages of the targets, once per distinct build
// configuration, and returns the input records of their images.
func Compute(ctx context.Context, cfg *config.Config, opts Options) (*Snapshot, error) {
	ts := opts.Targets
	if ts == nil {
		var err error
		if ts, err = configuredTargets(cfg.Images); err != nil {
			return nil, err
		}
	}
	cache := opts.Run
	if cache == nil {
		hc := opts.Cache
		if hc == nil {
			hc = NewHashCache()
		}
		cache = NewRunHashes(hc)
	}
	targets, groups, images := groupTargets(ts)
	var memo *treeMemo
	if opts.Tree != "" && opts.GraphCache != "" {
		memo = openTreeMemo(ctx, opts.GraphCache, cfg.Root, opts.Tree, ts, groups)
		if recs := memo.records(); recs != nil {
			return memoSnapshot(cfg.Root, recs), nil
		}
	}
	var ref *RefFiles
	if opts.Ref != nil {
		if opts.GraphCache == "" {
			return nil, fmt.Errorf("%w: no stored graph", ErrNotShared)
		}
		var err error
		if ref, err = opts.Ref(ctx); err != nil {
			return nil, err
		}
		if err := ref.dataDirsAgree(); err != nil {
			return nil, err
		}
	}
	var store *graphStore
	if opts.GraphCache != "" {
		store = &graphStore{dir: opts.GraphCache, cache: cache, racy: racyWindow}
		if opts.racy != 0 {
			store.racy = opts.racy
		}
	}
	if err := loadGroups(ctx, groups, store, ref, opts.onLoad); err != nil {
		return nil, err
	}
	digests := openDigestCache(opts.DigestCache)
	if ref != nil && opts.DigestCache != "" {
		// A commit's digests go to a file of their own (the work tree's
		// plan, running beside, writes its own), knowing the work tree's:
		// a commit planned as the work tree before has them there.
		digests = openDigestCache(opts.DigestCache + ".ref")
		digests.learn(opts.DigestCache)
	}
	a := newAssembler(cfg.Root, cache, digests)
	a.ref = ref
	if err := a.hashInputs(ctx, groups, images); err != nil {
		return nil, err
	}
	for _, g := range groups {
		if err := a.packageInputs(g); err != nil {
			return nil, err
		}
	}
	s := &Snapshot{Root: cfg.Root, Records: make(map[string]*Record), feeds: make(map[string]map[string]*feed)}
	results := make([]PlatformRecord, len(targets))
	feeds := make([]*feed, len(targets))
	eg, _ := errgroup.WithContext(ctx)
	eg.SetLimit(4)
	for i, t := range targets {
		eg.Go(func() error {
			inputs, digest, f, err := a.targetInputs(t)
			if err != nil {
				return fmt.Errorf("inputs of %s (%s): %w", t.img.Name, t.plat, err)
			}
			results[i] = PlatformRecord{Platform: t.plat, Inputs: inputs, Digest: digest}
			feeds[i] = f
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for i, t := range targets {
		r := s.Records[t.img.Name]
		if r == nil {
			r = &Record{Image: t.img.Name}
			s.Records[t.img.Name] = r
			s.feeds[t.img.Name] = make(map[string]*feed)
		}
		r.Platforms = append(r.Platforms, results[i])
		s.feeds[t.img.Name][t.plat] = feeds[i]
	}
	for _, r := range s.Records {
		r.seal(false)
	}
	_ = digests.save() // an accelerator: the next plan hashes the inputs again
	if ref == nil || memo.seenBefore() {
		// A commit's records from a shared graph are kept the second time
		// they are asked for: a ref that moves on every run (CI on every
		// push) does not write them for nothing.
		memo.store(cfg.Root, s, groups, ts)
	}
	return s, nil
}

// configuredTargets is every image on its configured platforms, without
// base digests.
func configuredTargets(images []config.Image) ([]Target, error) {
	var out []Target
	for _, img := range images {
		if len(img.Platforms) == 0 {
			return nil, fmt.Errorf("image %s: no platforms", img.Name)
		}
		for _, ps := range img.Platforms {
			if ps == platform.All {
				return nil, fmt.Errorf("image %s: platforms %q needs the base image's platforms: plan with the planner", img.Name, platform.All)
			}
			p, err := platform.Parse(ps)
			if err != nil {
				return nil, fmt.Errorf("image %s: %w", img.Name, err)
			}
			env, err := platform.GoEnv(p)
			if err != nil {
				return nil, fmt.Errorf("image %s: %w", img.Name, err)
			}
			out = append(out, Target{Image: img, Platform: ps, GoEnv: env})
		}
	}
	return out, nil
}

// groupTargets groups targets by build configuration and returns the
// distinct images among them, in order.
func groupTargets(ts []Target) ([]*target, []*group, []config.Image) {
	var targets []*target
	byKey := make(map[string]*group)
	var groups []*group
	var images []config.Image
	seen := make(map[string]bool)
	for _, t := range ts {
		if !seen[t.Image.Name] {
			seen[t.Image.Name] = true
			images = append(images, t.Image)
		}
		b := buildConfigOf(t.Image, t.GoEnv)
		g := byKey[b.key()]
		if g == nil {
			g = &group{cfg: b}
			byKey[b.key()] = g
			groups = append(groups, g)
		}
		if !slices.Contains(g.mains, t.Image.Main) {
			g.mains = append(g.mains, t.Image.Main)
		}
		targets = append(targets, &target{img: t.Image, plat: t.Platform, group: g, base: t.Base, layout: t.Layout})
	}
	return targets, groups, images
}

// loadGroups loads every group, two at a time; with ref, from the stored
// graphs that hold for ref's files only.
func loadGroups(ctx context.Context, groups []*group, store *graphStore, ref *RefFiles, onLoad func(buildConfig, []string)) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(2)
	for _, g := range groups {
		eg.Go(func() error {
			if ref != nil {
				l, err := store.findAt(ctx, g.cfg, g.mains, ref)
				g.l = l
				return err
			}
			l, err := load(ctx, g.cfg, g.mains, store, onLoad)
			g.l = l
			return err
		})
	}
	return eg.Wait()
}

// rel returns path relative to root, with forward slashes.
func rel(root, path string) string {
	// The common case, a clean path below a clean root, without
	// filepath.Rel's cleaning and allocations.
	if len(path) > len(root) && path[len(root)] == filepath.Separator && strings.HasPrefix(path, root) &&
		root == filepath.Clean(root) && cleanTail(path[len(root)+1:]) {
		return filepath.ToSlash(path[len(root)+1:])
	}
	r, err := filepath.Rel(root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(r)
}

// cleanTail reports whether r, a path relative to a directory, is clean and
// stays inside it: no empty, "." or ".." element.
func cleanTail(r string) bool {
	for elem := range strings.SplitSeq(r, string(filepath.Separator)) {
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
	}
	return true
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	return dir != "" && (path == dir || strings.HasPrefix(path, dir+string(filepath.Separator)))
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
