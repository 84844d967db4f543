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
	return newRelevance(root, []config.Image{img}, map[string]*graph.Record{img.Name: rec}).of(img.Name)
}

// relevance is relevant for every image of a release at once. Deciding
// versions asks, for every image, about every file of every commit since
// its last release: on a first release of 300 images that is 300 times
// the whole history (3 million questions about 10,000 files in the
// synthetic monorepo, 1.2 CPU s in every shard and in finalize). Here
// each file is looked up once, giving the set of images it is an input
// of; each question is then a bit. Every image asks about the same
// commits' files in the same order, so the answers are kept in the order
// first asked and a question that follows the previous one in that order
// is answered without a map lookup: comparing it with the expected file,
// the same string in memory, is a pointer check. Not safe for concurrent
// use.
type relevance struct {
	bit   map[string]int      // image → its bit
	words int                 // length of a set of images
	files map[string][]uint64 // file → images hashing it, or reading it as go.mod or go.sum
	dirs  map[string][]uint64 // directory → images with a local package there
	data  []dataDir           // images' data directories
	memo  map[string]int      // file as asked → its index in asked
	asked []string            // files as first asked
	sets  [][]uint64          // images each file of asked is relevant to
	next  int                 // index in asked of the file expected next
}

// dataDir is the data directory of an image, slash-separated with a
// trailing slash, relative to the repository root.
type dataDir struct {
	prefix string
	bit    int
}

// newRelevance indexes the inputs of imgs, from their records in recs (an
// image without a record has no relevant file).
func newRelevance(root string, imgs []config.Image, recs map[string]*graph.Record) *relevance {
	rv := &relevance{
		bit: map[string]int{}, words: (len(imgs) + 63) / 64,
		files: map[string][]uint64{}, dirs: map[string][]uint64{}, memo: map[string]int{},
	}
	set := func(m map[string][]uint64, key string, bit int) {
		s := m[key]
		if s == nil {
			s = make([]uint64, rv.words)
			m[key] = s
		}
		s[bit/64] |= 1 << (bit % 64)
	}
	for i, img := range imgs {
		rv.bit[img.Name] = i
		if img.Data != "" {
			if r, err := filepath.Rel(root, img.Data); err == nil {
				rv.data = append(rv.data, dataDir{prefix: filepath.ToSlash(r) + "/", bit: i})
			}
		}
		rec := recs[img.Name]
		if rec == nil {
			continue
		}
		for _, p := range rec.Platforms {
			for k, v := range p.Inputs {
				switch kind, rest, _ := strings.Cut(k, ":"); kind {
				case "file":
					set(rv.files, rest, i)
				case "gomod":
					if j := strings.LastIndex(rest, ":"); j >= 0 {
						mod := rest[:j]
						set(rv.files, mod, i)
						set(rv.files, path.Join(path.Dir(mod), "go.sum"), i)
					}
				case "pkg":
					if f := strings.Fields(v); len(f) >= 2 && f[0] == "local" {
						set(rv.dirs, path.Clean(f[1]), i)
					}
				}
			}
		}
	}
	return rv
}

// of returns whether a file is an input of image (false for an image not
// indexed).
func (rv *relevance) of(image string) func(file string) bool {
	bit, ok := rv.bit[image]
	if !ok {
		return func(string) bool { return false }
	}
	return func(file string) bool {
		return rv.images(file)[bit/64]&(1<<(bit%64)) != 0
	}
}

// images returns the set of images file is relevant to.
func (rv *relevance) images(file string) []uint64 {
	i, ok := rv.next, rv.next < len(rv.asked) && rv.asked[rv.next] == file
	if !ok {
		i, ok = rv.memo[file]
	}
	if ok {
		rv.next = i + 1
		return rv.sets[i]
	}
	s := make([]uint64, rv.words)
	clean := path.Clean(file)
	for _, from := range [][]uint64{rv.files[clean], rv.dirs[path.Dir(clean)]} {
		for w := range from {
			s[w] |= from[w]
		}
	}
	for _, d := range rv.data {
		if strings.HasPrefix(clean, d.prefix) {
			s[d.bit/64] |= 1 << (d.bit % 64)
		}
	}
	rv.memo[file] = len(rv.asked)
	rv.asked, rv.sets = append(rv.asked, file), append(rv.sets, s)
	rv.next = len(rv.asked)
	return s
}
