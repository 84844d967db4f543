package layering

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// writeLayoutImage stores every blob of img in the layout at lp. Layers go
// through ggcr's layout.Path.WriteImage, which writes them to a temporary
// file and renames it; the config and the manifest are written first with
// writeFileAtomic, because ggcr writes those in place, and WriteImage then
// finds them present and skips them. No blob ever exists half-written under
// its final name.
func writeLayoutImage(lp layout.Path, img v1.Image) error {
	cfgName, err := img.ConfigName()
	if err != nil {
		return fmt.Errorf("config digest: %w", err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := putLayoutBlob(lp, cfgName, cfg); err != nil {
		return err
	}
	if err := putLayoutManifest(lp, img); err != nil {
		return err
	}
	if err := lp.WriteImage(img); err != nil {
		return fmt.Errorf("write layers: %w", err)
	}
	return nil
}

// writeLayoutIndex stores ii, its child images and indexes and all their
// blobs in the layout at lp, children first.
func writeLayoutIndex(lp layout.Path, ii v1.ImageIndex) error {
	im, err := ii.IndexManifest()
	if err != nil {
		return fmt.Errorf("index manifest: %w", err)
	}
	for _, desc := range im.Manifests {
		switch {
		case desc.MediaType.IsIndex():
			child, err := ii.ImageIndex(desc.Digest)
			if err != nil {
				return fmt.Errorf("index %s: %w", desc.Digest, err)
			}
			if err := writeLayoutIndex(lp, child); err != nil {
				return fmt.Errorf("index %s: %w", desc.Digest, err)
			}
		case desc.MediaType.IsImage():
			child, err := ii.Image(desc.Digest)
			if err != nil {
				return fmt.Errorf("image %s: %w", desc.Digest, err)
			}
			if err := writeLayoutImage(lp, child); err != nil {
				return fmt.Errorf("image %s: %w", desc.Digest, err)
			}
		default:
			return fmt.Errorf("index entry %s has unsupported media type %s", desc.Digest, desc.MediaType)
		}
	}
	return putLayoutManifest(lp, ii)
}

// putLayoutManifest stores the manifest of m as a blob.
func putLayoutManifest(lp layout.Path, m interface {
	Digest() (v1.Hash, error)
	RawManifest() ([]byte, error)
}) error {
	d, err := m.Digest()
	if err != nil {
		return fmt.Errorf("manifest digest: %w", err)
	}
	raw, err := m.RawManifest()
	if err != nil {
		return fmt.Errorf("manifest %s: %w", d, err)
	}
	return putLayoutBlob(lp, d, raw)
}

// putLayoutBlob stores b as blob h unless a blob of that name and size is
// already there. It verifies that b has digest h.
func putLayoutBlob(lp layout.Path, h v1.Hash, b []byte) error {
	got, _, err := v1.SHA256(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if got != h {
		return fmt.Errorf("blob %s: content has digest %s", h, got)
	}
	path := filepath.Join(string(lp), "blobs", h.Algorithm, h.Hex)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() == int64(len(b)) {
		return nil
	}
	if err := writeFileAtomic(path, b); err != nil {
		return fmt.Errorf("blob %s: %w", h, err)
	}
	return nil
}

// writeFileAtomic replaces path with data: it writes a temporary file in the
// same directory, syncs it and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	return writeFileAtomicFunc(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeFileAtomicFunc replaces path with what write writes, through a
// temporary file in the same directory that is removed on failure.
func writeFileAtomicFunc(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
