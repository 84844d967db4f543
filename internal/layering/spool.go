package layering

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// spoolLevel is the gzip level of layers: go-containerregistry's default
// for tarball layers, so that digests stay what they were when ggcr
// compressed them.
const spoolLevel = gzip.BestSpeed

// spool gzips a layer's tar stream once into a temporary file as it is
// written, hashing both sides on the way: memory stays a few buffers
// whatever the layer's size, and the layer is compressed once however
// often it is read. The file is unlinked as soon as it is made, so it
// lives exactly as long as the open file (closed when the layer is
// garbage collected, or when the process ends, killed or not).
type spool struct {
	f      *os.File
	buf    *bufio.Writer
	gz     *gzip.Writer
	diffID hash.Hash // of the tar stream
	digest hash.Hash // of the gzip stream
	size   int64     // of the gzip stream
	w      io.Writer // where the tar stream goes
}

// newSpool starts a spool in the temporary directory.
func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "gobake-layer-*")
	if err != nil {
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	// Unlinked at once: nothing to clean up later. Where an open file
	// cannot be removed the file stays in the temporary directory.
	_ = os.Remove(f.Name())
	s := &spool{f: f, diffID: sha256.New(), digest: sha256.New()}
	s.buf = bufio.NewWriterSize(io.MultiWriter(f, s.digest, (*counter)(&s.size)), 1<<16)
	s.gz, err = gzip.NewWriterLevel(s.buf, spoolLevel)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	s.w = io.MultiWriter(s.diffID, s.gz)
	return s, nil
}

// Write adds tar bytes to the layer.
func (s *spool) Write(p []byte) (int, error) { return s.w.Write(p) }

// layer finishes the gzip stream and returns the spooled layer of media
// type mt. The spool must not be written to afterwards.
func (s *spool) layer(mt types.MediaType) (v1.Layer, error) {
	if err := s.gz.Close(); err != nil {
		s.discard()
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	if err := s.buf.Flush(); err != nil {
		s.discard()
		return nil, fmt.Errorf("spool layer: %w", err)
	}
	return partial.CompressedToLayer(&spooledLayer{
		f:      s.f,
		digest: sum(s.digest),
		diffID: sum(s.diffID),
		size:   s.size,
		mt:     mt,
	})
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

// spooledLayer is a gzip layer in a spool file; go-containerregistry's
// partial.CompressedToLayer makes it a v1.Layer (Uncompressed unzips it).
type spooledLayer struct {
	f              *os.File
	digest, diffID v1.Hash
	size           int64
	mt             types.MediaType
}

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
