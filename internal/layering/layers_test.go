package layering

import (
	"archive/tar"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestBinaryLayer(t *testing.T) {
	mtime := time.Unix(1700000000, 0).UTC()
	bin := filepath.Join(t.TempDir(), "whatever")
	noErr(t, os.WriteFile(bin, []byte("ELF"), 0o600))

	l, err := binaryLayer(bin, "api", mtime, layerFormat{mt: types.OCILayer})
	noErr(t, err)
	want := []tarEntry{
		{Name: "ko-app/", Type: tar.TypeDir, Mode: 0o755, ModTime: mtime},
		{Name: "ko-app/api", Type: tar.TypeReg, Mode: 0o555, Body: "ELF", ModTime: mtime},
	}
	if diff := cmp.Diff(want, layerEntries(t, l)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	mt, err := l.MediaType()
	noErr(t, err)
	if mt != types.OCILayer {
		t.Errorf("media type = %s, want %s", mt, types.OCILayer)
	}
}

func TestDataLayer(t *testing.T) {
	mtime := time.Unix(0, 0).UTC()
	dir := t.TempDir()
	noErr(t, os.MkdirAll(filepath.Join(dir, "static", "css"), 0o700))
	noErr(t, os.WriteFile(filepath.Join(dir, "static", "css", "b.css"), []byte("b"), 0o600))
	noErr(t, os.WriteFile(filepath.Join(dir, "static", "a.html"), []byte("a"), 0o640))
	noErr(t, os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!"), 0o700))
	noErr(t, os.Symlink("static/a.html", filepath.Join(dir, "index.html")))

	l, err := dataLayer(dir, mtime, layerFormat{mt: types.OCILayer})
	noErr(t, err)
	// As ko writes them: absolute names, no trailing slash, 0555 for every
	// file and directory whatever its source mode.
	dirEntry := func(name string) tarEntry {
		return tarEntry{Name: name, Type: tar.TypeDir, Mode: 0o555, ModTime: mtime}
	}
	want := []tarEntry{
		dirEntry("/var"), dirEntry("/var/run"), dirEntry("/var/run/ko"),
		{Name: "/var/run/ko/index.html", Type: tar.TypeSymlink, Mode: 0o777, Link: "static/a.html", ModTime: mtime},
		{Name: "/var/run/ko/run.sh", Type: tar.TypeReg, Mode: 0o555, Body: "#!", ModTime: mtime},
		dirEntry("/var/run/ko/static"),
		{Name: "/var/run/ko/static/a.html", Type: tar.TypeReg, Mode: 0o555, Body: "a", ModTime: mtime},
		dirEntry("/var/run/ko/static/css"),
		{Name: "/var/run/ko/static/css/b.css", Type: tar.TypeReg, Mode: 0o555, Body: "b", ModTime: mtime},
	}
	if diff := cmp.Diff(want, layerEntries(t, l)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}

	// The same tree gives the same layer.
	again, err := dataLayer(dir, mtime, layerFormat{mt: types.OCILayer})
	noErr(t, err)
	d1, err := l.Digest()
	noErr(t, err)
	d2, err := again.Digest()
	noErr(t, err)
	if d1 != d2 {
		t.Errorf("digests differ: %s, %s", d1, d2)
	}
}

// TestEmptyDataLayer checks the layer of an image without data: ko's
// /var/run/ko and its parents, so that $KO_DATA_PATH exists.
func TestEmptyDataLayer(t *testing.T) {
	mtime := time.Unix(0, 0).UTC()
	l, err := dataLayer("", mtime, layerFormat{mt: types.DockerLayer})
	noErr(t, err)
	want := []tarEntry{
		{Name: "/var", Type: tar.TypeDir, Mode: 0o555, ModTime: mtime},
		{Name: "/var/run", Type: tar.TypeDir, Mode: 0o555, ModTime: mtime},
		{Name: "/var/run/ko", Type: tar.TypeDir, Mode: 0o555, ModTime: mtime},
	}
	if diff := cmp.Diff(want, layerEntries(t, l)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	// The tar stream ko v0.19.1 writes for a main without kodata (and
	// without $KO_DATA_DATE_EPOCH): the same bytes give the same diff ID.
	const koDiffID = "sha256:ffe56a1c5f3878e9b5f803842adb9e2ce81584b6bd027e8599582aefe14a975b"
	if d, err := l.DiffID(); err != nil || d.String() != koDiffID {
		t.Errorf("diff ID = %v, %v; want ko's %s", d, err, koDiffID)
	}
}

// TestLayerDigestsPinned pins the digests of a binary and a data layer made
// from fixed inputs: how layers are written (in memory, streamed, spooled)
// may change, the bytes must not, or every image's digest moves. The pins
// belong to one LayoutVersion: new bytes need a new version (so that
// every image shows as changed once), and a new version new pins.
func TestLayerDigestsPinned(t *testing.T) {
	const pinnedLayout = "5"
	if LayoutVersion != pinnedLayout {
		t.Fatalf("LayoutVersion is %q, the pins below are of %q: pin the new version's digests", LayoutVersion, pinnedLayout)
	}
	mtime := time.Unix(1700000000, 0).UTC()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	noErr(t, os.WriteFile(bin, pinnedBytes(3<<20+17, 1), 0o755))
	data := filepath.Join(dir, "data")
	for i := range 40 {
		p := filepath.Join(data, fmt.Sprintf("d%d", i%5), fmt.Sprintf("f%02d.txt", i))
		noErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		noErr(t, os.WriteFile(p, pinnedBytes(i*4099, int64(i)), 0o644))
	}
	noErr(t, os.Symlink("d0/f00.txt", filepath.Join(data, "link")))

	for _, tc := range []struct {
		name           string
		layer          func() (v1.Layer, error)
		digest, diffID string
		size           int64
	}{
		{"binary", func() (v1.Layer, error) { return binaryLayer(bin, "api", mtime, layerFormat{mt: types.OCILayer}) },
			"sha256:e01d87594f5c32438905d99426b55dfd4c5e86e5f39637b88e36026ae7ba02f7",
			"sha256:f2d9e778c92c85cafb8dd69851c539b18e19b5635d4b6c662d60a709bcb04479", 3042311},
		{"data", func() (v1.Layer, error) { return dataLayer(data, mtime, layerFormat{mt: types.DockerLayer}) },
			"sha256:c3992ffbc517d77c1bafb3f295c3db8add21fc7db355b1441b474d90aaa63260",
			"sha256:83e838bdf6b2721c00565fc061ccf943ff6f89bebe22bff4bb895c4bf2316acb", 2859348},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := tc.layer()
			noErr(t, err)
			d, err := l.Digest()
			noErr(t, err)
			id, err := l.DiffID()
			noErr(t, err)
			size, err := l.Size()
			noErr(t, err)
			got := fmt.Sprintf("%s %s %d", d, id, size)
			want := fmt.Sprintf("%s %s %d", tc.digest, tc.diffID, tc.size)
			if got != want {
				t.Errorf("digest diffID size:\n got %s\nwant %s\nlayer bytes changed: bump LayoutVersion, then pin its digests", got, want)
			}
		})
	}
}

// pinnedBytes returns n bytes, half text-like and half random, the same for
// the same seed.
func pinnedBytes(n int, seed int64) []byte {
	r := rand.New(rand.NewSource(seed))
	b := make([]byte, n)
	for i := range b {
		if (i/4096)%2 == 0 {
			b[i] = "abcdefgh \n"[r.Intn(10)]
		} else {
			b[i] = byte(r.Intn(256))
		}
	}
	return b
}

// TestDataLayerLinkTarget checks that a link is shipped as its target path:
// repointed to a file with the same content, the layer differs.
func TestDataLayerLinkTarget(t *testing.T) {
	mtime := time.Unix(0, 0).UTC()
	dir := t.TempDir()
	noErr(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("same"), 0o644))
	noErr(t, os.WriteFile(filepath.Join(dir, "b.txt"), []byte("same"), 0o644))
	link := filepath.Join(dir, "current.txt")
	digest := func(target string) v1.Hash {
		os.Remove(link)
		noErr(t, os.Symlink(target, link))
		l, err := dataLayer(dir, mtime, layerFormat{mt: types.OCILayer})
		noErr(t, err)
		d, err := l.Digest()
		noErr(t, err)
		return d
	}
	if a, b := digest("a.txt"), digest("b.txt"); a == b {
		t.Errorf("the layer is %s whether current.txt points at a.txt or b.txt", a)
	}
}

// BenchmarkDataLayer layers 64 MiB of data in 16 files: with streaming,
// about 2 MB is allocated per layer whatever the data size (gzip and copy
// buffers), where the in-memory layer held the tar and its gzip.
func BenchmarkDataLayer(b *testing.B) {
	dir := b.TempDir()
	for i := range 16 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d", i)), pinnedBytes(4<<20, int64(i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(64 << 20)
	b.ReportAllocs()
	for b.Loop() {
		l, err := dataLayer(dir, time.Unix(0, 0), layerFormat{mt: types.OCILayer})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := l.Digest(); err != nil {
			b.Fatal(err)
		}
	}
}
