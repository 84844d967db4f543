package layering

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// A layer whose tar stream is known by a cheaper identity than its bytes
// (a source ID) is found in the layer cache without reading it: ids/<key>
// maps the source ID, in a format, to the layer's diff ID and entry. The
// one source ID so far is a Go binary's build ID: go computes its last
// part from the binary's content (the SHA-256 of the file with the build
// ID zeroed, as go's own up-to-date check uses it), so one build ID is one
// binary. A binary whose layer is not found so is compressed at once,
// without hashing its tar stream first: it is most likely new.

// binarySourceID names the binary layer of the file at binaryPath, at
// AppDir/name with the given time, by the file's size and Go build ID: ""
// when it has none that go computed (not an ELF Go binary, or a build ID
// that is not go's own shape). Only binaries go built with no -buildid of
// the user's may be named so (see trustBuildID).
func binarySourceID(binaryPath, name string, mtime time.Time) string {
	f, err := os.Open(binaryPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	id := goBuildID(f)
	if id == "" {
		return ""
	}
	return fmt.Sprintf("go binary\x00%s\x00%o\x00%d\x00%d\x00%s", name, 0o555, mtime.Unix(), fi.Size(), id)
}

// goBuildID reads the Go build ID of an ELF binary from its
// .note.go.buildid section, "" when there is none of go's shape: parts
// of 20 characters of URL-safe base64, separated by slashes, the last
// the content ID.
func goBuildID(r io.ReaderAt) string {
	ef, err := elf.NewFile(r)
	if err != nil {
		return ""
	}
	defer ef.Close()
	s := ef.Section(".note.go.buildid")
	if s == nil || s.Size > 1<<10 {
		return ""
	}
	note, err := s.Data()
	if err != nil || len(note) < 16 {
		return ""
	}
	bo := ef.ByteOrder
	namesz, descsz, typ := bo.Uint32(note), bo.Uint32(note[4:]), bo.Uint32(note[8:])
	const goBuildIDNote = 4
	if namesz != 4 || typ != goBuildIDNote || !bytes.Equal(note[12:16], []byte("Go\x00\x00")) || uint64(descsz) > uint64(len(note)-16) {
		return ""
	}
	id := string(note[16 : 16+descsz])
	parts := strings.Split(id, "/")
	if len(parts) < 2 {
		return ""
	}
	for _, p := range parts {
		if len(p) != 20 || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return ""
		}
	}
	return id
}

// trustBuildID reports whether the build IDs of binaries built with
// these flags, ldflags and environment are go's own: the user can set
// one with -ldflags=-buildid=…, which need not follow the content.
func trustBuildID(flags, ldflags, env []string) bool {
	for _, l := range [][]string{flags, ldflags, env} {
		for _, s := range l {
			if strings.Contains(s, "buildid") {
				return false
			}
		}
	}
	return true
}

// idEntry is the content of an ids/ file.
type idEntry struct {
	DiffID string `json:"diffID"`
	Entry  string `json:"entry"` // name in entries/
}

// idKey is the file name under ids/ of source ID id in format f, written
// by layout version layout.
func (c *layerCache) idKey(layout string, f layerFormat, id string) string {
	comp := f.compression
	if comp == "" {
		comp = CompressionGzip
	}
	h := sha256.New()
	for _, s := range []string{layerCacheVersion, "source id", layout, string(comp), compressionLevel(comp), string(f.mt), id} {
		h.Write(binary.AppendUvarint(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// layerByID makes the layer of source ID id whose tar stream write
// writes, in format f: from the cache when ids/ knows it, else compressed
// and stored (both the layer and its source ID).
func (c *layerCache) layerByID(f layerFormat, id string, write func(w io.Writer) error) (v1.Layer, error) {
	idPath := filepath.Join(c.dir, "ids", c.idKey(LayoutVersion, f, id))
	if b, err := os.ReadFile(idPath); err == nil {
		var e idEntry
		if json.Unmarshal(b, &e) == nil {
			if d, err := v1.NewHash(e.DiffID); err == nil && e.Entry == c.key(LayoutVersion, f, d) {
				if l := c.lookup(e.Entry, d, f.mt); l != nil {
					c.hits.Add(1)
					now := time.Now()
					_ = os.Chtimes(idPath, now, now)
					return l.layer()
				}
			}
		}
	}
	c.misses.Add(1)
	l, key, err := c.compress(f, write, nil)
	if err != nil {
		return nil, err
	}
	if key != "" {
		if b, err := json.Marshal(idEntry{DiffID: l.diffID.String(), Entry: key}); err == nil {
			_ = writeFileAtomic(idPath, b)
		}
	}
	return l.layer()
}
