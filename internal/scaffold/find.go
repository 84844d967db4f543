// Package scaffold writes a first gobake.yaml for a repository: it finds the
// Go main packages of every module (go.work aware), names an image after
// each and, when the repository used ko, carries its .ko.yaml over.
package scaffold

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// Main is a main package found in the repository.
type Main struct {
	ImportPath string // e.g. example.com/shop/cmd/api
	ModuleDir  string // absolute directory of its module: where go runs
	Dir        string // absolute directory of the package
	Kodata     string // absolute path of its kodata directory, "" when none
	// External marks a main of a required module found outside the
	// repository (module cache, replace directory): built by import path.
	External bool
}

// Modules returns the absolute directories of the repository's modules:
// the use directives of root/go.work when there is one, else every go.mod
// under root (vendor, testdata and hidden directories excluded).
func Modules(ctx context.Context, root string) ([]string, error) {
	work := filepath.Join(root, "go.work")
	data, err := os.ReadFile(work)
	switch {
	case err == nil:
		wf, err := modfile.ParseWork(work, data, nil)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", work, err)
		}
		var mods []string
		for _, u := range wf.Use {
			d := filepath.FromSlash(u.Path)
			if !filepath.IsAbs(d) {
				d = filepath.Join(root, d)
			}
			mods = append(mods, filepath.Clean(d))
		}
		slices.Sort(mods)
		return mods, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", work, err)
	}
	var mods []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() == "go.mod" {
			mods = append(mods, filepath.Dir(p))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find modules under %s: %w", root, err)
	}
	return mods, nil
}

// skipDir reports whether the go tool ignores a directory of this name.
func skipDir(name string) bool {
	return name == "vendor" || name == "testdata" || name == "node_modules" ||
		strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// FindMains returns the main packages of every module of the repository at
// root, sorted by directory. Build constraints are evaluated as go build
// does for the platform and cgo setting init writes (linux/amd64,
// CGO_ENABLED=0): a //go:build tools file beside the mains does not count.
func FindMains(ctx context.Context, root string) ([]Main, error) {
	mods, err := Modules(ctx, root)
	if err != nil {
		return nil, err
	}
	if len(mods) == 0 {
		return nil, fmt.Errorf("no go.mod or go.work under %s", root)
	}
	bctx := linuxContext()
	var mains []Main
	for _, mod := range mods {
		data, err := os.ReadFile(filepath.Join(mod, "go.mod"))
		if err != nil {
			return nil, fmt.Errorf("read module: %w", err)
		}
		modPath := modfile.ModulePath(data)
		if modPath == "" {
			return nil, fmt.Errorf("%s: no module directive", filepath.Join(mod, "go.mod"))
		}
		err = filepath.WalkDir(mod, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if p != mod {
				if skipDir(d.Name()) {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			pkg, err := bctx.ImportDir(p, 0)
			if err != nil || pkg.Name != "main" {
				return nil // no Go files, not main, or not buildable for linux
			}
			m := Main{ImportPath: modPath, ModuleDir: mod, Dir: p}
			if rel, _ := filepath.Rel(mod, p); rel != "." {
				m.ImportPath = modPath + "/" + filepath.ToSlash(rel)
			}
			if fi, err := os.Stat(filepath.Join(p, "kodata")); err == nil && fi.IsDir() {
				m.Kodata = filepath.Join(p, "kodata")
			}
			mains = append(mains, m)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find main packages in %s: %w", mod, err)
		}
	}
	slices.SortFunc(mains, func(a, b Main) int { return strings.Compare(a.Dir, b.Dir) })
	return mains, nil
}

// DependencyMains returns, for each import path of importPaths that is a
// main package of a required module of one of the repository's modules
// (moduleDirs), that main, as ko builds ko://<import path>: vendored (go
// runs in the module and builds ./vendor/<import path>), else where go
// list finds it (External: built by import path). Import paths that are
// not such mains are left out.
func DependencyMains(ctx context.Context, moduleDirs, importPaths []string) []Main {
	bctx := linuxContext()
	var out []Main
	for _, ip := range importPaths {
		if m, ok := vendoredMain(bctx, moduleDirs, ip); ok {
			out = append(out, m)
			continue
		}
		for _, mod := range moduleDirs {
			cmd := exec.CommandContext(ctx, "go", "list", "-e", "-f", "{{.Name}}\t{{.Dir}}", ip)
			cmd.Dir = mod
			cmd.Env = append(os.Environ(), "GOOS=linux")
			b, err := cmd.Output()
			name, dir, _ := strings.Cut(strings.TrimSpace(string(b)), "\t")
			if err != nil || name != "main" || dir == "" {
				continue
			}
			out = append(out, Main{ImportPath: ip, ModuleDir: mod, Dir: dir, External: true})
			break
		}
	}
	return out
}

// linuxContext is the go/build context of the platform init writes by
// default: linux/amd64 without cgo.
func linuxContext() build.Context {
	bctx := build.Default
	bctx.GOOS, bctx.GOARCH, bctx.CgoEnabled = "linux", "amd64", false
	return bctx
}

// vendoredMain returns the main package ip vendored by one of moduleDirs.
func vendoredMain(bctx build.Context, moduleDirs []string, ip string) (Main, bool) {
	for _, mod := range moduleDirs {
		p := filepath.Join(mod, "vendor", filepath.FromSlash(ip))
		pkg, err := bctx.ImportDir(p, 0)
		if err != nil || pkg.Name != "main" {
			continue
		}
		m := Main{ImportPath: ip, ModuleDir: mod, Dir: p}
		if fi, err := os.Stat(filepath.Join(p, "kodata")); err == nil && fi.IsDir() {
			m.Kodata = filepath.Join(p, "kodata")
		}
		return m, true
	}
	return Main{}, false
}
