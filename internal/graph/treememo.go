package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/dotdir"
)

// treeMemoMagic starts a tree memo file; a new format needs a new one.
const treeMemoMagic = "gobake tree records v1\n"

// treeMemoName is the tree memo's file in the graph cache directory.
const treeMemoName = "tree.records"

// treeMemo keeps the records Compute made of an immutable tree (the files
// of a git commit, see Options.Tree), so that the same tree, targets and
// Go environment give them again without a look at a file. It holds the
// last tree's records only: a plan compares with one ref at a time.
type treeMemo struct {
	path string
	key  string
}

// openTreeMemo returns the memo of the records of tree (with root its
// directory) for targets ts, grouped as groups, in the graph cache dir:
// its key covers the tree, the targets as resolved, every group's go env,
// the package driver and gobake's own executable, as the records depend
// on all of them and on nothing else once the tree is fixed (Compute
// stores none whose packages or data are outside the tree, the module
// cache and GOROOT). nil when go env fails: Compute then reports it.
func openTreeMemo(ctx context.Context, dir, root, tree string, ts []Target, groups []*group) *treeMemo {
	envs := make([]map[string]string, len(groups))
	eg, ctx := errgroup.WithContext(ctx)
	for i, g := range groups {
		eg.Go(func() error {
			env, err := readGoEnv(ctx, g.cfg)
			envs[i] = env.All
			return err
		})
	}
	if err := eg.Wait(); err != nil {
		return nil
	}
	for i, g := range groups {
		if !cacheable(goEnv{All: envs[i]}, g.cfg) {
			return nil
		}
	}
	targets, err := json.Marshal(ts)
	if err != nil {
		return nil
	}
	environ, err := json.Marshal(envs) // maps marshal with sorted keys
	if err != nil {
		return nil
	}
	h := sha256.New()
	for _, part := range []string{
		treeMemoMagic, fmt.Sprint(RecordSchema, graphCacheVersion), fingerprintPrefix, selfID(),
		root, tree, os.Getenv("GOPACKAGESDRIVER"), string(targets), string(environ),
	} {
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	return &treeMemo{path: filepath.Join(dir, treeMemoName), key: hex.EncodeToString(h.Sum(nil))}
}

// selfID identifies the running gobake executable, whose code makes the
// records: its path, size and times. A rebuilt gobake misses the memo
// rather than reuse records an older one made.
func selfID() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown " + fmt.Sprint(os.Getpid()) // never matches another run
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return "unknown " + fmt.Sprint(os.Getpid())
	}
	return fmt.Sprintf("%s %+v", exe, keyOf(fi))
}

// records returns the memo's records when it holds those of its key, else
// nil.
func (m *treeMemo) records() map[string]*Record {
	if m == nil {
		return nil
	}
	b, err := os.ReadFile(m.path)
	if err != nil {
		return nil
	}
	d, err := newDecoder(b, treeMemoMagic)
	if err != nil || d.str() != m.key {
		return nil
	}
	n := d.count(3)
	recs := make(map[string]*Record, n)
	for ; n > 0 && !d.bad; n-- {
		r := &Record{Schema: int(d.uint()), Image: d.str(), Digest: d.str()}
		r.Platforms = makeSlice[PlatformRecord](d.count(3))
		for i := range r.Platforms {
			pr := &r.Platforms[i]
			pr.Platform, pr.Digest = d.str(), d.str()
			k := d.count(2)
			pr.Inputs = make(map[string]string, k)
			for range k {
				key := d.str()
				pr.Inputs[key] = d.str()
			}
		}
		recs[r.Image] = r
	}
	if d.bad || d.off != len(d.b) {
		return nil
	}
	return recs
}

// store writes s's records as the memo's, when every group's packages
// and every image's data are in the tree, the module cache or GOROOT.
// Errors are ignored: the memo is only an accelerator.
func (m *treeMemo) store(root string, s *Snapshot, groups []*group, ts []Target) {
	if m == nil {
		return
	}
	for _, t := range ts {
		if t.Image.Data != "" && !under(t.Image.Data, root) {
			return
		}
	}
	for _, g := range groups {
		env := g.l.env
		if env.Work != "" && !under(env.Work, root) {
			return
		}
		inside := func(dir string) bool {
			return dir == "" || under(dir, root) || under(dir, filepath.Join(env.Root, "src")) || env.ModCache != "" && under(dir, env.ModCache)
		}
		for _, p := range g.all {
			if !inside(p.Dir) {
				return
			}
			for mod := p.Module; mod != nil; mod = mod.Replace {
				if !inside(mod.Dir) {
					return
				}
			}
		}
	}
	e := &graphEncoder{index: map[string]uint64{}}
	e.str(m.key)
	e.uint(uint64(len(s.Records)))
	for _, r := range s.Records {
		e.uint(uint64(r.Schema))
		e.str(r.Image)
		e.str(r.Digest)
		e.uint(uint64(len(r.Platforms)))
		for _, pr := range r.Platforms {
			e.str(pr.Platform)
			e.str(pr.Digest)
			e.uint(uint64(len(pr.Inputs)))
			for k, v := range pr.Inputs { // in any order: they are read into a map
				e.str(k)
				e.str(v)
			}
		}
	}
	body := e.finish(treeMemoMagic)
	dir := filepath.Dir(m.path)
	if dotdir.Prepare(dir) != nil || os.MkdirAll(dir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".records-*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return
	}
	if tmp.Close() != nil {
		return
	}
	_ = os.Rename(tmp.Name(), m.path)
}

// seenBefore reports whether the last memo asked for had m's key, and
// records m's as the last one. (A marker beside the memo; false without
// a memo.)
func (m *treeMemo) seenBefore() bool {
	if m == nil {
		return false
	}
	marker := m.path + ".last"
	b, _ := os.ReadFile(marker)
	if string(b) == m.key {
		return true
	}
	_ = os.WriteFile(marker, []byte(m.key), 0o644)
	return false
}

// memoSnapshot is the snapshot of records read from a tree memo: records
// only (what a comparison needs), without what affected and Via read.
func memoSnapshot(root string, recs map[string]*Record) *Snapshot {
	return &Snapshot{Root: root, Records: recs, feeds: map[string]map[string]*feed{}}
}
