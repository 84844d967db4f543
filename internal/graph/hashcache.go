package graph

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/gobake/gobake/internal/dotdir"
)

// racyWindow is how recent a file's mtime may be before its hash is not
// cached: a file written within the same clock tick as it was hashed could
// change again without changing size or mtime (git's "racy git" problem).
const racyWindow = 2 * time.Second

// fileKey identifies one version of a file without reading it.
type fileKey struct {
	Size  int64
	MTime int64 // nanoseconds
	Inode uint64
	CTime int64 // nanoseconds; changes on every write, even one that restores the mtime
	Mode  uint32
}

// cacheEntry is a file's key and the SHA-256 of its content.
type cacheEntry struct {
	Key  fileKey
	Hash string
}

// HashCache hashes files, remembering hashes by path, size, mtime, inode
// ctime and mode so that unchanged files are not read again. It is safe for
// concurrent use. The zero value is not usable; use NewHashCache or
// OpenHashCache.
type HashCache struct {
	path    string // where Save writes; "" when in memory only
	read    sync.Once
	mu      sync.Mutex
	entries map[string]cacheEntry
	dirty   bool
}

// NewHashCache returns an empty in-memory cache.
func NewHashCache() *HashCache {
	return &HashCache{entries: make(map[string]cacheEntry)}
}

// OpenHashCache returns the cache stored at path, read when first used (a
// plan that finds its records kept never hashes a file). A missing or
// unreadable cache file yields an empty cache: the cache is only an
// accelerator.
func OpenHashCache(path string) *HashCache {
	c := NewHashCache()
	c.path = path
	return c
}

// load reads the stored cache, once, before any entry is used.
func (c *HashCache) load() {
	c.read.Do(func() {
		if c.path == "" {
			return
		}
		b, err := os.ReadFile(c.path)
		if err != nil {
			return
		}
		if entries, err := decodeHashes(b); err == nil {
			c.mu.Lock()
			c.entries = entries
			c.mu.Unlock()
		}
	})
}

// Save writes the cache back to the path it was opened from, atomically.
// It does nothing for an in-memory cache or when nothing changed.
func (c *HashCache) Save() error {
	c.mu.Lock() // dirty: an entry was added, after the stored ones were read
	defer c.mu.Unlock()
	if c.path == "" || !c.dirty {
		return nil
	}
	if err := dotdir.Prepare(filepath.Dir(c.path)); err != nil {
		return fmt.Errorf("saving hash cache: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("saving hash cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".filehash-*")
	if err != nil {
		return fmt.Errorf("saving hash cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(encodeHashes(c.entries)); err != nil {
		tmp.Close()
		return fmt.Errorf("saving hash cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving hash cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return fmt.Errorf("saving hash cache: %w", err)
	}
	c.dirty = false
	return nil
}

// Hash returns the hex SHA-256 of the file at path (following symlinks).
func (c *HashCache) Hash(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("hashing %s: not a regular file", path)
	}
	key := keyOf(fi)
	c.load()
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && e.Key == key {
		return e.Hash, nil
	}
	h, err := hashFile(path)
	if err != nil {
		return "", err
	}
	if time.Since(fi.ModTime()) > racyWindow {
		c.mu.Lock()
		c.entries[path] = cacheEntry{Key: key, Hash: h}
		c.dirty = true
		c.mu.Unlock()
	}
	return h, nil
}

// HashAll hashes paths in parallel and returns their hashes by path.
func (c *HashCache) HashAll(ctx context.Context, paths []string) (map[string]string, error) {
	return hashAll(ctx, paths, c.Hash)
}

// hashCacheMagic starts a hash cache file. The file is the magic, the
// number of entries, each entry (its path, the five numbers of its key
// and its hash; strings length-prefixed, numbers as varints) and a
// CRC-32C of all that. (Files of earlier versions, in gob, are ignored.)
const hashCacheMagic = "gobake filehash\n"

// encodeHashes encodes the entries of a hash cache, by path.
func encodeHashes(entries map[string]cacheEntry) []byte {
	b := binary.AppendUvarint([]byte(hashCacheMagic), uint64(len(entries)))
	for _, path := range sortedKeys(entries) {
		e := entries[path]
		b = appendString(b, path)
		b = appendFileKey(b, e.Key)
		b = appendString(b, e.Hash)
	}
	return appendChecksum(b)
}

var errHashCodec = errors.New("hash cache: bad encoding")

// decodeHashes decodes what encodeHashes returned.
func decodeHashes(b []byte) (map[string]cacheEntry, error) {
	body, ok := checkFrame(b, hashCacheMagic)
	if !ok {
		return nil, errHashCodec
	}
	all := string(body) // every path and hash is a slice of it: one allocation
	d := &graphDecoder{b: body, off: len(hashCacheMagic)}
	str := func() string {
		n := d.count(0)
		s := all[d.off : d.off+n]
		d.off += n
		return s
	}
	n := d.count(7)
	out := make(map[string]cacheEntry, n)
	for range n {
		path := str()
		k := d.fileKey()
		out[path] = cacheEntry{Key: k, Hash: str()}
	}
	if d.bad || d.off != len(body) {
		return nil, errHashCodec
	}
	return out, nil
}

func keyOf(fi fs.FileInfo) fileKey {
	k := fileKey{Size: fi.Size(), MTime: fi.ModTime().UnixNano(), Mode: uint32(fi.Mode())}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		k.Inode = uint64(st.Ino)
		k.CTime = st.Ctim.Nano()
	}
	return k
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
