package graph

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/config"
)

// BaseDigestFunc returns the digest of img's base image for platform, or
// "scratch" for an empty base. The CLI supplies it (registry or OCI layout
// lookup) so that this package does not depend on layering.
type BaseDigestFunc func(ctx context.Context, img config.Image, platform string) (string, error)

// PlatformsFunc expands an image's platforms "all" to its base's platforms.
type PlatformsFunc func(ctx context.Context, img config.Image) ([]string, error)

// Options control Compute.
type Options struct {
	Images     []string       // names of the images to compute; nil means every image
	BaseDigest BaseDigestFunc // nil leaves the base digest out of the inputs
	Platforms  PlatformsFunc  // nil makes platforms "all" an error
	Cache      *HashCache     // file hash cache; nil hashes every file

	// onLoad, when set, is called before each go list run with its build
	// configuration and mains (tests count loads with it). Loads run
	// concurrently.
	onLoad func(b buildConfig, mains []string)
}

// target is one image on one platform.
type target struct {
	img   config.Image
	plat  string
	group *group
	base  string
}

// group is the targets sharing a build configuration, and their packages.
type group struct {
	cfg   buildConfig
	mains []string
	l     *loaded
	pkgs  map[*pkg]*pkgInputs
}

// Compute loads the packages of the images of cfg, once per distinct build
// configuration, and returns their input records.
func Compute(ctx context.Context, cfg *config.Config, opts Options) (*Snapshot, error) {
	images, err := selectImages(cfg, opts.Images)
	if err != nil {
		return nil, err
	}
	cache := opts.Cache
	if cache == nil {
		cache = NewHashCache()
	}
	targets, groups, err := planTargets(ctx, images, opts.Platforms)
	if err != nil {
		return nil, err
	}
	if err := loadGroups(ctx, groups, opts.onLoad); err != nil {
		return nil, err
	}
	if err := baseDigests(ctx, targets, opts.BaseDigest); err != nil {
		return nil, err
	}
	a := newAssembler(cfg.Root, cache)
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
			inputs, f, err := a.targetInputs(t)
			if err != nil {
				return fmt.Errorf("inputs of %s (%s): %w", t.img.Name, t.plat, err)
			}
			results[i] = PlatformRecord{Platform: t.plat, Inputs: inputs, Digest: InputsDigest(inputs)}
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
	return s, nil
}

func selectImages(cfg *config.Config, names []string) ([]config.Image, error) {
	if names == nil {
		return cfg.Images, nil
	}
	byName := make(map[string]config.Image, len(cfg.Images))
	for _, img := range cfg.Images {
		byName[img.Name] = img
	}
	var out []config.Image
	for _, n := range names {
		img, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("no image %q in %s", n, cfg.Path)
		}
		out = append(out, img)
	}
	return out, nil
}

// planTargets expands images to targets and groups them by build configuration.
func planTargets(ctx context.Context, images []config.Image, expand PlatformsFunc) ([]*target, []*group, error) {
	var targets []*target
	byKey := make(map[string]*group)
	var groups []*group
	for _, img := range images {
		plats := img.Platforms
		if len(plats) == 1 && plats[0] == "all" {
			if expand == nil {
				return nil, nil, fmt.Errorf("image %s: platforms \"all\" needs the base image's platforms", img.Name)
			}
			var err error
			if plats, err = expand(ctx, img); err != nil {
				return nil, nil, fmt.Errorf("image %s: expanding platforms: %w", img.Name, err)
			}
		}
		if len(plats) == 0 {
			return nil, nil, fmt.Errorf("image %s: no platforms", img.Name)
		}
		for _, ps := range plats {
			p, err := parsePlatform(ps)
			if err != nil {
				return nil, nil, fmt.Errorf("image %s: %w", img.Name, err)
			}
			b := buildConfigOf(img, p)
			g := byKey[b.key()]
			if g == nil {
				g = &group{cfg: b}
				byKey[b.key()] = g
				groups = append(groups, g)
			}
			if !contains(g.mains, img.Main) {
				g.mains = append(g.mains, img.Main)
			}
			targets = append(targets, &target{img: img, plat: ps, group: g})
		}
	}
	return targets, groups, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// loadGroups loads every group, two at a time.
func loadGroups(ctx context.Context, groups []*group, onLoad func(buildConfig, []string)) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(2)
	for _, g := range groups {
		eg.Go(func() error {
			if onLoad != nil {
				onLoad(g.cfg, g.mains)
			}
			l, err := load(ctx, g.cfg, g.mains)
			g.l = l
			return err
		})
	}
	return eg.Wait()
}

// baseDigests looks up the base digest of every distinct (base, platform)
// in parallel.
func baseDigests(ctx context.Context, targets []*target, f BaseDigestFunc) error {
	if f == nil {
		return nil
	}
	type key struct{ base, plat string }
	byKey := make(map[key][]*target)
	var keys []key
	for _, t := range targets {
		k := key{t.img.BaseRef, t.plat}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], t)
	}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for _, k := range keys {
		eg.Go(func() error {
			first := byKey[k][0]
			d, err := f(ctx, first.img, first.plat)
			if err != nil {
				return fmt.Errorf("base image of %s (%s): %w", first.img.Name, first.plat, err)
			}
			for _, t := range byKey[k] {
				t.base = d
			}
			return nil
		})
	}
	return eg.Wait()
}

// rel returns path relative to root, with forward slashes.
func rel(root, path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(r)
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
