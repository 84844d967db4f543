package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gobake/gobake/internal/dotdir"
)

// graphCacheVersion is the format of a stored graph and of the load that
// made it: bump it whenever loadMode, pkg, the fingerprints or the
// encoding (graphcodec.go) change.
const graphCacheVersion = 2

// graphStore keeps the package graph of each build configuration under
// one directory (.gobake/cache/graph), one file per configuration and
// mains, so that a plan whose graph cannot have changed skips go list.
// A file is written to a temporary name and renamed into place, so two
// processes never see half a file; the last writer wins.
type graphStore struct {
	dir   string
	cache *RunHashes    // hashes go.mod, go.sum and sources by content
	racy  time.Duration // files touched this close to a load's start are not trusted
}

// storedGraph is one loaded graph and what it depends on.
type storedGraph struct {
	Version int
	Key     string            // what selects the graph besides files: see storeKey
	Env     map[string]string // go env as it was (every variable of goEnvVars)
	Modules []storedModule
	Pkgs    []storedPkg
	Roots   []storedRoot
	Files   []storedFile // go.mod, go.sum, go.work, vendor/modules.txt…: content hash, "" when absent
	Dirs    []storedDir  // package directories, their parents up to the module root, embed trees
}

type storedModule struct {
	Path, Version string
	Replace       int // index in Modules, -1 for none
	Main          bool
	Dir, GoMod    string
}

type storedPkg struct {
	PkgPath, Name, Dir              string
	Module                          int      // index in Modules, -1 for none
	GoFiles, OtherFiles, EmbedFiles []string // relative to Dir when inside it
	EmbedPatterns                   []string
	Imports                         []storedImport
}

type storedImport struct {
	Path string
	Pkg  int
}

type storedRoot struct {
	Main string
	Pkg  int
}

type storedFile struct {
	Path, Hash string
}

// storedDir is a directory's entries (directories end in "/") and the
// stat key they were read with, and for a package directory its sources.
// Only the entries go list looks at are kept (see listedName), but for a
// directory an embed pattern may match in (All).
type storedDir struct {
	Path    string
	Key     fileKey
	All     bool
	Names   []string
	Sources []storedSource // the files whose start go list reads: build constraints, imports, embeds
}

// storedSource is a source file's content hash and the fingerprint of
// what go list reads of it (see sourceHeader).
type storedSource struct {
	Name, Hash, Header string
}

// storeKey identifies a build configuration's graph: its directory,
// environment and flags, its mains, and the package driver, if any.
func storeKey(b buildConfig, mains []string) string {
	return fmt.Sprintf("v%d\x00%s\x00%s\x00%s", graphCacheVersion, b.key(), strings.Join(mains, "\x01"), os.Getenv("GOPACKAGESDRIVER"))
}

func (s *graphStore) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(s.dir, hex.EncodeToString(sum[:16])+".graph")
}

// cacheable reports whether a configuration's graph may be stored: an
// overlay or another go.mod (-modfile) reads files the fingerprints do not
// cover.
func cacheable(env goEnv, b buildConfig) bool {
	for _, f := range append(strings.Fields(env.All["GOFLAGS"]), b.Flags...) {
		name := strings.TrimLeft(f, "-")
		if strings.HasPrefix(name, "overlay") || strings.HasPrefix(name, "modfile") {
			return false
		}
	}
	return true
}

// find returns the stored graph of b and mains when nothing it depends on
// changed; nil otherwise. go env runs while the files are checked.
func (s *graphStore) find(ctx context.Context, b buildConfig, mains []string) *loaded {
	dirty := false
	sg, env, err := s.stored(ctx, b, mains, func(sg *storedGraph) error {
		var ok bool
		if dirty, ok = s.validate(ctx, sg); !ok {
			return ErrNotShared // any error: the graph is not used
		}
		return nil
	})
	if err != nil {
		return nil
	}
	if dirty {
		s.write(sg.Key, sg) // only keys and hashes were refreshed: best effort
	}
	return sg.loaded(b, env)
}

// stored returns the stored graph of b and mains and the go environment,
// when the graph is there, check passes it, and the environment is the
// one it was stored with; go env runs while check does. Otherwise an
// error: one wrapping ErrNotShared, check's own, or go env's.
func (s *graphStore) stored(ctx context.Context, b buildConfig, mains []string, check func(*storedGraph) error) (*storedGraph, goEnv, error) {
	key := storeKey(b, mains)
	var (
		env    goEnv
		envErr error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		env, envErr = readGoEnv(ctx, b)
	}()
	sg := readStoredGraph(s.path(key))
	var err error
	if sg == nil || sg.Version != graphCacheVersion || sg.Key != key {
		err = fmt.Errorf("%w: no stored graph of %s", ErrNotShared, b.Dir)
	} else {
		err = check(sg)
	}
	<-done
	switch {
	case err != nil:
		return nil, env, err
	case envErr != nil:
		return nil, env, envErr
	case !cacheable(env, b) || !sameMap(sg.Env, env.All):
		return nil, env, fmt.Errorf("%w: the go environment of %s changed", ErrNotShared, b.Dir)
	}
	return sg, env, nil
}

func readStoredGraph(path string) *storedGraph {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	sg, err := decodeGraph(b)
	if err != nil {
		return nil
	}
	return sg
}

// write stores sg atomically. Errors are ignored: the store is only an
// accelerator, and the next plan loads in full.
func (s *graphStore) write(key string, sg *storedGraph) {
	_ = s.writeErr(key, sg)
}

func (s *graphStore) writeErr(key string, sg *storedGraph) error {
	if err := dotdir.Prepare(s.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".graph-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(encodeGraph(sg)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if old, _ := filepath.Glob(filepath.Join(s.dir, "*.gob")); len(old) > 0 {
		for _, f := range old { // graphs of graphCacheVersion 1, in gob
			os.Remove(f)
		}
	}
	return os.Rename(tmp.Name(), s.path(key))
}

// validate checks every fingerprint of sg against the files as they are,
// in parallel. ok is false as soon as one differs; dirty says that some
// stat key or content hash was refreshed (the graph still holds).
func (s *graphStore) validate(ctx context.Context, sg *storedGraph) (dirty, ok bool) {
	var (
		mu     sync.Mutex
		failed bool
	)
	fail := func() {
		mu.Lock()
		failed = true
		mu.Unlock()
	}
	stop := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return failed || ctx.Err() != nil
	}
	// Refreshed keys and hashes are written back only when there are
	// many: checking a few edited files again costs less than rewriting
	// the whole graph on every run.
	const rewriteAfter = 64
	refreshed := 0
	markDirty := func() {
		mu.Lock()
		refreshed++
		dirty = refreshed >= rewriteAfter
		mu.Unlock()
	}
	now := time.Now()
	// One job per file, then one per directory and its sources.
	runJobs(len(sg.Files)+len(sg.Dirs), stop, func(i int) {
		if i < len(sg.Files) {
			if f := &sg.Files[i]; s.hashOrAbsent(f.Path) != f.Hash {
				fail()
			}
			return
		}
		d := &sg.Dirs[i-len(sg.Files)]
		fi, err := os.Stat(d.Path)
		if err != nil || !fi.IsDir() {
			fail()
			return
		}
		if key := keyOf(fi); d.Key == (fileKey{}) || key != d.Key {
			names, err := dirNames(d.Path, d.All)
			if err != nil || !equalStrings(names, d.Names) {
				fail()
				return
			}
			if !touchedSince(key, now.Add(-s.racy)) {
				d.Key = key
				markDirty()
			}
		}
		for j := range d.Sources {
			src := &d.Sources[j]
			path := sourcePath(d.Path, src.Name)
			h, err := s.cache.Hash(path)
			if err != nil {
				fail()
				return
			}
			if h == src.Hash {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil || sourceHeader(path, b) != src.Header {
				fail()
				return
			}
			src.Hash = contentHash(b)
			markDirty()
		}
	})
	return dirty, !failed && ctx.Err() == nil
}

// firstErr keeps the first error of the jobs runJobs runs, and tells
// them to stop once there is one or ctx is done.
type firstErr struct {
	ctx context.Context
	mu  sync.Mutex
	err error
}

// set records err unless an error is recorded already.
func (e *firstErr) set(err error) {
	e.mu.Lock()
	if e.err == nil {
		e.err = err
	}
	e.mu.Unlock()
}

// stop reports whether the jobs should stop: an error, or ctx done.
func (e *firstErr) stop() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err != nil || e.ctx.Err() != nil
}

// first is the error recorded first, or nil.
func (e *firstErr) first() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// sourcePath is the path of the source file name in the stored
// directory dir, as filepath.Join without cleaning: the hash cache's key.
func sourcePath(dir, name string) string {
	if strings.HasSuffix(dir, string(filepath.Separator)) {
		return dir + name
	}
	return dir + string(filepath.Separator) + name
}

// runJobs runs job(0) … job(n-1) on a few goroutines until they are done
// or stop says so.
func runJobs(n int, stop func() bool, job func(i int)) {
	const workers = 8
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for w := 0; w < n; w += chunk {
		wg.Go(func() {
			for i := w; i < min(w+chunk, n); i++ {
				if (i-w)%64 == 0 && stop() {
					return
				}
				job(i)
			}
		})
	}
	wg.Wait()
}

func (s *graphStore) hashOrAbsent(path string) string {
	h, err := s.cache.Hash(path)
	if err != nil {
		if _, serr := os.Lstat(path); os.IsNotExist(serr) {
			return ""
		}
		return "unreadable"
	}
	return h
}

// loaded rebuilds the graph of sg for b with env.
func (sg *storedGraph) loaded(b buildConfig, env goEnv) *loaded {
	mods := make([]*listModule, len(sg.Modules))
	for i, m := range sg.Modules {
		mods[i] = &listModule{Path: m.Path, Version: m.Version, Main: m.Main, Dir: m.Dir, GoMod: m.GoMod}
	}
	for i, m := range sg.Modules {
		if m.Replace >= 0 {
			mods[i].Replace = mods[m.Replace]
		}
	}
	pkgs := make([]*pkg, len(sg.Pkgs))
	for i, sp := range sg.Pkgs {
		p := &pkg{
			PkgPath: sp.PkgPath, Name: sp.Name, Dir: sp.Dir,
			GoFiles: absJoin(sp.Dir, sp.GoFiles), OtherFiles: absJoin(sp.Dir, sp.OtherFiles),
			EmbedFiles: absJoin(sp.Dir, sp.EmbedFiles), EmbedPatterns: sp.EmbedPatterns,
			Imports: make([]pkgImport, len(sp.Imports)),
		}
		if sp.Module >= 0 {
			p.Module = mods[sp.Module]
		}
		pkgs[i] = p
	}
	for i, sp := range sg.Pkgs {
		for j, imp := range sp.Imports {
			pkgs[i].Imports[j] = pkgImport{Path: imp.Path, Pkg: pkgs[imp.Pkg]}
		}
	}
	l := &loaded{cfg: b, env: env, roots: make(map[string]*pkg, len(sg.Roots))}
	for _, r := range sg.Roots {
		l.roots[r.Main] = pkgs[r.Pkg]
	}
	return l
}

// record fingerprints l, loaded by a go list that started at start, and
// stores it. Nothing is stored when a file it depends on was touched
// since shortly before start: go list may have seen another version.
func (s *graphStore) record(ctx context.Context, l *loaded, mains []string, start time.Time) error {
	if !cacheable(l.env, l.cfg) {
		return nil
	}
	key := storeKey(l.cfg, mains)
	sg := &storedGraph{Version: graphCacheVersion, Key: key, Env: l.env.All}
	index := map[*pkg]int{}
	// go list gives each package a module of its own: equal ones are
	// stored once.
	modIndex := map[*listModule]int{}
	byValue := map[storedModule]int{}
	var addMod func(m *listModule) int
	addMod = func(m *listModule) int {
		if m == nil {
			return -1
		}
		if i, ok := modIndex[m]; ok {
			return i
		}
		sm := storedModule{Path: m.Path, Version: m.Version, Main: m.Main, Dir: m.Dir, GoMod: m.GoMod, Replace: addMod(m.Replace)}
		i, ok := byValue[sm]
		if !ok {
			i = len(sg.Modules)
			sg.Modules = append(sg.Modules, sm)
			byValue[sm] = i
		}
		modIndex[m] = i
		return i
	}
	var roots []*pkg
	for _, m := range mains {
		roots = append(roots, l.roots[m])
	}
	var all []*pkg
	visit(roots, func(p *pkg) {
		index[p] = len(all)
		all = append(all, p)
	})
	for _, p := range all {
		sp := storedPkg{
			PkgPath: p.PkgPath, Name: p.Name, Dir: p.Dir, Module: addMod(p.Module),
			GoFiles: relJoin(p.Dir, p.GoFiles), OtherFiles: relJoin(p.Dir, p.OtherFiles),
			EmbedFiles: relJoin(p.Dir, p.EmbedFiles), EmbedPatterns: p.EmbedPatterns,
		}
		for _, imp := range p.Imports {
			sp.Imports = append(sp.Imports, storedImport{Path: imp.Path, Pkg: index[imp.Pkg]})
		}
		sg.Pkgs = append(sg.Pkgs, sp)
	}
	for _, m := range mains {
		sg.Roots = append(sg.Roots, storedRoot{Main: m, Pkg: index[l.roots[m]]})
	}
	if err := s.fingerprint(ctx, sg, l, all, start); err != nil {
		return err
	}
	return s.writeErr(key, sg)
}

// errRacy is a file touched while go list was reading: no graph is stored.
var errRacy = fmt.Errorf("a file changed during the load")

// fingerprint fills in the files, directories and sources sg depends on.
func (s *graphStore) fingerprint(ctx context.Context, sg *storedGraph, l *loaded, all []*pkg, start time.Time) error {
	local := func(p *pkg) bool {
		return p.Dir != "" && !under(p.Dir, filepath.Join(l.env.Root, "src")) && !(l.env.ModCache != "" && under(p.Dir, l.env.ModCache))
	}
	files := map[string]bool{}
	dirs := map[string]bool{}
	trees := map[string]bool{} // directories whose whole tree counts (embed patterns)
	whole := map[string]bool{} // directories whose every entry counts (embed patterns)
	addModFiles := func(m *listModule) {
		for ; m != nil; m = m.Replace {
			if m.GoMod != "" {
				files[m.GoMod] = true
				files[strings.TrimSuffix(m.GoMod, ".mod")+".sum"] = true
			}
			if m.Dir != "" {
				files[filepath.Join(m.Dir, "vendor", "modules.txt")] = true
			}
		}
	}
	if l.env.Work != "" {
		files[l.env.Work] = true
		files[l.env.Work+".sum"] = true
	}
	if gomod := l.env.All["GOMOD"]; gomod != "" && gomod != os.DevNull {
		files[gomod] = true
		files[strings.TrimSuffix(gomod, ".mod")+".sum"] = true
		files[filepath.Join(filepath.Dir(gomod), "vendor", "modules.txt")] = true
	}
	for _, p := range all {
		if !local(p) {
			continue
		}
		addModFiles(p.Module)
		// The package directory and its parents up to its module's root
		// (or the filesystem root): a go.mod appearing on the way moves
		// the package into another module.
		stop := ""
		for m := p.Module; m != nil; m = m.Replace {
			if m.Dir != "" && under(p.Dir, m.Dir) {
				stop = m.Dir
			}
		}
		if stop == "" && under(p.Dir, l.cfg.Dir) {
			stop = l.cfg.Dir
		}
		for d := filepath.Clean(p.Dir); ; d = filepath.Dir(d) {
			dirs[d] = true
			if d == stop || stop == "" || filepath.Dir(d) == d {
				break
			}
		}
		for _, pat := range p.EmbedPatterns {
			base, tree := embedWatch(p.Dir, pat)
			dirs[base] = true
			whole[base] = true
			if tree != "" {
				trees[tree] = true
			}
		}
	}
	for t := range trees {
		_ = filepath.WalkDir(t, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs[path] = true
				whole[path] = true
			}
			return nil
		})
	}
	pkgDirs := map[string]bool{}
	for _, p := range all {
		if local(p) {
			pkgDirs[filepath.Clean(p.Dir)] = true
		}
	}
	since := start.Add(-s.racy)
	errs := &firstErr{ctx: ctx}
	setErr := errs.set
	var jobs []func()
	for _, f := range sortedKeys(files) {
		i := len(sg.Files)
		sg.Files = append(sg.Files, storedFile{Path: f})
		jobs = append(jobs, func() {
			if fi, err := os.Stat(f); err == nil && touchedSince(keyOf(fi), since) {
				setErr(errRacy)
				return
			}
			sg.Files[i].Hash = s.hashOrAbsent(f)
		})
	}
	dirList := sortedKeys(dirs)
	sg.Dirs = make([]storedDir, len(dirList))
	for i, d := range dirList {
		jobs = append(jobs, func() {
			fi, err := os.Stat(d)
			if err != nil {
				setErr(err)
				return
			}
			key := keyOf(fi)
			if touchedSince(key, since) {
				setErr(errRacy)
				return
			}
			names, err := dirNames(d, whole[d])
			if err != nil {
				setErr(err)
				return
			}
			sg.Dirs[i] = storedDir{Path: d, Key: key, All: whole[d], Names: names}
			if !pkgDirs[d] {
				return
			}
			for _, n := range names {
				if !sourceName(n) {
					continue
				}
				path := filepath.Join(d, n)
				fi, err := os.Stat(path)
				if err != nil {
					setErr(err)
					return
				}
				if touchedSince(keyOf(fi), since) {
					setErr(errRacy)
					return
				}
				b, err := os.ReadFile(path)
				if err != nil {
					setErr(err)
					return
				}
				sg.Dirs[i].Sources = append(sg.Dirs[i].Sources, storedSource{Name: n, Hash: contentHash(b), Header: sourceHeader(path, b)})
			}
		})
	}
	runJobs(len(jobs), errs.stop, func(i int) { jobs[i]() })
	if err := errs.first(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

// embedWatch returns the directory whose entries decide what an embed
// pattern (absolute, or relative to dir) of a package in dir matches, and the directory whose whole tree
// does ("" when none): for a literal pattern, its parent and, when it is
// a directory, its tree; for a glob, the tree below its literal prefix.
func embedWatch(dir, pattern string) (base, tree string) {
	if filepath.IsAbs(pattern) { // go/packages joins patterns to the directory
		if r, err := filepath.Rel(dir, pattern); err == nil {
			pattern = filepath.ToSlash(r)
		}
	}
	pattern = strings.TrimPrefix(pattern, "all:")
	parts := strings.Split(pattern, "/")
	for i, part := range parts {
		if strings.ContainsAny(part, `*?[\`) {
			t := filepath.Join(append([]string{dir}, parts[:i]...)...)
			return t, t
		}
	}
	target := filepath.Join(dir, filepath.FromSlash(pattern))
	if fi, err := os.Stat(target); err == nil && fi.IsDir() {
		return filepath.Dir(target), target
	}
	return filepath.Dir(target), ""
}

// touchedSince reports whether a file or directory was modified or
// changed (mode, links) at or after t.
func touchedSince(k fileKey, t time.Time) bool {
	n := t.UnixNano()
	return k.MTime >= n || k.CTime >= n
}

// dirNames returns the sorted entries of a directory, directories with a
// trailing slash: all of them, or only those go list looks at.
func dirNames(dir string, all bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		if all || listedName(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// listedName reports whether an entry of a package directory, or of one
// of its parents, can change what go list finds: a source file, a .syso
// object, a go.mod (a module boundary) or a vendor directory. Other files
// (documentation, tests, data) and directories cannot; embedded trees are
// kept whole.
func listedName(n string) bool {
	return sourceName(n) || n == "go.mod" || n == "vendor/" ||
		strings.HasSuffix(n, ".syso") && !strings.HasPrefix(n, "_") && !strings.HasPrefix(n, ".")
}

// headerExts are the files go list reads the start of, for build
// constraints (and, for .go, the package clause, imports and embeds).
var headerExts = map[string]bool{
	".go": true, ".c": true, ".cc": true, ".cxx": true, ".cpp": true, ".m": true,
	".h": true, ".hh": true, ".hpp": true, ".hxx": true, ".f": true, ".F": true,
	".for": true, ".f90": true, ".s": true, ".S": true, ".sx": true, ".swig": true, ".swigcxx": true,
}

// sourceName reports whether a directory entry is a source go list reads:
// test files and files starting with _ or . never are.
func sourceName(name string) bool {
	if strings.HasSuffix(name, "/") || strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "_test.go") {
		return false
	}
	return headerExts[filepath.Ext(name)]
}

func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func relJoin(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		if r, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(r, "..") {
			out[i] = r
		} else {
			out[i] = f
		}
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
