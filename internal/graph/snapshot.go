package graph

import (
	"path"
	"sort"
	"strings"
	"sync"
)

// Snapshot is the inputs of a set of images at one state of the work tree.
type Snapshot struct {
	Root    string             // repository root the paths in the records are relative to
	Records map[string]*Record // by image name
	feeds   map[string]map[string]*feed
}

// feed is what one image on one platform is made from, for affected and
// for explaining module changes. Its maps are built by build on first use
// (see load), as most plans never look at them.
type feed struct {
	build func(*feed)
	once  sync.Once
	files map[string]bool   // root-relative files
	pkgs  map[string]string // import path → root-relative dir ("" when not local)
	via   map[string]string // third-party module → dir of the local package importing it
	// dataDir is the image's root-relative data directory, "" when none.
	dataDir string
}

// load builds f's maps, once.
func (f *feed) load() *feed {
	f.once.Do(func() {
		if f.build != nil {
			f.build(f)
		}
	})
	return f
}

// Via returns the directory of the local package through which image on
// platform uses module, or "" when unknown.
func (s *Snapshot) Via(image, platform, module string) string {
	if f := s.feeds[image][platform]; f != nil {
		return f.load().via[module]
	}
	return ""
}

// Hit is one image fed by an affected target.
type Hit struct {
	Image     string   `json:"image"`
	Platforms []string `json:"platforms"`         // the platforms fed, sorted
	Targets   []string `json:"targets,omitempty"` // the arguments that feed it
}

// Affected returns the images, and their platforms, fed by any of targets.
// A target is a root-relative file or directory (slash separated; a
// directory matches every input file under it) or an import path (a
// trailing /... matches the packages under it). A file that no longer
// exists (as `git diff --name-only` lists deleted files) matches the images
// it was an input of, as far as its name and place tell (see fedByDeleted).
func (s *Snapshot) Affected(targets []string) []Hit {
	gone := map[string]bool{}
	for _, t := range targets {
		gone[t] = s.gone(t)
	}
	var hits []Hit
	for _, image := range sortedKeys(s.feeds) {
		plats := map[string]bool{}
		tset := map[string]bool{}
		for plat, f := range s.feeds[image] {
			for _, t := range targets {
				if f.feeds(t) || gone[t] && f.fedByDeleted(t, plat) {
					plats[plat] = true
					tset[t] = true
				}
			}
		}
		if len(plats) > 0 {
			hits = append(hits, Hit{Image: image, Platforms: sortedKeys(plats), Targets: sortedKeys(tset)})
		}
	}
	return hits
}

// feeds reports whether target is an input of f.
func (f *feed) feeds(target string) bool {
	f.load()
	t := strings.TrimSuffix(path.Clean(target), "/")
	if base, ok := strings.CutSuffix(target, "/..."); ok {
		for p, dir := range f.pkgs {
			if p == base || strings.HasPrefix(p, base+"/") || dir != "" && (dir == base || strings.HasPrefix(dir, base+"/")) {
				return true
			}
		}
		return false
	}
	if _, ok := f.pkgs[target]; ok {
		return true
	}
	if f.files[t] {
		return true
	}
	for _, dir := range f.pkgs {
		if dir != "" && dir == t {
			return true
		}
	}
	if t == "." {
		return len(f.files) > 0
	}
	prefix := t + "/"
	for file := range f.files {
		if strings.HasPrefix(file, prefix) {
			return true
		}
	}
	return false
}

// Images returns the names of the images of s, sorted.
func (s *Snapshot) Images() []string {
	names := make([]string, 0, len(s.Records))
	for n := range s.Records {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
