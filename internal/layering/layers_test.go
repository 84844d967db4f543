package layering

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestBinaryLayer(t *testing.T) {
	mtime := time.Unix(1700000000, 0).UTC()
	bin := filepath.Join(t.TempDir(), "whatever")
	noErr(t, os.WriteFile(bin, []byte("ELF"), 0o600))

	l, err := binaryLayer(bin, "api", mtime, types.OCILayer)
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

	l, err := dataLayer(dir, mtime, types.OCILayer)
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
	again, err := dataLayer(dir, mtime, types.OCILayer)
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
	l, err := dataLayer("", mtime, types.DockerLayer)
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
