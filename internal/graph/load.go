package graph

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// loadMode is what the digests need from go list: files, imports, modules
// and resolved embeds, and nothing that requires type checking.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedImports |
	packages.NeedDeps | packages.NeedModule | packages.NeedEmbedFiles

// loaded is the package graph of one build configuration.
type loaded struct {
	cfg   buildConfig
	env   goEnv
	roots map[string]*packages.Package // by main as written
}

// load runs one packages.Load for every main of a build configuration.
// Test files and test-only dependencies are not loaded.
func load(ctx context.Context, b buildConfig, mains []string) (*loaded, error) {
	env, err := readGoEnv(ctx, b)
	if err != nil {
		return nil, err
	}
	pc := &packages.Config{
		Context:    ctx,
		Mode:       loadMode,
		Dir:        b.Dir,
		Env:        append(os.Environ(), b.Env...),
		BuildFlags: b.Flags,
		Tests:      false,
	}
	pkgs, err := packages.Load(pc, mains...)
	if err != nil {
		return nil, fmt.Errorf("loading packages in %s (%s): %w", b.Dir, strings.Join(b.Env, " "), err)
	}
	l := &loaded{cfg: b, env: env, roots: make(map[string]*packages.Package)}
	byDir := make(map[string]*packages.Package)
	byPath := make(map[string]*packages.Package)
	for _, p := range pkgs {
		if p.Dir != "" {
			byDir[filepath.Clean(p.Dir)] = p
		}
		byPath[p.PkgPath] = p
	}
	for _, m := range mains {
		p := byPath[m]
		if isRelPattern(m) {
			p = byDir[filepath.Join(b.Dir, m)]
		}
		if p == nil {
			return nil, fmt.Errorf("loading %s in %s: package not found", m, b.Dir)
		}
		l.roots[m] = p
	}
	if err := closureErrors(pkgs); err != nil {
		return nil, fmt.Errorf("loading packages in %s (%s): %w", b.Dir, strings.Join(b.Env, " "), err)
	}
	return l, nil
}

func isRelPattern(m string) bool {
	return m == "." || m == ".." || strings.HasPrefix(m, "./") || strings.HasPrefix(m, "../") || filepath.IsAbs(m)
}

// closureErrors reports the errors of every package reachable from pkgs.
func closureErrors(pkgs []*packages.Package) error {
	var msgs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			msgs = append(msgs, e.Error())
		}
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
