package kocompat

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/gobake/gobake/internal/config"
)

// ImportPath returns the import path of the package in directory dir (an
// absolute path) from the module path of the nearest go.mod at or above it.
// A directory in a module's vendor directory holds a package of a required
// module: its import path is its path below vendor, as the go command says.
func ImportPath(dir string) (string, error) {
	dir = filepath.Clean(dir)
	if ip, ok := vendoredImportPath(dir); ok {
		return ip, nil
	}
	for d := dir; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mod := modfile.ModulePath(data)
			if mod == "" {
				return "", fmt.Errorf("import path of %s: %s has no module directive", dir, filepath.Join(d, "go.mod"))
			}
			rel, err := filepath.Rel(d, dir)
			if err != nil {
				return "", fmt.Errorf("import path of %s: %w", dir, err)
			}
			if rel == "." {
				return mod, nil
			}
			return path.Join(mod, filepath.ToSlash(rel)), nil
		}
		if !os.IsNotExist(err) {
			return "", fmt.Errorf("import path of %s: %w", dir, err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("import path of %s: no go.mod found at or above it", dir)
		}
		d = parent
	}
}

// MainDir returns the absolute directory of an image's main package. A Main
// naming a .go file (as ko's builds[].main may) stands for its directory.
func MainDir(img config.Image) string {
	m := filepath.FromSlash(img.Main)
	if !filepath.IsAbs(m) {
		m = filepath.Join(img.Dir, m)
	}
	if strings.HasSuffix(m, ".go") {
		m = filepath.Dir(m)
	}
	return filepath.Clean(m)
}

// ImportPaths returns the import path of every image's main package, keyed
// by image name.
func ImportPaths(cfg *config.Config) (map[string]string, error) {
	out := make(map[string]string, len(cfg.Images))
	for _, img := range cfg.Images {
		if config.IsImportPathMain(img.Main) {
			out[img.Name] = img.Main
			continue
		}
		ip, err := ImportPath(MainDir(img))
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", img.Name, err)
		}
		out[img.Name] = ip
	}
	return out, nil
}

// vendoredImportPath returns the path of dir below the nearest vendor
// directory above it that sits next to a go.mod, if there is one.
func vendoredImportPath(dir string) (string, bool) {
	for d := dir; ; {
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		if filepath.Base(parent) == "vendor" {
			if _, err := os.Stat(filepath.Join(filepath.Dir(parent), "go.mod")); err == nil {
				rel, err := filepath.Rel(parent, dir)
				if err != nil {
					return "", false
				}
				return filepath.ToSlash(rel), true
			}
		}
		d = parent
	}
}
