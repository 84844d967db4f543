package layering

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is how layers are compressed.
type Compression string

const (
	// CompressionGzip writes gzip layers, which every registry and runtime
	// accepts (the default).
	CompressionGzip Compression = "gzip"
	// CompressionZstd writes zstd layers (OCI media type
	// application/vnd.oci.image.layer.v1.tar+zstd): smaller and faster to
	// unpack, for registries and runtimes that accept them.
	CompressionZstd Compression = "zstd"
)

// Levels of the compressors, fixed so that the same tar stream always
// gives the same bytes: klauspost/compress's gzip at level 2 compresses a
// Go binary about 2.4 times as fast as the standard library's at level 1,
// to the same size (see README, "Benchmarks"). Each stream is compressed
// by one goroutine, so the bytes do not depend on the number of cores.
const (
	gzipLevel = 2
	zstdLevel = zstd.SpeedFastest
)

// compressionLevel names the level of c, for the layer cache's key.
func compressionLevel(c Compression) string {
	if c == CompressionZstd {
		return zstdLevel.String()
	}
	return fmt.Sprint(gzipLevel)
}

// newCompressor returns a writer compressing into w with c.
func newCompressor(w io.Writer, c Compression) (io.WriteCloser, error) {
	switch c {
	case CompressionGzip, "":
		return gzip.NewWriterLevel(w, gzipLevel)
	case CompressionZstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstdLevel), zstd.WithEncoderConcurrency(1))
	}
	return nil, fmt.Errorf("unknown compression %q", c)
}

// spool compresses a layer's tar stream once into a file as it is
// written, hashing both sides on the way: memory stays a few buffers
// whatever the layer's size, and the layer is compressed once however
// often it is read. Without a layer cache, the file is a temporary one,
// unlinked as soon as it is made, so it lives exactly as long as the open
// file (closed when the layer is garbage collected, or when the process
// ends, killed or not).
type spool struct {
	f      *os.File
	buf    *bufio.Writer
	zw     io.WriteCloser
	diffID hash.Hash // of the tar stream
	digest hash.Hash // of the compressed stream
	size   int64     // of the compressed stream
	w      io.Writer // where the tar stream goes
}

// newSpool starts a spool in an unlinked file of the temporary directory.
func newSpool(c Compression) (*spool, error) {
	f, err := os.CreateTemp("", "gobake-layer-*")
	if err != nil {
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	// Unlinked at once: nothing to clean up later. Where an open file
	// cannot be removed the file stays in the temporary directory.
	_ = os.Remove(f.Name())
	return spoolTo(f, c)
}

// spoolTo starts a spool writing to f, which it closes on failure.
func spoolTo(f *os.File, c Compression) (*spool, error) {
	s := &spool{f: f, diffID: sha256.New(), digest: sha256.New()}
	s.buf = bufio.NewWriterSize(io.MultiWriter(f, s.digest, (*counter)(&s.size)), 1<<16)
	zw, err := newCompressor(s.buf, c)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	s.zw = zw
	s.w = io.MultiWriter(s.diffID, s.zw)
	return s, nil
}

// Write adds tar bytes to the layer.
func (s *spool) Write(p []byte) (int, error) { return s.w.Write(p) }

// finish ends the compressed stream and describes the spooled layer of
// media type mt. The spool must not be written to afterwards.
func (s *spool) finish(mt types.MediaType) (*spooledLayer, error) {
	if err := s.zw.Close(); err != nil {
		s.discard()
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	if err := s.buf.Flush(); err != nil {
		s.discard()
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	return &spooledLayer{f: s.f, digest: sum(s.digest), diffID: sum(s.diffID), size: s.size, mt: mt}, nil
}

// discard drops a spool that will not become a layer.
func (s *spool) discard() { s.f.Close() }

// sum returns the sha256 hash of h as a v1.Hash.
func sum(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}

// counter counts the bytes written to it.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}

// spooledLayer is a compressed layer in a file; go-containerregistry's
// partial.CompressedToLayer makes it a v1.Layer (Uncompressed unzips it).
type spooledLayer struct {
	f              *os.File
	digest, diffID v1.Hash
	size           int64
	mt             types.MediaType
}

// layer returns l as a v1.Layer.
func (l *spooledLayer) layer() (v1.Layer, error) { return partial.CompressedToLayer(l) }

// Digest returns the sha256 of the compressed layer.
func (l *spooledLayer) Digest() (v1.Hash, error) { return l.digest, nil }

// DiffID returns the sha256 of the uncompressed layer.
func (l *spooledLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Size returns the size of the compressed layer.
func (l *spooledLayer) Size() (int64, error) { return l.size, nil }

// MediaType returns the layer's media type.
func (l *spooledLayer) MediaType() (types.MediaType, error) { return l.mt, nil }

// Compressed returns a new reader of the compressed layer; readers are
// independent and may run concurrently.
func (l *spooledLayer) Compressed() (io.ReadCloser, error) {
	return &fileSection{SectionReader: io.NewSectionReader(l.f, 0, l.size), f: l.f}, nil
}

// fileSection reads part of a file; it keeps the file (so the layer's
// data) alive while it is read. Closing it leaves the file open for other
// readers.
type fileSection struct {
	*io.SectionReader
	f *os.File
}

// Close ends this reader.
func (s *fileSection) Close() error { return nil }
