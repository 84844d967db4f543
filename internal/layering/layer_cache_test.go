package layering

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerFacts are what an image records of a layer, plus its bytes.
type layerFacts struct {
	Digest, DiffID string
	Size           int64
	MediaType      types.MediaType
	Bytes          []byte
}

func factsOf(t *testing.T, l v1.Layer) layerFacts {
	t.Helper()
	d, err := l.Digest()
	noErr(t, err)
	id, err := l.DiffID()
	noErr(t, err)
	size, err := l.Size()
	noErr(t, err)
	mt, err := l.MediaType()
	noErr(t, err)
	rc, err := l.Compressed()
	noErr(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	noErr(t, err)
	return layerFacts{d.String(), id.String(), size, mt, b}
}

// TestLayerCacheMisses changes, one at a time, each thing a layer depends
// on: each change must miss the cache (and give another layer), and
// building again with nothing changed must hit it with the very layer an
// uncached build makes.
func TestLayerCacheMisses(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	noErr(t, os.WriteFile(bin, pinnedBytes(64<<10, 1), 0o755))
	data := filepath.Join(dir, "data")
	noErr(t, os.MkdirAll(filepath.Join(data, "sub"), 0o755))
	noErr(t, os.WriteFile(filepath.Join(data, "sub", "a.txt"), []byte("a"), 0o644))
	noErr(t, os.WriteFile(filepath.Join(data, "b.txt"), []byte("a"), 0o644))
	noErr(t, os.Symlink("sub/a.txt", filepath.Join(data, "link")))
	mtime := time.Unix(1700000000, 0).UTC()
	cache := newLayerCache(filepath.Join(dir, "cache"), 0)

	type layerFunc func(f layerFormat) (v1.Layer, error)
	binary := func(name string, mtime time.Time) layerFunc {
		return func(f layerFormat) (v1.Layer, error) { return binaryLayer(bin, name, mtime, f) }
	}
	dataOf := func(mtime time.Time) layerFunc {
		return func(f layerFormat) (v1.Layer, error) { return dataLayer(data, mtime, f) }
	}
	gzipOCI := layerFormat{mt: types.OCILayer, compression: CompressionGzip}
	steps := []struct {
		name   string
		change func()
		layer  layerFunc
		format layerFormat
		hit    bool
	}{
		{name: "binary, first", layer: binary("api", mtime), format: gzipOCI},
		{name: "binary, again", layer: binary("api", mtime), format: gzipOCI, hit: true},
		{name: "binary content", change: func() { noErr(t, os.WriteFile(bin, pinnedBytes(64<<10, 2), 0o755)) },
			layer: binary("api", mtime), format: gzipOCI},
		{name: "binary content, again", layer: binary("api", mtime), format: gzipOCI, hit: true},
		{name: "binary name (path in the image)", layer: binary("web", mtime), format: gzipOCI},
		{name: "file times", layer: binary("web", mtime.Add(time.Second)), format: gzipOCI},
		{name: "media type", layer: binary("web", mtime.Add(time.Second)), format: layerFormat{mt: types.DockerLayer}},
		{name: "compression", layer: binary("web", mtime.Add(time.Second)),
			format: layerFormat{mt: types.OCILayerZStd, compression: CompressionZstd}},
		{name: "compression, again", layer: binary("web", mtime.Add(time.Second)),
			format: layerFormat{mt: types.OCILayerZStd, compression: CompressionZstd}, hit: true},
		{name: "data, first", layer: dataOf(mtime), format: gzipOCI},
		{name: "data, again", layer: dataOf(mtime), format: gzipOCI, hit: true},
		{name: "data file content", change: func() { noErr(t, os.WriteFile(filepath.Join(data, "b.txt"), []byte("b"), 0o644)) },
			layer: dataOf(mtime), format: gzipOCI},
		{name: "data file added", change: func() { noErr(t, os.WriteFile(filepath.Join(data, "c.txt"), nil, 0o644)) },
			layer: dataOf(mtime), format: gzipOCI},
		{name: "data file renamed", change: func() { noErr(t, os.Rename(filepath.Join(data, "c.txt"), filepath.Join(data, "d.txt"))) },
			layer: dataOf(mtime), format: gzipOCI},
		{name: "data link repointed", change: func() {
			noErr(t, os.Remove(filepath.Join(data, "link")))
			noErr(t, os.Symlink("b.txt", filepath.Join(data, "link")))
		}, layer: dataOf(mtime), format: gzipOCI},
		{name: "data times", layer: dataOf(mtime.Add(time.Hour)), format: gzipOCI},
		{name: "data times, again", layer: dataOf(mtime.Add(time.Hour)), format: gzipOCI, hit: true},
	}
	seen := map[string]string{} // digest or media type+digest → step
	for _, s := range steps {
		if s.change != nil {
			s.change()
		}
		hits, misses := cache.hits.Load(), cache.misses.Load()
		f := s.format
		f.cache = cache
		cached, err := s.layer(f)
		noErr(t, err)
		gotHit := cache.hits.Load() == hits+1 && cache.misses.Load() == misses
		gotMiss := cache.hits.Load() == hits && cache.misses.Load() == misses+1
		if s.hit && !gotHit || !s.hit && !gotMiss {
			t.Errorf("%s: hit %v, want %v (hits %d→%d, misses %d→%d)", s.name, gotHit, s.hit,
				hits, cache.hits.Load(), misses, cache.misses.Load())
		}
		uncached, err := s.layer(s.format)
		noErr(t, err)
		want, got := factsOf(t, uncached), factsOf(t, cached)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: cached layer differs from an uncached one (-uncached +cached):\n%.2000s", s.name, diff)
		}
		id := string(got.MediaType) + " " + got.Digest
		if prev, ok := seen[id]; ok && !s.hit {
			t.Errorf("%s: same layer as %s, want another", s.name, prev)
		}
		seen[id] = s.name
	}
}

// TestLayerCacheKey shows that every setting of the key moves it,
// LayoutVersion included.
func TestLayerCacheKey(t *testing.T) {
	c := newLayerCache(t.TempDir(), 0)
	id := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", 1)}
	base := layerFormat{mt: types.OCILayer, compression: CompressionGzip}
	keys := map[string]string{}
	for _, k := range []struct {
		name   string
		layout string
		f      layerFormat
		id     v1.Hash
	}{
		{"base", LayoutVersion, base, id},
		{"layout version", LayoutVersion + "x", base, id},
		{"media type", LayoutVersion, layerFormat{mt: types.DockerLayer, compression: CompressionGzip}, id},
		{"compression", LayoutVersion, layerFormat{mt: types.OCILayer, compression: CompressionZstd}, id},
		{"diff ID", LayoutVersion, base, v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", 2)}},
	} {
		key := c.key(k.layout, k.f, k.id)
		if prev, ok := keys[key]; ok {
			t.Errorf("%s: same key as %s", k.name, prev)
		}
		keys[key] = k.name
	}
	if a, b := c.key(LayoutVersion, layerFormat{mt: types.OCILayer}, id), c.key(LayoutVersion, base, id); a != b {
		t.Errorf("no compression and gzip have other keys: %s, %s", a, b)
	}
}

// TestLayerCacheEviction fills a small cache: the least recently used
// layers go first, entries of evicted layers go with them, a layer still
// in use stays readable, and a later build of an evicted layer misses and
// stores it again.
func TestLayerCacheEviction(t *testing.T) {
	dir := t.TempDir()
	cache := newLayerCache(filepath.Join(dir, "cache"), 100<<10) // two of the layers below
	mtime := time.Unix(0, 0)
	f := layerFormat{mt: types.OCILayer, cache: cache}
	bins := make([]string, 3)
	for i := range bins {
		bins[i] = filepath.Join(dir, fmt.Sprintf("bin%d", i))
		noErr(t, os.WriteFile(bins[i], pinnedBytes(80<<10, int64(i)), 0o755))
	}
	build := func(i int) v1.Layer {
		l, err := binaryLayer(bins[i], "app", mtime, f)
		noErr(t, err)
		return l
	}
	old := time.Now().Add(-time.Hour)
	first := build(0)
	build(1)
	// bin0 was used an hour ago, bin1 now: bin0 is evicted first.
	noErr(t, filepath.Walk(filepath.Join(dir, "cache", "blobs"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if d, _ := first.Digest(); filepath.Base(p) == d.Hex {
				return os.Chtimes(p, old, old)
			}
		}
		return err
	}))
	build(2)
	cache.prune(time.Now())
	blobs, err := os.ReadDir(filepath.Join(dir, "cache", "blobs"))
	noErr(t, err)
	entries, err := os.ReadDir(filepath.Join(dir, "cache", "entries"))
	noErr(t, err)
	if len(blobs) != 1 || len(entries) != 1 {
		t.Errorf("after pruning: %d blobs, %d entries; want 1 and 1 (each layer is ~74 KiB of a 100 KiB cache)", len(blobs), len(entries))
	}
	// The evicted layer, still open, reads whole.
	want := factsOf(t, func() v1.Layer {
		l, err := binaryLayer(bins[0], "app", mtime, layerFormat{mt: types.OCILayer})
		noErr(t, err)
		return l
	}())
	if got := factsOf(t, first); !bytes.Equal(got.Bytes, want.Bytes) {
		t.Error("a layer in use changed when the cache evicted it")
	}
	misses := cache.misses.Load()
	if again := factsOf(t, build(0)); again.Digest != want.Digest || cache.misses.Load() != misses+1 {
		t.Errorf("evicted layer built again: digest %s (want %s), misses %d→%d", again.Digest, want.Digest, misses, cache.misses.Load())
	}
}

// TestLayerCacheSharedDir builds the same layers from two caches on one
// directory at once, as two processes do: both get the right layers and
// the directory ends with one blob per layer and no temporary file.
func TestLayerCacheSharedDir(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	bin := filepath.Join(dir, "bin")
	noErr(t, os.WriteFile(bin, pinnedBytes(256<<10, 7), 0o755))
	want := factsOf(t, func() v1.Layer {
		l, err := binaryLayer(bin, "app", time.Unix(0, 0), layerFormat{mt: types.OCILayer})
		noErr(t, err)
		return l
	}())
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			c := newLayerCache(cacheDir, 0) // one per "process"
			l, err := binaryLayer(bin, "app", time.Unix(0, 0), layerFormat{mt: types.OCILayer, cache: c})
			if err == nil {
				if d, _ := l.Digest(); d.String() != want.Digest {
					err = fmt.Errorf("digest %s, want %s", d, want.Digest)
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		noErr(t, <-errs)
	}
	var files []string
	noErr(t, filepath.Walk(cacheDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(cacheDir, p)
			files = append(files, filepath.Dir(rel))
		}
		return err
	}))
	if diff := cmp.Diff([]string{"blobs", "entries"}, files); diff != "" {
		t.Errorf("cache files by directory (-want +got):\n%s", diff)
	}
}

// TestLayerCacheDropDangling: an entry goes when its blob is gone or it
// does not name one, a source ID when its entry is gone or it does not
// name one; temporary files stay (they are pruned by age).
func TestLayerCacheDropDangling(t *testing.T) {
	cache := newLayerCache(t.TempDir(), 1<<20)
	blob := strings.Repeat("ab", 32)
	files := []struct {
		path, contents string
		keep           bool
	}{
		{"blobs/" + blob, "layer", true},
		{"entries/kept", `{"digest":"sha256:` + blob + `","size":5}`, true},
		{"entries/blob-gone", `{"digest":"sha256:` + strings.Repeat("cd", 32) + `","size":5}`, false},
		{"entries/no-digest", `{"size":5}`, false},
		{"entries/bad-digest", `{"digest":"sha256:nothex"}`, false},
		{"entries/not-json", `{`, false},
		{"entries/x.tmp-1", `{`, true},
		{"ids/kept", `{"diffID":"d","entry":"kept"}`, true},
		{"ids/entry-gone", `{"diffID":"d","entry":"blob-gone"}`, false},
		{"ids/no-entry", `{"diffID":"d"}`, false},
		{"ids/not-json", `[]`, false},
		{"ids/tmp-2", `[]`, true},
	}
	for _, f := range files {
		p := filepath.Join(cache.dir, filepath.FromSlash(f.path))
		noErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		noErr(t, os.WriteFile(p, []byte(f.contents), 0o644))
	}
	cache.dropDangling()
	for _, f := range files {
		_, err := os.Stat(filepath.Join(cache.dir, filepath.FromSlash(f.path)))
		if kept := err == nil; kept != f.keep {
			t.Errorf("%s: kept %v, want %v", f.path, kept, f.keep)
		}
	}
}
