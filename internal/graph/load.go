package graph

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/tools/go/packages"
)

// pkg is one package of a loaded graph: what the digests need of it and
// nothing that requires parsing or type checking.
type pkg struct {
	PkgPath       string
	Name          string // package clause: a root must be "main"
	Dir           string
	Module        *listModule
	GoFiles       []string    // absolute .go files compiled in (cgo ones included)
	OtherFiles    []string    // absolute C, assembly, syso… files compiled in
	EmbedFiles    []string    // absolute files embedded with //go:embed
	EmbedPatterns []string    // the //go:embed patterns, as written
	Imports       []pkgImport // sorted by import path as written
	Errors        []string
	idx           int // position in its group's packages (group.all), set by hashInputs
}

// pkgImport is one import of a package: the path as written and the
// package it resolves to.
type pkgImport struct {
	Path string
	Pkg  *pkg
}

// loaded is the package graph of one build configuration.
type loaded struct {
	cfg   buildConfig
	env   goEnv
	roots map[string]*pkg // by main as written
}

// load lists the packages of every main of a build configuration with
// one go list run, while go env runs beside it. Test files and test-only
// dependencies are not loaded. With a store, a stored graph that nothing
// changed since is used instead, and a graph listed is stored; onLoad
// (when set) is called before go list runs.
func load(ctx context.Context, b buildConfig, mains []string, store *graphStore, onLoad func(buildConfig, []string)) (*loaded, error) {
	if store != nil {
		if l := store.find(ctx, b, mains); l != nil {
			return l, nil
		}
	}
	if onLoad != nil {
		onLoad(b, mains)
	}
	start := time.Now()
	l, err := list(ctx, b, mains)
	if err != nil {
		return nil, err
	}
	if store != nil {
		_ = store.record(ctx, l, mains, start) // an accelerator: the next plan lists again
	}
	return l, nil
}

// list runs go list (and go env) for load.
func list(ctx context.Context, b buildConfig, mains []string) (*loaded, error) {
	l := &loaded{cfg: b, roots: make(map[string]*pkg)}
	var pkgs map[string]*pkg
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		env, err := readGoEnv(ctx, b)
		l.env = env
		return err
	})
	eg.Go(func() error {
		var err error
		pkgs, err = listGraph(ctx, b, mains)
		return err
	})
	if err := eg.Wait(); err != nil {
		return nil, fmt.Errorf("loading packages in %s (%s): %w", b.Dir, strings.Join(b.Env, " "), err)
	}
	byDir := make(map[string]*pkg)
	for _, p := range pkgs {
		if p.Dir != "" {
			byDir[filepath.Clean(p.Dir)] = p
		}
	}
	var roots []*pkg
	for _, m := range mains {
		p := pkgs[m]
		if isRelPattern(m) {
			p = byDir[filepath.Join(b.Dir, m)]
		}
		if p == nil {
			return nil, fmt.Errorf("loading %s in %s: package not found", m, b.Dir)
		}
		if p.Name != "" && p.Name != "main" {
			// config checks the mains it finds in the repository; an
			// import path main is only known once go has found it.
			return nil, fmt.Errorf("loading %s in %s: package %s, not a main package", m, b.Dir, p.Name)
		}
		l.roots[m] = p
		roots = append(roots, p)
	}
	if err := closureErrors(roots); err != nil {
		return nil, fmt.Errorf("loading packages in %s (%s): %w", b.Dir, strings.Join(b.Env, " "), err)
	}
	return l, nil
}

// loadMode is what the digests need from go list: files, imports, modules
// and resolved embeds, and nothing that requires parsing or type checking.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedImports |
	packages.NeedDeps | packages.NeedModule | packages.NeedEmbedFiles | packages.NeedEmbedPatterns

// listModule is the part of a module that digests need.
type listModule struct {
	Path    string
	Version string
	Replace *listModule
	Main    bool
	Dir     string
	GoMod   string
}

// listGraph loads mains and their dependencies with one packages.Load in
// b's configuration and converts the graph, returning it by import path.
func listGraph(ctx context.Context, b buildConfig, mains []string) (map[string]*pkg, error) {
	pc := &packages.Config{
		Context:    ctx,
		Mode:       loadMode,
		Dir:        b.Dir,
		Env:        append(os.Environ(), b.Env...),
		BuildFlags: b.Flags,
		Tests:      false,
	}
	roots, err := packages.Load(pc, mains...)
	if err != nil {
		return nil, err
	}
	pkgs := make(map[string]*pkg)
	var convert func(lp *packages.Package) *pkg
	convert = func(lp *packages.Package) *pkg {
		if p, ok := pkgs[lp.PkgPath]; ok {
			return p
		}
		p := &pkg{
			PkgPath:       lp.PkgPath,
			Name:          lp.Name,
			Dir:           lp.Dir,
			Module:        convertModule(lp.Module),
			GoFiles:       absJoin(lp.Dir, lp.GoFiles),
			OtherFiles:    absJoin(lp.Dir, lp.OtherFiles),
			EmbedFiles:    absJoin(lp.Dir, lp.EmbedFiles),
			EmbedPatterns: lp.EmbedPatterns,
			Imports:       make([]pkgImport, 0, len(lp.Imports)),
		}
		for _, e := range lp.Errors {
			p.Errors = append(p.Errors, e.Error())
		}
		pkgs[lp.PkgPath] = p
		for path, q := range lp.Imports {
			if path == "C" {
				continue
			}
			p.Imports = append(p.Imports, pkgImport{Path: path, Pkg: convert(q)})
		}
		slices.SortFunc(p.Imports, func(a, b pkgImport) int { return strings.Compare(a.Path, b.Path) })
		return p
	}
	for _, r := range roots {
		convert(r)
	}
	return pkgs, nil
}

// convertModule copies what digests need of a go/packages module.
func convertModule(m *packages.Module) *listModule {
	if m == nil {
		return nil
	}
	return &listModule{
		Path:    m.Path,
		Version: m.Version,
		Replace: convertModule(m.Replace),
		Main:    m.Main,
		Dir:     m.Dir,
		GoMod:   m.GoMod,
	}
}

// absJoin joins every file of lists to dir.
func absJoin(dir string, lists ...[]string) []string {
	var out []string
	// A plain name in a clean directory joins without filepath.Join's
	// cleaning, to the same path.
	sep := string(filepath.Separator)
	plain := filepath.IsAbs(dir) && !strings.HasSuffix(dir, sep) && !strings.Contains(dir, sep+sep) && !strings.Contains(dir, sep+".")
	for _, list := range lists {
		for _, f := range list {
			switch {
			case filepath.IsAbs(f):
			case plain && f != "" && f != "." && f != ".." && !strings.ContainsRune(f, filepath.Separator):
				f = dir + string(filepath.Separator) + f
			default:
				f = filepath.Join(dir, f)
			}
			out = append(out, f)
		}
	}
	return out
}

func isRelPattern(m string) bool {
	return m == "." || m == ".." || strings.HasPrefix(m, "./") || strings.HasPrefix(m, "../") || filepath.IsAbs(m)
}

// visit calls f once for every package reachable from roots, in no
// particular order.
func visit(roots []*pkg, f func(*pkg)) {
	seen := make(map[*pkg]bool)
	stack := append([]*pkg(nil), roots...)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		f(p)
		for _, imp := range p.Imports {
			if !seen[imp.Pkg] {
				stack = append(stack, imp.Pkg)
			}
		}
	}
}

// closureErrors reports the errors of every package reachable from roots.
func closureErrors(roots []*pkg) error {
	var msgs []string
	visit(roots, func(p *pkg) {
		msgs = append(msgs, p.Errors...)
	})
	if len(msgs) == 0 {
		return nil
	}
	sort.Strings(msgs)
	if len(msgs) > 5 {
		msgs = append(msgs[:5], fmt.Sprintf("and %d more errors", len(msgs)-5))
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}
