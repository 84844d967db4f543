package planner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
)

// sinceDir returns where the files of the refs a repository's plans
// compare with are kept (see graph.RefTree), with their caches: in
// gobake's cache ($GOBAKE_CACHE, else gobake under the user cache
// directory), one directory per repository. Outside the repository, so
// that go finds no go.work of the repository above ref's files, and no
// walk of the repository finds them. "" when there is no cache.
func sinceDir(root string) string {
	base := os.Getenv("GOBAKE_CACHE")
	switch base {
	case "off":
		return ""
	case "":
		dir, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(dir, "gobake")
	}
	sum := sha256.Sum256([]byte(root))
	return filepath.Join(base, graph.RefTreesName, hex.EncodeToString(sum[:8]))
}

// sinceKeep and sinceMaxAge bound the trees kept under $GOBAKE_CACHE/since
// (one per work tree --since ran in, each a checkout of it): the sinceKeep
// last used, and none unused for longer than sinceMaxAge.
const (
	sinceKeep   = 4
	sinceMaxAge = 7 * 24 * time.Hour
)

// Since computes the records of the selected images as they were at the
// git ref. When the package graph stored for the working tree is ref's
// too (what go list reads of every file it depends on is the same at
// ref, and so is gobake.yaml), the records are computed with it from
// ref's files as git objects: the files that differ are read from git,
// the others hashed in the working tree, and nothing is checked out.
// Otherwise, from ref's files kept in gobake's cache (only the files that
// differ from the last commit compared with are written, none when it is
// the same; without a cache, in a temporary directory). As those files are
// a commit's, the records of the last commit compared with are kept too,
// and given again while the targets and the Go environment are the same.
// Images that did not exist then have no record.
// When gobake.yaml did not exist at ref, the current configuration is used
// on ref's files, and a note says so.
func Since(ctx context.Context, cfg *config.Config, ref string, opts Options, registry ...layering.RegistryOption) (recs map[string]*graph.Record, err error) {
	recs, _, err = since(ctx, cfg, ref, opts, registry...)
	return recs, err
}

// How since computed a ref's records.
const (
	sinceShared  = "shared graph" // the working tree's package graph, no checkout
	sinceChecked = "checkout"     // from a checkout of ref (or the records kept for it)
)

// since is Since, and says how the records were computed.
func since(ctx context.Context, cfg *config.Config, ref string, opts Options, registry ...layering.RegistryOption) (recs map[string]*graph.Record, how string, err error) {
	cache := sinceDir(cfg.Root)
	r, err := graph.ResolveRef(ctx, cfg.Root, ref)
	if err != nil {
		return nil, "", err
	}
	// The commit the kept tree holds has its records kept: asking for
	// them costs less than the shared graph.
	if cache == "" || !graph.RefTreeHolds(cache, r.Commit) {
		recs, err := sinceSharedGraph(ctx, cfg, r, opts, registry...)
		if err == nil {
			return recs, sinceShared, nil
		}
		// Whatever failed, the checkout answers (or says what is wrong).
	}
	recs, err = sinceCheckout(ctx, cfg, ref, r, cache, opts, registry...)
	return recs, sinceChecked, err
}

// sinceSharedGraph computes the records of the selected images at r's
// commit with the package graph stored for the working tree, reading the
// files that differ from git; it fails (with graph.ErrNotShared when that
// is why) unless that graph and gobake.yaml are r's.
func sinceSharedGraph(ctx context.Context, cfg *config.Config, r graph.Ref, opts Options, registry ...layering.RegistryOption) (map[string]*graph.Record, error) {
	// The records of the last commit computed so are kept beside the
	// working tree's graphs: read only when they are not (see
	// graph.Options.Ref), ref's files must have the same gobake.yaml.
	files := func(ctx context.Context) (*graph.RefFiles, error) {
		files, err := graph.ReadRefFiles(ctx, r)
		if err != nil {
			return nil, err
		}
		if !files.Unchanged(cfg.Path) {
			return nil, fmt.Errorf("%w: %s differs", graph.ErrNotShared, cfg.Path)
		}
		return files, nil
	}
	// The same gobake.yaml gives the same images: cfg's options choose
	// the registry only, which no record holds.
	present := selected(cfg, opts.Images)
	if len(present) == 0 {
		return map[string]*graph.Record{}, nil
	}
	bases := layering.NewBases(ctx, cfg.Root, registry...)
	// The working tree's caches, read only but for the records kept: the
	// hashes of its files (this run's plan's, when given: a file it looked
	// at is not looked at again) and its stored graphs.
	hashes := opts.Hashes
	if hashes == nil {
		hashes = NewHashes(cfg)
	}
	o := Options{Images: present, Platforms: opts.Platforms, tree: "shared graph " + r.Commit, ref: files, Hashes: hashes}
	p, err := plan(ctx, cfg, bases, o, hashes.Cache(), filepath.Join(cfg.Root, filepath.FromSlash(cachePath)))
	if err != nil {
		return nil, err
	}
	return p.Snapshot.Records, nil
}

// selected returns the names of the images of cfg among images (every
// image when empty).
func selected(cfg *config.Config, images []string) []string {
	var present []string
	for _, img := range cfg.Images {
		if len(images) == 0 || slices.Contains(images, img.Name) {
			present = append(present, img.Name)
		}
	}
	return present
}

// sinceCheckout computes the records at ref (resolved: r) from its files
// checked out in cache (see Since).
func sinceCheckout(ctx context.Context, cfg *config.Config, ref string, r graph.Ref, cache string, opts Options, registry ...layering.RegistryOption) (recs map[string]*graph.Record, err error) {
	kept := cache != ""
	if !kept {
		tmp, err := os.MkdirTemp("", "gobake-since-")
		if err != nil {
			return nil, fmt.Errorf("inputs at %s: %w", ref, err)
		}
		defer os.RemoveAll(tmp)
		cache = tmp
	}
	dir, release, err := graph.RefTree(ctx, r, cache)
	if err != nil {
		return nil, err
	}
	if kept {
		// The trees of other work trees, while this one's is in use
		// (locked: never pruned); best effort.
		pruned := make(chan struct{})
		go func() {
			defer close(pruned)
			_, _ = graph.PruneRefTrees(filepath.Dir(cache), sinceKeep, sinceMaxAge, time.Now())
		}()
		defer func() { <-pruned }()
	}
	pristine := true // the tree holds ref's files only
	defer func() {
		if rerr := release(pristine); err == nil && rerr != nil {
			err = rerr
		}
	}()
	relPath, err := filepath.Rel(cfg.Root, cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("inputs at %s: %w", ref, err)
	}
	path := filepath.Join(dir, relPath)
	tree := r.Commit // what the files of the plan are
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		// Without a configuration then, every image would be new: compare
		// what the current one makes of ref's files instead.
		if opts.Notes != nil {
			fmt.Fprintf(opts.Notes, "gobake: %s has no %s: comparing with the current configuration applied to %s's files\n", ref, filepath.ToSlash(relPath), ref)
		}
		b, err := os.ReadFile(cfg.Path)
		if err != nil {
			return nil, fmt.Errorf("inputs at %s: %w", ref, err)
		}
		pristine = false
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return nil, fmt.Errorf("inputs at %s: %w", ref, err)
		}
		defer func() {
			// Taken out again, the tree is ref's again; else the next
			// run checks it out again.
			pristine = os.Remove(path) == nil
		}()
		sum := sha256.Sum256(b)
		tree += " with " + filepath.ToSlash(relPath) + " " + hex.EncodeToString(sum[:])
	}
	old, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("gobake.yaml at %s: %w", ref, err)
	}
	present := selected(old, opts.Images)
	if len(present) == 0 {
		return map[string]*graph.Record{}, nil
	}
	bases := layering.NewBases(ctx, old.Root, registry...)
	hashes := graph.OpenHashCache(filepath.Join(cache, "filehash.v1"))
	p, err := plan(ctx, old, bases, Options{Images: present, Platforms: opts.Platforms, tree: tree}, hashes, cache)
	if err != nil {
		return nil, fmt.Errorf("inputs at %s: %w", ref, err)
	}
	if err := hashes.Save(); err != nil {
		return nil, fmt.Errorf("inputs at %s: saving the file hash cache: %w", ref, err)
	}
	return p.Snapshot.Records, nil
}
