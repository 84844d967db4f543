package layering

import (
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestDataLayerMemory layers 32 MiB of incompressible data and reads the
// layer back: what the layer allocates must not grow with the data. A
// layer built whole in a bytes.Buffer allocated the tar and its gzip (2 GB
// of kodata took 5.3 GB RSS); streamed through a spool file it allocates a
// few buffers.
func TestDataLayerMemory(t *testing.T) {
	const size = 32 << 20
	dir := t.TempDir()
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(data)
	noErr(t, os.WriteFile(filepath.Join(dir, "blob.bin"), data, 0o644))
	data = nil

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	l, err := dataLayer(dir, time.Unix(0, 0), layerFormat{mt: types.OCILayer})
	noErr(t, err)
	_, err = l.Digest()
	noErr(t, err)
	rc, err := l.Compressed()
	noErr(t, err)
	n, err := io.Copy(io.Discard, rc)
	noErr(t, err)
	noErr(t, rc.Close())
	runtime.ReadMemStats(&after)

	if n < size {
		t.Fatalf("the layer of %d random bytes is %d bytes compressed", size, n)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("layering %d MiB allocated %d KiB", size>>20, alloc>>10)
	if alloc > size/4 {
		t.Errorf("layering %d MiB allocated %d MiB: the layer is held in memory", size>>20, alloc>>20)
	}
}
