package config

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/mod/module"

	"github.com/gobake/gobake/internal/platform"
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
		err = checkPackageMain(mainDir, img.Main, img.Settings, w.getenv)
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

// checkPackageMain checks that dir, written as shown, is a package main for
// every platform of s, judged as go build judges it: go/build with each
// platform's GOOS, GOARCH and architecture level, cgo as CGO_ENABLED says
// and the -tags of the image's flags and of GOFLAGS. A file that build
// constraints exclude does not count (a //go:build tools file of package
// tools beside the mains, say). With platforms [all], which only the base
// image's index knows, it judges linux/amd64; the package graph judges
// every platform again with go list.
func checkPackageMain(dir, shown string, s Settings, getenv func(string) string) error {
	platforms := s.Platforms
	if slices.Equal(platforms, []string{AllPlatforms}) || len(platforms) == 0 {
		platforms = []string{"linux/amd64"}
	}
	type failure struct {
		msg       string
		platforms []string
	}
	var failures []failure
	checked := 0
	for _, ps := range platforms {
		p, err := platform.Check(ps)
		if err != nil {
			continue // reported by the platforms check
		}
		checked++
		msg := packageMainProblem(buildContext(p, s, getenv), dir, shown)
		if msg == "" {
			continue
		}
		i := slices.IndexFunc(failures, func(f failure) bool { return f.msg == msg })
		if i < 0 {
			failures = append(failures, failure{msg: msg})
			i = len(failures) - 1
		}
		failures[i].platforms = append(failures[i].platforms, ps)
	}
	if len(failures) == 0 {
		return nil
	}
	f := failures[0]
	if len(f.platforms) == checked {
		return errors.New(f.msg)
	}
	return fmt.Errorf("%s for %s", f.msg, strings.Join(f.platforms, ", "))
}

// packageMainProblem says why ctx does not build dir as a package main, or
// returns "" when it does.
func packageMainProblem(ctx build.Context, dir, shown string) string {
	pkg, err := ctx.ImportDir(dir, 0)
	var noGo *build.NoGoError
	var multi *build.MultiplePackageError
	switch {
	case errors.As(err, &noGo):
		if len(pkg.IgnoredGoFiles) > 0 || len(pkg.InvalidGoFiles) > 0 {
			return fmt.Sprintf("%s: build constraints exclude all Go files", shown)
		}
		return fmt.Sprintf("%s has no Go files", shown)
	case errors.As(err, &multi):
		var parts []string
		seen := map[string]bool{}
		for i, name := range multi.Packages {
			if !seen[name] {
				seen[name] = true
				parts = append(parts, fmt.Sprintf("%s (%s)", name, multi.Files[i]))
			}
		}
		slices.Sort(parts)
		return fmt.Sprintf("%s mixes packages %s", shown, strings.Join(parts, " and "))
	case err != nil:
		return fmt.Sprintf("%s: %v", shown, err)
	case pkg.Name != "main":
		return fmt.Sprintf("%s is package %s, not a package main", shown, pkg.Name)
	}
	return ""
}

// buildContext returns the go/build context go build uses for platform p
// with the image settings s: GOOS, GOARCH and architecture level from p;
// CGO_ENABLED from s.Env (gobake sets 0 unless the image says otherwise);
// -tags from GOFLAGS (s.Env's, else the process's) and then s.Flags, the
// last one winning as with go build. Templates are left out.
func buildContext(p v1.Platform, s Settings, getenv func(string) string) build.Context {
	ctx := build.Default
	// Which files a directory builds, and their package clause, do not
	// depend on GOROOT or GOPATH: they only name the import path of a
	// directory below them, which ImportDir finds by resolving symlinks
	// of both roots for every directory.
	ctx.GOROOT, ctx.GOPATH = "", ""
	ctx.GOOS, ctx.GOARCH = p.OS, p.Architecture
	ctx.CgoEnabled = false
	goflags := getenv("GOFLAGS")
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.Contains(kv, "{{"):
		case k == "CGO_ENABLED":
			ctx.CgoEnabled = v == "1"
		case k == "GOFLAGS":
			goflags = v
		}
	}
	ctx.BuildTags = nil
	if tags, ok := tagsFlag(strings.Fields(goflags)); ok {
		ctx.BuildTags = tags
	}
	if tags, ok := tagsFlag(s.Flags); ok {
		ctx.BuildTags = tags
	}
	ctx.ToolTags = platform.ArchTags(p)
	for _, t := range build.Default.ToolTags {
		if strings.HasPrefix(t, "goexperiment.") {
			ctx.ToolTags = append(ctx.ToolTags, t)
		}
	}
	return ctx
}

// tagsFlag returns the tags of the last -tags flag of flags (-tags=a,b or
// -tags a,b; go build also accepts them space-separated), and whether
// there is one.
func tagsFlag(flags []string) ([]string, bool) {
	var tags []string
	found := false
	for i := 0; i < len(flags); i++ {
		f := flags[i]
		if strings.Contains(f, "{{") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if !strings.HasPrefix(f, "-") || name != "tags" {
			continue
		}
		if !hasVal {
			if i+1 >= len(flags) {
				continue
			}
			i++
			val = flags[i]
		}
		found = true
		tags = strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ' ' })
	}
	return tags, found
}
