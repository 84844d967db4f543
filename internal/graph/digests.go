package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gobake/gobake/internal/dotdir"
)

// fingerprintPrefix starts every inputs fingerprint. It names the
// InputsDigest encoding: a fingerprint stands for that digest of the
// inputs, so a new encoding needs a new prefix.
const fingerprintPrefix = "gobake-inputs-v1 fingerprint-v1"

// fingerprint identifies the inputs of an image on a platform without
// sorting or hashing them: the digests of its packages' entries (each
// sorted once per run, however many images share the package), in
// closure order, and its own entries. The inputs map is made of exactly
// these, in this order (targetInputs), so two targets with the same
// fingerprint have the same inputs and the same InputsDigest.
func fingerprint(g *group, closure []*pkg, own []entry) [32]byte {
	buf := make([]byte, 0, 64+32*len(closure)+64*len(own))
	buf = appendString(buf, fingerprintPrefix)
	buf = binary.AppendUvarint(buf, uint64(len(closure)))
	for _, p := range closure {
		sum := g.in[p.idx].sum
		buf = append(buf, sum[:]...)
	}
	buf = binary.AppendUvarint(buf, uint64(len(own)))
	for _, e := range own {
		buf = appendString(appendString(buf, e.k), e.v)
	}
	return sha256.Sum256(buf)
}

// digestCacheMagic starts a digest cache file.
const digestCacheMagic = "gobake digests v1\n"

// digestCacheMax is how many fingerprints a digest cache file keeps at
// least (those of the last run come first, then older ones).
const digestCacheMax = 4096

// digestCache maps inputs fingerprints to their InputsDigest, kept in a
// file between runs: a plan of images whose inputs were seen before
// neither sorts nor hashes them. It is safe for concurrent use. The file
// is the magic, then 64 bytes per fingerprint (the fingerprint and the
// SHA-256 of the digest), then the SHA-256 of all that; a file that does
// not check out is ignored.
type digestCache struct {
	path  string // "" keeps nothing between runs
	mu    sync.Mutex
	known map[[32]byte][32]byte // as read, and as found this run
	order [][32]byte            // the fingerprints of the file, in its order
	used  [][32]byte            // the fingerprints this run asked for, in order
	fresh bool                  // some fingerprint was not known
}

// openDigestCache reads the digest cache at path; a missing or invalid
// file gives an empty cache.
func openDigestCache(path string) *digestCache {
	c := &digestCache{path: path, known: map[[32]byte][32]byte{}}
	if path == "" {
		return c
	}
	c.order = c.read(path)
	return c
}

// learn adds the fingerprints of the digest cache file at path to those
// c knows, without keeping them: c's file gets those this run uses only.
func (c *digestCache) learn(path string) {
	c.read(path)
}

// read adds the fingerprints of the file at path to c.known and returns
// those it did not know, in the file's order.
func (c *digestCache) read(path string) [][32]byte {
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte(digestCacheMagic)) || len(b) < len(digestCacheMagic)+sha256.Size {
		return nil
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil
	}
	recs := body[len(digestCacheMagic):]
	if len(recs)%64 != 0 {
		return nil
	}
	var order [][32]byte
	for ; len(recs) > 0; recs = recs[64:] {
		fp, d := [32]byte(recs[:32]), [32]byte(recs[32:64])
		if _, dup := c.known[fp]; !dup {
			c.known[fp] = d
			order = append(order, fp)
		}
	}
	return order
}

// get returns the InputsDigest of the inputs fingerprinted fp, when known.
func (c *digestCache) get(fp [32]byte) (string, bool) {
	c.mu.Lock()
	d, ok := c.known[fp]
	if ok {
		c.used = append(c.used, fp)
	}
	c.mu.Unlock()
	if !ok {
		return "", false
	}
	return "sha256:" + hex.EncodeToString(d[:]), true
}

// put records digest (as InputsDigest returns it) for fp.
func (c *digestCache) put(fp [32]byte, digest string) {
	raw, err := hex.DecodeString(strings.TrimPrefix(digest, "sha256:"))
	if err != nil || len(raw) != 32 {
		return
	}
	c.mu.Lock()
	if _, ok := c.known[fp]; !ok {
		c.fresh = true
	}
	c.known[fp] = [32]byte(raw)
	c.used = append(c.used, fp)
	c.mu.Unlock()
}

// save writes the cache back, atomically, when this run found a
// fingerprint it did not know: this run's first, then older ones, at most
// digestCacheMax or twice this run's.
func (c *digestCache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == "" || !c.fresh {
		return nil
	}
	limit := max(digestCacheMax, 2*len(c.used))
	used := slices.Clone(c.used)
	slices.SortFunc(used, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	used = slices.Compact(used)
	written := make(map[[32]byte]bool, len(used))
	buf := []byte(digestCacheMagic)
	for _, list := range [][][32]byte{used, c.order} {
		for _, fp := range list {
			if written[fp] || len(written) == limit {
				continue
			}
			written[fp] = true
			d := c.known[fp]
			buf = append(append(buf, fp[:]...), d[:]...)
		}
	}
	sum := sha256.Sum256(buf)
	buf = append(buf, sum[:]...)
	dir := filepath.Dir(c.path)
	if err := dotdir.Prepare(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".digests-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		return err
	}
	c.fresh = false
	return nil
}
