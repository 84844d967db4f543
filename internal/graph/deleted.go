package graph

import (
	"errors"
	"go/build"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gobake/gobake/internal/platform"
)

// sourceExts are the extensions of the non-Go files go build compiles or
// links into a package (its OtherFiles).
var sourceExts = map[string]bool{
	".s": true, ".S": true, ".sx": true, ".c": true, ".cc": true, ".cpp": true, ".cxx": true,
	".h": true, ".hh": true, ".hpp": true, ".hxx": true, ".m": true, ".f": true, ".F": true,
	".for": true, ".f90": true, ".syso": true, ".swig": true, ".swigcxx": true,
}

// gone reports whether the root-relative target names no file or
// directory of the work tree (a deleted file, or an import path).
func (s *Snapshot) gone(target string) bool {
	if strings.HasSuffix(target, "/...") || s.Root == "" {
		return false
	}
	_, err := os.Lstat(filepath.Join(s.Root, filepath.FromSlash(target)))
	return errors.Is(err, fs.ErrNotExist)
}

// fedByDeleted reports whether the deleted root-relative file target was,
// as far as its name and place tell, an input of f on platform plat
// (os/arch[/variant]): a file under the image's data directory; a Go or
// other source file of a package of the closure that its name does not
// exclude for plat (_test.go, _ or . prefix, another GOOS or GOARCH
// suffix; its own //go:build line is gone with it, so it counts); or
// another file of such a package's tree beside files it embeds.
func (f *feed) fedByDeleted(target, plat string) bool {
	f.load()
	t := path.Clean(target)
	if f.dataDir != "" && strings.HasPrefix(t, f.dataDir+"/") {
		return true
	}
	dir, name := path.Split(t)
	dir = path.Clean(dir)
	local := map[string]bool{}
	for _, d := range f.pkgs {
		if d != "" {
			local[d] = true
		}
	}
	ext := path.Ext(name)
	if local[dir] && (ext == ".go" || sourceExts[ext]) {
		return !strings.HasSuffix(name, "_test.go") && nameMatches(dir, name, plat)
	}
	// Embedded files: look for files that are inputs but not sources in
	// the deleted file's directory and the ones above it, up to the
	// package that could embed it.
	embedded := map[string]bool{}
	for file := range f.files {
		e := path.Ext(file)
		switch base := path.Base(file); {
		case e == ".go", sourceExts[e], base == "go.mod", base == "go.sum", base == "go.work", base == "go.work.sum", base == "modules.txt":
		default:
			embedded[path.Dir(file)] = true
		}
	}
	for d := dir; ; d = path.Dir(d) {
		if embedded[d] {
			return true
		}
		if local[d] || d == "." || d == "/" {
			return false
		}
	}
}

// nameMatches reports whether go build would take a file called name in
// dir for plat, judging by the name only (the file is gone).
func nameMatches(dir, name, plat string) bool {
	p, err := platform.Parse(plat)
	if err != nil {
		return true
	}
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH = p.OS, p.Architecture
	ctx.OpenFile = func(string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader("package p\n")), nil
	}
	ok, err := ctx.MatchFile(dir, name)
	return err != nil || ok
}
