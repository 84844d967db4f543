package layering

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/evict"
)

// DefaultLayerCacheSize bounds the layer cache when nothing else does:
// the compressed layers of a few full builds of a large monorepo.
const DefaultLayerCacheSize = 2 << 30

// layerCacheVersion changes when the cache's files change meaning.
const layerCacheVersion = "gobake layer cache 1"

// layerCache keeps compressed layers between runs, so that the layer of an
// unchanged binary (or data directory) is hashed, not compressed again.
//
// An entry is keyed by the layer's diff ID (the sha256 of its tar stream,
// which covers the content, names, modes, owners and times of its files)
// and by what turns the tar stream into the layer: compression and level,
// media type and LayoutVersion. Files are shared safely between processes:
// compressed layers are stored by their digest (blobs/<hex>) and entries by
// their key (entries/<key>), each written to a temporary file and renamed
// into place, so that a reader sees a whole file or none; a layer in use
// stays readable when another process evicts it (its file is open). The
// blobs are kept under a size bound, least recently used evicted first.
type layerCache struct {
	dir          string // the cache's root, made on first use
	max          int64  // bound on the blobs' total size
	hits, misses atomic.Int64
}

// newLayerCache returns a cache in dir bounded to max bytes, or nil when
// dir is "".
func newLayerCache(dir string, max int64) *layerCache {
	if dir == "" {
		return nil
	}
	if max <= 0 {
		max = DefaultLayerCacheSize
	}
	return &layerCache{dir: dir, max: max}
}

// LayerCacheSizeEnv bounds the default layer cache, in MiB.
const LayerCacheSizeEnv = "GOBAKE_LAYER_CACHE_MB"

// sizeFromEnv sets c's bound from $GOBAKE_LAYER_CACHE_MB in environ, if
// set.
func (c *layerCache) sizeFromEnv(environ []string) error {
	v, ok := config.EnvMap(environ)[LayerCacheSizeEnv]
	if !ok || v == "" {
		return nil
	}
	mb, err := strconv.ParseInt(v, 10, 64)
	if err != nil || mb < 1 {
		return fmt.Errorf("$%s=%q is not a positive number of MiB", LayerCacheSizeEnv, v)
	}
	c.max = mb << 20
	return nil
}

// cacheEntry is the content of an entry file.
type cacheEntry struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// layerFormat is how a tar stream becomes a layer.
type layerFormat struct {
	mt          types.MediaType
	compression Compression
	cache       *layerCache // nil: none
	// buildIDs lets binary layers be found in the cache by the Go build ID
	// of their binary (see binarySourceID): for binaries go built with
	// its own build IDs.
	buildIDs bool
}

// key is the entry name of the layer of diffID in format f written by
// layout version layout.
func (c *layerCache) key(layout string, f layerFormat, diffID v1.Hash) string {
	comp := f.compression
	if comp == "" {
		comp = CompressionGzip
	}
	h := sha256.Sum256([]byte(strings.Join([]string{
		layerCacheVersion, layout, string(comp), compressionLevel(comp), string(f.mt), diffID.String(),
	}, "\x00")))
	return hex.EncodeToString(h[:])
}

// layer makes the layer whose tar stream write writes, in format f: from
// the cache when it holds it, else compressed and stored. write may be
// called twice and must write the same stream each time.
func (f layerFormat) layer(write func(w io.Writer) error) (v1.Layer, error) {
	return f.layerOf("", write)
}

// layerOf is layer for a stream known by source ID id as well ("" for
// none): the cache finds it by id without reading it (see layerByID).
func (f layerFormat) layerOf(id string, write func(w io.Writer) error) (v1.Layer, error) {
	if f.cache != nil && id != "" {
		return f.cache.layerByID(f, id, write)
	}
	if f.cache == nil {
		s, err := newSpool(f.compression)
		if err != nil {
			return nil, err
		}
		return spoolWith(s, f.mt, write)
	}
	return f.cache.layer(f, write)
}

// spoolWith writes the stream into s and returns the spooled layer.
func spoolWith(s *spool, mt types.MediaType, write func(w io.Writer) error) (v1.Layer, error) {
	if err := write(s); err != nil {
		s.discard()
		return nil, err
	}
	l, err := s.finish(mt)
	if err != nil {
		return nil, err
	}
	return l.layer()
}

func (c *layerCache) layer(f layerFormat, write func(w io.Writer) error) (v1.Layer, error) {
	h := sha256.New()
	if err := write(h); err != nil {
		return nil, err
	}
	diffID := sum(h)
	key := c.key(LayoutVersion, f, diffID)
	if l := c.lookup(key, diffID, f.mt); l != nil {
		c.hits.Add(1)
		return l.layer()
	}
	c.misses.Add(1)
	l, _, err := c.compress(f, write, &diffID)
	if err != nil {
		return nil, err
	}
	return l.layer()
}

// compress spools the layer write writes in format f into the cache and
// returns it with its entry name ("" when the cache could not take it:
// the layer is then in an unlinked temporary file). When want is not nil,
// the tar stream must have that diff ID.
func (c *layerCache) compress(f layerFormat, write func(w io.Writer) error, want *v1.Hash) (*spooledLayer, string, error) {
	var tmp *os.File
	err := os.MkdirAll(filepath.Join(c.dir, "blobs"), 0o755)
	if err == nil {
		tmp, err = os.CreateTemp(c.dir, "tmp-")
	}
	if err != nil {
		s, err := newSpool(f.compression)
		if err != nil {
			return nil, "", err
		}
		if err := write(s); err != nil {
			s.discard()
			return nil, "", err
		}
		l, err := s.finish(f.mt)
		return l, "", err
	}
	s, err := spoolTo(tmp, f.compression)
	if err != nil {
		os.Remove(tmp.Name())
		return nil, "", err
	}
	if err := write(s); err != nil {
		s.discard()
		os.Remove(tmp.Name())
		return nil, "", err
	}
	l, err := s.finish(f.mt)
	if err != nil {
		os.Remove(tmp.Name())
		return nil, "", err
	}
	if want != nil && l.diffID != *want {
		l.f.Close()
		os.Remove(tmp.Name())
		return nil, "", errors.New("layer files changed while being read")
	}
	key := c.key(LayoutVersion, f, l.diffID)
	c.store(tmp.Name(), key, l)
	return l, key, nil
}

// uncached returns f without its cache.
func (f layerFormat) uncached() layerFormat {
	f.cache = nil
	return f
}

// lookup returns the cached layer of key, or nil. A hit marks the entry
// and its blob used now.
func (c *layerCache) lookup(key string, diffID v1.Hash, mt types.MediaType) *spooledLayer {
	entryPath := filepath.Join(c.dir, "entries", key)
	b, err := os.ReadFile(entryPath)
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(b, &e) != nil {
		return nil
	}
	d, err := v1.NewHash(e.Digest)
	if err != nil {
		return nil
	}
	blob := filepath.Join(c.dir, "blobs", d.Hex)
	bf, err := os.Open(blob)
	if err != nil {
		return nil
	}
	if fi, err := bf.Stat(); err != nil || fi.Size() != e.Size {
		bf.Close()
		return nil
	}
	now := time.Now()
	_ = os.Chtimes(blob, now, now)
	_ = os.Chtimes(entryPath, now, now)
	return &spooledLayer{f: bf, digest: d, diffID: diffID, size: e.Size, mt: mt}
}

// store files the complete layer spooled at tmp as its digest and records
// key's entry. Failures only cost a compression next time.
func (c *layerCache) store(tmp, key string, l *spooledLayer) {
	if err := os.Rename(tmp, filepath.Join(c.dir, "blobs", l.digest.Hex)); err != nil {
		os.Remove(tmp)
		return
	}
	b, err := json.Marshal(cacheEntry{Digest: l.digest.String(), Size: l.size})
	if err != nil {
		return
	}
	_ = writeFileAtomic(filepath.Join(c.dir, "entries", key), b)
}

// prune evicts the least recently used blobs until the rest fit in
// c.max, then removes entries whose blob is gone and temporary files
// older than workDirMaxAge (left by killed runs). Errors are ignored:
// pruning only saves space.
func (c *layerCache) prune(now time.Time) {
	if c == nil {
		return
	}
	var blobs []evict.Entry
	entries, _ := os.ReadDir(filepath.Join(c.dir, "blobs"))
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			blobs = append(blobs, evict.Entry{Name: e.Name(), Size: fi.Size(), Used: fi.ModTime()})
		}
	}
	if drop := evict.LRU(blobs, c.max); len(drop) > 0 {
		for _, b := range drop {
			_ = os.Remove(filepath.Join(c.dir, "blobs", b.Name))
		}
		c.dropDangling()
	}
	for _, dir := range []string{c.dir, filepath.Join(c.dir, "entries"), filepath.Join(c.dir, "ids")} {
		files, _ := os.ReadDir(dir)
		for _, f := range files {
			if fi, err := f.Info(); err == nil && isTemp(f.Name()) && now.Sub(fi.ModTime()) > workDirMaxAge {
				_ = os.Remove(filepath.Join(dir, f.Name()))
			}
		}
	}
}

// dropDangling removes the entries whose blob is gone, and the source IDs
// whose entry is gone.
func (c *layerCache) dropDangling() {
	removeFiles(filepath.Join(c.dir, "entries"), func(b []byte) bool {
		var e cacheEntry
		d, herr := v1.Hash{}, error(nil)
		if json.Unmarshal(b, &e) == nil {
			d, herr = v1.NewHash(e.Digest)
		}
		return herr != nil || e.Digest == "" || missing(filepath.Join(c.dir, "blobs", d.Hex))
	})
	removeFiles(filepath.Join(c.dir, "ids"), func(b []byte) bool {
		var e idEntry
		return json.Unmarshal(b, &e) != nil || e.Entry == "" || missing(filepath.Join(c.dir, "entries", e.Entry))
	})
}

// removeFiles removes the files of dir, temporary ones left out, whose
// contents drop says to drop; a file that does not read is kept.
func removeFiles(dir string, drop func(contents []byte) bool) {
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if isTemp(f.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err == nil && drop(b) {
			_ = os.Remove(filepath.Join(dir, f.Name()))
		}
	}
}

// missing reports whether nothing is at path.
func missing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

// isTemp tells the cache's temporary files (layers being compressed,
// entries being written) from its entries.
func isTemp(name string) bool {
	return strings.HasPrefix(name, "tmp-") || strings.Contains(name, ".tmp-")
}
