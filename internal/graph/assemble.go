package graph

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/gobake/gobake/internal/config"
)

// pkgKind says how a package is identified in the inputs.
type pkgKind int

const (
	kindStd    pkgKind = iota // standard library: covered by the toolchain version
	kindModule                // module cache: covered by module path, version and go.sum hash
	kindLocal                 // files on disk: main module, workspace, local replace or vendor
)

// pkgInputs is what one package contributes to the inputs of every image
// whose closure holds it.
type pkgInputs struct {
	kind    pkgKind
	dir     string   // directory relative to the root (local packages)
	module  string   // module path (module and local packages)
	files   []string // absolute files to hash (local packages)
	vendor  string   // absolute vendor/modules.txt of a vendored package; "" otherwise
	feeds   []string // root-relative files that feed the package, for affected
	entries []entry  // input key → value, sorted by key, keys distinct
	sum     [32]byte // digest of entries (entriesSum)
}

// entry is one input: its key and value (see Record).
type entry struct{ k, v string }

// assembler turns loaded packages and file hashes into inputs.
type assembler struct {
	root    string
	cache   *RunHashes
	digests *digestCache
	hashes  map[string]string            // absolute path → SHA-256
	sums    map[string]map[string]string // go.sum path → "path version" → hash
	vendor  map[string]*vendorModules    // vendor/modules.txt path → its modules
	data    map[string]map[string]string // data dir → data: entries
	feeds   map[string][]string          // data dir → root-relative files
	ref     *RefFiles                    // when set, files are read as they are at its commit
}

// readFile reads a file, as it is at a.ref's commit when set.
func (a *assembler) readFile(path string) ([]byte, error) {
	if a.ref != nil {
		return a.ref.read(path)
	}
	return os.ReadFile(path)
}

func newAssembler(root string, cache *RunHashes, digests *digestCache) *assembler {
	return &assembler{
		root:    root,
		cache:   cache,
		digests: digests,
		sums:    make(map[string]map[string]string),
		vendor:  make(map[string]*vendorModules),
		data:    make(map[string]map[string]string),
		feeds:   make(map[string][]string),
		hashes:  make(map[string]string),
	}
}

// hashInputs classifies every package of every group and hashes, in
// parallel, every file that is an input.
func (a *assembler) hashInputs(ctx context.Context, groups []*group, images []config.Image) error {
	seen := make(map[string]bool)
	var paths []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	for _, g := range groups {
		var roots []*pkg
		for _, m := range g.mains {
			roots = append(roots, g.l.roots[m])
		}
		g.all = g.all[:0]
		visit(roots, func(p *pkg) { g.all = append(g.all, p) })
		// By import path, so that a closure listed in this order (see
		// closure) is the same from run to run.
		slices.SortFunc(g.all, func(p, q *pkg) int {
			if c := strings.Compare(p.PkgPath, q.PkgPath); c != 0 {
				return c
			}
			return strings.Compare(p.Dir, q.Dir)
		})
		g.in = make([]*pkgInputs, len(g.all))
		for i, p := range g.all {
			p.idx = i
			pi := a.classify(g.l.env, p)
			g.in[i] = pi
			for _, f := range pi.files {
				add(f)
			}
		}
		if g.l.env.Work != "" {
			add(g.l.env.Work)
		}
	}
	// Modes are not inputs: the data layer writes every entry with one
	// fixed mode, as ko does.
	files := make(map[string]bool)
	for _, img := range images {
		if img.Data == "" || a.data[img.Data] != nil {
			continue
		}
		a.data[img.Data] = map[string]string{}
		if a.ref != nil {
			ps, dirs, err := a.ref.dataFiles(img.Data)
			if err != nil {
				return fmt.Errorf("image %s: %w", img.Name, err)
			}
			for _, d := range dirs {
				a.data[img.Data]["data:"+d+"/"] = "dir"
			}
			for _, p := range ps {
				files[p] = true
				add(p)
				a.feeds[img.Data] = append(a.feeds[img.Data], rel(a.root, p))
			}
			continue
		}
		err := filepath.WalkDir(img.Data, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			r := rel(img.Data, p)
			if d.Type()&fs.ModeSymlink != 0 {
				// The layer keeps links as links: what it ships is the
				// target path, not the target's content.
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				a.data[img.Data]["data:"+r] = "link " + filepath.ToSlash(target)
				a.feeds[img.Data] = append(a.feeds[img.Data], rel(a.root, p))
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			switch {
			case fi.IsDir():
				if r != "." {
					a.data[img.Data]["data:"+r+"/"] = "dir"
				}
			case fi.Mode().IsRegular():
				files[p] = true
				add(p)
				a.feeds[img.Data] = append(a.feeds[img.Data], rel(a.root, p))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("image %s: reading data dir: %w", img.Name, err)
		}
	}
	hash := a.cache.Hash
	if a.ref != nil {
		hash = func(p string) (string, error) { return a.ref.hash(a.cache, p) }
	}
	hashes, err := hashAll(ctx, paths, hash)
	if err != nil {
		return err
	}
	a.hashes = hashes
	for _, img := range images {
		for p := range files {
			if under(p, img.Data) {
				a.data[img.Data]["data:"+rel(img.Data, p)] = hashes[p]
			}
		}
	}
	return nil
}

// classify says how p is identified and which of its files are inputs.
func (a *assembler) classify(env goEnv, p *pkg) *pkgInputs {
	switch {
	case under(p.Dir, filepath.Join(env.Root, "src")) || (p.Module == nil && p.Dir == ""):
		return &pkgInputs{kind: kindStd}
	case env.ModCache != "" && under(p.Dir, env.ModCache):
		return &pkgInputs{kind: kindModule, module: p.Module.Path}
	}
	pi := &pkgInputs{kind: kindLocal, dir: rel(a.root, p.Dir)}
	if p.Module != nil {
		pi.module = p.Module.Path
	}
	n := len(p.GoFiles) + len(p.OtherFiles) + len(p.EmbedFiles)
	pi.files = make([]string, 0, n)
	var seen map[string]bool // only for many files: a few are compared in place
	if n > 16 {
		seen = make(map[string]bool, n)
	}
	for _, list := range [][]string{p.GoFiles, p.OtherFiles, p.EmbedFiles} {
		for _, f := range list {
			if seen != nil && !seen[f] || seen == nil && !slices.Contains(pi.files, f) {
				if seen != nil {
					seen[f] = true
				}
				pi.files = append(pi.files, f)
			}
		}
	}
	sep := string(filepath.Separator)
	if i := strings.LastIndex(p.Dir, sep+"vendor"+sep); i >= 0 {
		pi.vendor = filepath.Join(p.Dir[:i], "vendor", "modules.txt")
	}
	return pi
}

// packageInputs fills in the entries of every package of g, and their
// digests.
func (a *assembler) packageInputs(g *group) error {
	sums, err := a.groupSums(g)
	if err != nil {
		return err
	}
	gomods := make(map[string]*gomodInputs)
	var buf []byte
	for i, p := range g.all {
		pi := g.in[i]
		var es entries
		switch pi.kind {
		case kindStd:
			es.set("pkg:"+p.PkgPath, "std")
		case kindModule:
			es.set("pkg:"+p.PkgPath, "mod "+pi.module)
			es.set("mod:"+pi.module, moduleValue(p.Module, sums))
		case kindLocal:
			files := append([]string(nil), pi.files...)
			sort.Strings(files)
			buf = buf[:0]
			pi.feeds = make([]string, 0, len(files)+3)
			for _, f := range files {
				r, h := rel(a.root, f), a.hashes[f]
				// The bytes fmt.Fprintf(h, "%s\x00%s\n", r, hash) wrote:
				// the package's value is the same as before.
				buf = append(append(append(append(buf, r...), 0), h...), '\n')
				es.set("file:"+r, h)
				pi.feeds = append(pi.feeds, r)
			}
			sum := sha256.Sum256(buf)
			es.set("pkg:"+p.PkgPath, "local "+pi.dir+" "+hex.EncodeToString(sum[:]))
			if pi.vendor != "" {
				if err := a.vendorInputs(p.PkgPath, pi, &es); err != nil {
					return err
				}
			}
			if err := a.moduleInputs(p.Module, pi, &es, gomods); err != nil {
				return err
			}
		}
		pi.entries = es.sorted()
		pi.sum, buf = entriesSum(pi.entries, buf)
	}
	return nil
}

// entries collects inputs; a key set again replaces its value, as in a map.
type entries []entry

func (es *entries) set(k, v string) { *es = append(*es, entry{k, v}) }

// sorted returns the entries by key, each key once with the value it was
// last set to.
func (es entries) sorted() []entry {
	slices.SortStableFunc(es, func(a, b entry) int { return strings.Compare(a.k, b.k) })
	out := es[:0]
	for i, e := range es {
		if i+1 < len(es) && es[i+1].k == e.k {
			continue // a later value of the same key wins
		}
		out = append(out, e)
	}
	return out
}

// entriesSum is the digest of a package's sorted entries, each string
// length-prefixed so that two different lists never encode alike. buf is
// scratch space, returned for the next call.
func entriesSum(es []entry, buf []byte) ([32]byte, []byte) {
	buf = buf[:0]
	for _, e := range es {
		buf = appendString(appendString(buf, e.k), e.v)
	}
	return sha256.Sum256(buf), buf
}

// gomodInputs is what a go.mod gives every local package of its module.
type gomodInputs struct {
	lines []entry  // its go, toolchain and godebug lines
	feeds []string // root-relative go.mod and go.sum
}

// moduleInputs adds the go.mod lines of a local package's module, and the
// replacement of a locally replaced module.
func (a *assembler) moduleInputs(m *listModule, pi *pkgInputs, es *entries, gomods map[string]*gomodInputs) error {
	if m == nil {
		return nil
	}
	gomod := m.GoMod
	if m.Replace != nil {
		es.set("mod:"+m.Path, "=> "+rel(a.root, m.Replace.Dir))
		if m.Replace.GoMod != "" {
			gomod = m.Replace.GoMod
		}
	}
	if gomod == "" {
		return nil
	}
	gi, ok := gomods[gomod]
	if !ok {
		lines, err := readGoModLines(a.root, gomod, a.readFile)
		if err != nil {
			return err
		}
		gi = &gomodInputs{}
		for _, k := range sortedKeys(lines) {
			gi.lines = append(gi.lines, entry{k, lines[k]})
		}
		r := rel(a.root, gomod)
		gi.feeds = []string{r, strings.TrimSuffix(r, ".mod") + ".sum"}
		gomods[gomod] = gi
	}
	*es = append(*es, gi.lines...)
	pi.feeds = append(pi.feeds, gi.feeds...)
	return nil
}

// readGoModLines returns the go, toolchain and godebug lines of a go.mod.
func readGoModLines(root, path string, read func(string) ([]byte, error)) (map[string]string, error) {
	b, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	// ParseLax drops the toolchain and godebug lines (it keeps only what
	// go reads of a dependency's go.mod), so parse strictly, as go does a
	// main module's go.mod. A replacement's go.mod that only the lax parser
	// accepts has no toolchain or godebug lines go would use.
	f, err := modfile.Parse(path, b, nil)
	if err != nil {
		if f, err = modfile.ParseLax(path, b, nil); err != nil {
			return nil, fmt.Errorf("parsing %s: %w", path, err)
		}
	}
	r := "gomod:" + rel(root, path) + ":"
	out := map[string]string{}
	if f.Go != nil {
		out[r+"go"] = f.Go.Version
	}
	if f.Toolchain != nil {
		out[r+"toolchain"] = f.Toolchain.Name
	}
	var debug []string
	for _, d := range f.Godebug {
		debug = append(debug, d.Key+"="+d.Value)
	}
	if len(debug) > 0 {
		out[r+"godebug"] = strings.Join(debug, ",")
	}
	return out, nil
}

// moduleValue is "VERSION [=> PATH VERSION] SUM" of a module-cache module.
func moduleValue(m *listModule, sums map[string]string) string {
	eff := m
	v := m.Version
	if m.Replace != nil {
		eff = m.Replace
		v += " => " + eff.Path + " " + eff.Version
	}
	if s := sums[eff.Path+" "+eff.Version]; s != "" {
		v += " " + s
	}
	return v
}

// groupSums merges the go.sum files of g's main modules and go.work.sum.
func (a *assembler) groupSums(g *group) (map[string]string, error) {
	files := make(map[string]bool)
	for _, p := range g.all {
		if p.Module != nil && p.Module.Main && p.Module.GoMod != "" {
			files[strings.TrimSuffix(p.Module.GoMod, ".mod")+".sum"] = true
		}
	}
	if g.l.env.Work != "" {
		files[g.l.env.Work+".sum"] = true
	}
	out := make(map[string]string)
	for _, f := range sortedKeys(files) {
		s, ok := a.sums[f]
		if !ok {
			var err error
			if s, err = readGoSum(f, a.readFile); err != nil {
				return nil, err
			}
			a.sums[f] = s
		}
		for k, v := range s {
			out[k] = v
		}
	}
	return out, nil
}

// readGoSum reads the module (not go.mod) hashes of a go.sum file, read
// with read. A missing file has no hashes.
func readGoSum(path string, read func(string) ([]byte, error)) (map[string]string, error) {
	out := make(map[string]string)
	b, err := read(path)
	if errors.Is(err, fs.ErrNotExist) && !errors.Is(err, ErrNotShared) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || strings.HasSuffix(fields[1], "/go.mod") {
			continue
		}
		out[fields[0]+" "+fields[1]] = fields[2]
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return out, nil
}

// targetInputs collects the inputs of one image on one platform and
// their digest. The feed, which only affected and explanations need, is
// built on first use.
func (a *assembler) targetInputs(t *target) (map[string]string, string, *feed, error) {
	g := t.group
	root := g.l.roots[t.img.Main]
	closure, n := g.closure(root)
	own, work, err := a.imageEntries(t)
	if err != nil {
		return nil, "", nil, err
	}
	// The packages' entries in closure order, then the image's own: the
	// fingerprint covers exactly what the map is made of.
	inputs := make(map[string]string, n+len(own))
	for _, p := range closure {
		for _, e := range g.in[p.idx].entries {
			inputs[e.k] = e.v
		}
	}
	for _, e := range own {
		inputs[e.k] = e.v
	}
	fp := fingerprint(g, closure, own)
	digest, ok := a.digests.get(fp)
	if !ok {
		digest = InputsDigest(inputs)
		a.digests.put(fp, digest)
	}
	img := t.img
	data := a.feeds[img.Data]
	f := &feed{build: func(f *feed) {
		f.files = map[string]bool{}
		f.pkgs = make(map[string]string, len(closure))
		for _, p := range closure {
			pi := g.in[p.idx]
			f.pkgs[p.PkgPath] = pi.dir
			for _, r := range pi.feeds {
				f.files[r] = true
			}
		}
		f.via = via(g, closure)
		if work != "" {
			f.files[work] = true
		}
		for _, r := range data {
			f.files[r] = true
		}
		if img.Data != "" {
			f.dataDir = rel(a.root, img.Data)
		}
	}}
	return inputs, digest, f, nil
}

// imageEntries returns the inputs of t that are its own rather than its
// packages': configuration, toolchain, base, data. work is the
// root-relative go.work, "" when none.
func (a *assembler) imageEntries(t *target) (own []entry, work string, err error) {
	g := t.group
	var es entries
	es.set("main", g.l.roots[t.img.Main].PkgPath)
	es.set("toolchain", g.l.env.Version)
	for k, v := range g.l.env.Codegen {
		es.set("goenv:"+k, codegenInput(k, v))
	}
	if w := g.l.env.Work; w != "" {
		work = rel(a.root, w)
		es.set("file:"+work, a.hashes[w])
	}
	img := t.img
	for _, c := range []struct {
		k string
		v any
	}{
		{"env", envInputs(img.Env)}, {"flags", img.Flags}, {"ldflags", img.Ldflags},
		{"labels", img.Labels}, {"annotations", img.Annotations},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			return nil, "", fmt.Errorf("encoding %s: %w", c.k, err)
		}
		s := string(b)
		if s == "null" || s == "{}" {
			s = "[]"
		}
		es.set("cfg:"+c.k, s)
	}
	es.set("cfg:user", img.User)
	if img.Compression != "" && img.Compression != config.CompressionGzip {
		es.set("cfg:compression", img.Compression) // gzip, the default, leaves the inputs as they were
	}
	es.set("cfg:binary", img.Binary)
	if t.base != "" {
		es.set("base", t.base)
	}
	if t.layout != "" {
		es.set("layout", t.layout)
	}
	for k, v := range a.data[img.Data] {
		es.set(k, v)
	}
	return es.sorted(), work, nil
}

// closure returns the packages root imports, directly or not, and root,
// in the order of g.all, and how many entries they have in all.
func (g *group) closure(root *pkg) ([]*pkg, int) {
	seen := make([]uint64, (len(g.all)+63)/64)
	mark := func(p *pkg) bool {
		w, b := p.idx/64, uint64(1)<<(p.idx%64)
		if seen[w]&b != 0 {
			return false
		}
		seen[w] |= b
		return true
	}
	mark(root)
	stack := []*pkg{root}
	count, n := 0, 0
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		count++
		n += len(g.in[p.idx].entries)
		for _, imp := range p.Imports {
			if mark(imp.Pkg) {
				stack = append(stack, imp.Pkg)
			}
		}
	}
	out := make([]*pkg, 0, count)
	for w, word := range seen {
		for word != 0 {
			out = append(out, g.all[w*64+bits.TrailingZeros64(word)])
			word &= word - 1
		}
	}
	return out, n
}

// via returns, for each third-party module of a closure, the directory of
// the first local package (by directory) that brings it in.
func via(g *group, closure []*pkg) map[string]string {
	var locals []*pkg
	for _, p := range closure {
		if g.in[p.idx].kind == kindLocal {
			locals = append(locals, p)
		}
	}
	sort.Slice(locals, func(i, j int) bool { return g.in[locals[i].idx].dir < g.in[locals[j].idx].dir })
	out := make(map[string]string)
	seen := make(map[*pkg]bool)
	for _, l := range locals {
		dir := g.in[l.idx].dir
		var walk func(p *pkg)
		walk = func(p *pkg) {
			for _, imp := range p.Imports {
				q := imp.Pkg
				if seen[q] || g.in[q.idx].kind != kindModule {
					continue
				}
				seen[q] = true
				if _, ok := out[g.in[q.idx].module]; !ok {
					out[g.in[q.idx].module] = dir
				}
				walk(q)
			}
		}
		walk(l)
	}
	return out
}

// vendorInputs adds what vendor/modules.txt says of a vendored package:
// the block of its own module (the "# path version [=> replacement]" line
// and its "## explicit; go X.Y" lines: the go line sets the language
// version the package compiles with) and the lines outside any module
// (wildcard replacements, "## workspace"). The package lists of other
// modules, and other modules' versions, do not change its build, so a bump
// of a module an image does not link leaves the image unchanged. A package
// the file does not list gets the whole file, as before.
func (a *assembler) vendorInputs(pkgPath string, pi *pkgInputs, es *entries) error {
	vm, ok := a.vendor[pi.vendor]
	if !ok {
		var err error
		if vm, err = readVendorModules(pi.vendor, a.readFile); err != nil {
			return err
		}
		a.vendor[pi.vendor] = vm
	}
	r := rel(a.root, pi.vendor)
	pi.feeds = append(pi.feeds, r)
	mod, ok := vm.pkgModule[pkgPath]
	if !ok {
		es.set("file:"+r, vm.sum)
		return nil
	}
	es.set("vendor:"+r+":"+mod, vm.blocks[mod])
	if vm.global != "" {
		es.set("vendor:"+r, vm.global)
	}
	return nil
}

// vendorModules is what a vendor/modules.txt says, per module.
type vendorModules struct {
	blocks    map[string]string // module path → its "# " line and "## " lines, joined by newlines
	pkgModule map[string]string // package path → module path
	global    string            // lines outside any module's block, joined by newlines
	sum       string            // SHA-256 of the whole file
}

// readVendorModules parses a vendor/modules.txt.
func readVendorModules(path string, read func(string) ([]byte, error)) (*vendorModules, error) {
	b, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	vm := &vendorModules{blocks: map[string]string{}, pkgModule: map[string]string{}, sum: hex.EncodeToString(sum[:])}
	var global []string
	cur := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			f := strings.Fields(line[2:])
			if len(f) >= 2 && f[1] != "=>" { // "# path version [=> replacement]"
				cur = f[0]
				vm.blocks[cur] = line
			} else { // "# path => replacement": a wildcard replacement
				cur = ""
				global = append(global, line)
			}
		case strings.HasPrefix(line, "##"):
			if cur != "" {
				vm.blocks[cur] += "\n" + line
			} else {
				global = append(global, line)
			}
		case cur != "":
			vm.pkgModule[line] = cur
		default:
			global = append(global, line)
		}
	}
	vm.global = strings.Join(global, "\n")
	return vm, nil
}
