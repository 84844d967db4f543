package config

import (
	"errors"
	"fmt"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"
)

// paths resolves and checks dir, main and data of an image.
func (w *walker) paths(ri *rawImage, img *Image) {
	img.Dir = w.root
	if ri.dir != nil {
		dir, err := w.repoDir(ri.dir.v, w.root)
		if err != nil {
			w.p.add(ri.dir.n.Line, ri.dir.n.Column, joinPath(ri.path, "dir"), "%v", err)
			return
		}
		img.Dir = dir
	}

	if ri.main == nil {
		if ri.mainWritten {
			return
		}
		w.p.add(ri.key.Line, ri.key.Column, joinPath(ri.path, "main"), "missing; set it to the image's package main, e.g. ./cmd/%s", ri.name)
		return
	}
	img.Main = ri.main.v
	mainPath := joinPath(ri.path, "main")
	if IsImportPathMain(img.Main) {
		// A main of a module in the build list (ko://knative.dev/pkg/...):
		// go finds it, in vendor/ or the module cache; the graph checks
		// that it is a main package. It has no default data directory.
		if ri.data != nil && ri.data.v != "" {
			data, err := w.repoDir(ri.data.v, img.Dir)
			if err != nil {
				w.p.add(ri.data.n.Line, ri.data.n.Column, joinPath(ri.path, "data"), "%v", err)
				return
			}
			img.Data = data
		}
		return
	}
	if !isRelative(img.Main) {
		w.p.add(ri.main.n.Line, ri.main.n.Column, mainPath, "%q must be a relative path starting with ./ (relative to dir), or the import path of a main package of a required module (example.com/mod/cmd/x)", img.Main)
		return
	}
	mainDir, err := w.repoDir(img.Main, img.Dir)
	if err == nil {
		err = checkPackageMain(mainDir, img.Main)
	}
	if err != nil {
		w.p.add(ri.main.n.Line, ri.main.n.Column, mainPath, "%v", err)
		return
	}

	switch {
	case ri.data != nil && ri.data.v == "":
		// data: "" turns the default kodata off.
	case ri.data != nil:
		data, err := w.repoDir(ri.data.v, img.Dir)
		if err != nil {
			w.p.add(ri.data.n.Line, ri.data.n.Column, joinPath(ri.path, "data"), "%v", err)
			return
		}
		img.Data = data
	default:
		kodata := filepath.Join(mainDir, "kodata")
		if fi, err := os.Stat(kodata); err == nil && fi.IsDir() {
			if _, err := w.repoDir(kodata, img.Dir); err != nil {
				w.p.add(ri.key.Line, ri.key.Column, joinPath(ri.path, "data"), "default %v", err)
				return
			}
			img.Data = kodata
		}
	}
}

// IsImportPathMain reports whether an image's main is written as the import
// path of a package (of any module in the build list) rather than as a
// directory: a valid import path whose first element has a dot, like a
// module path's domain (knative.dev/pkg/cmd/migrate, not services/worker).
func IsImportPathMain(m string) bool {
	first, _, _ := strings.Cut(m, "/")
	return !isRelative(m) && strings.Contains(first, ".") && !strings.HasSuffix(m, ".go") &&
		!strings.Contains(m, "...") && module.CheckImportPath(m) == nil
}

// isRelative reports whether a main package path is written relative: ".",
// or starting with ./ or ../.
func isRelative(p string) bool {
	return p == "." || p == ".." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../")
}

// repoDir resolves p against base and checks that it is a directory inside
// the repository, also once symlinks are resolved. It returns the absolute
// path, symlinks not resolved.
func (w *walker) repoDir(p, base string) (string, error) {
	if p == "" {
		return "", errors.New("must not be empty")
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(base, p)
	}
	if !within(w.root, abs) {
		return "", fmt.Errorf("%q leaves the repository %s", p, w.root)
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%q does not exist", p)
	}
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%q is not a directory", p)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	if !within(w.rootReal, real) {
		return "", fmt.Errorf("%q resolves to %s, outside the repository", p, real)
	}
	return abs, nil
}

// within reports whether path is root or below it; both are clean and absolute.
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// checkPackageMain reads the package clauses of the non-test Go files of dir
// and checks that they declare package main; shown is dir as written. Files excluded only by the
// "ignore" build tag do not count.
func checkPackageMain(dir, shown string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	var pkgs []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || strings.HasPrefix(n, "_") || strings.HasPrefix(n, ".") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return fmt.Errorf("parse %s: %w", n, err)
		}
		ignored := false
		for _, g := range f.Comments {
			if g.Pos() > f.Package {
				break
			}
			for _, c := range g.List {
				if expr, err := constraint.Parse(c.Text); err == nil && constraint.IsGoBuild(c.Text) {
					all := expr.Eval(func(string) bool { return true })
					noIgnore := expr.Eval(func(tag string) bool { return tag != "ignore" })
					ignored = all && !noIgnore
				}
			}
		}
		if !ignored && !slices.Contains(pkgs, f.Name.Name) {
			pkgs = append(pkgs, f.Name.Name)
		}
	}
	switch {
	case len(pkgs) == 0:
		return fmt.Errorf("%s has no Go files", shown)
	case len(pkgs) > 1:
		slices.Sort(pkgs)
		return fmt.Errorf("%s mixes packages %s", shown, strings.Join(pkgs, " and "))
	case pkgs[0] != "main":
		return fmt.Errorf("%s is package %s, not a package main", shown, pkgs[0])
	}
	return nil
}
