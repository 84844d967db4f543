package release

import (
	"path"
	"path/filepath"
	"strings"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
)

// relevant returns whether a file (slash-separated, relative to the
// repository root) is an input of img according to its record: a file the
// record hashes, a file of a local package of its closure, a go.mod or
// go.sum it reads, or a file of its data directory.
func relevant(root string, img config.Image, rec *graph.Record) func(file string) bool {
	files := map[string]bool{}
	dirs := map[string]bool{}
	if rec != nil {
		for _, p := range rec.Platforms {
			for k, v := range p.Inputs {
				switch kind, rest, _ := strings.Cut(k, ":"); kind {
				case "file":
					files[rest] = true
				case "gomod":
					if i := strings.LastIndex(rest, ":"); i >= 0 {
						mod := rest[:i]
						files[mod] = true
						files[path.Join(path.Dir(mod), "go.sum")] = true
					}
				case "pkg":
					if f := strings.Fields(v); len(f) >= 2 && f[0] == "local" {
						dirs[path.Clean(f[1])] = true
					}
				}
			}
		}
	}
	data := ""
	if img.Data != "" {
		if r, err := filepath.Rel(root, img.Data); err == nil {
			data = filepath.ToSlash(r) + "/"
		}
	}
	return func(file string) bool {
		file = path.Clean(file)
		return files[file] || dirs[path.Dir(file)] || (data != "" && strings.HasPrefix(file, data))
	}
}
