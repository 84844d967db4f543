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
	dirEntry := func(name string) tarEntry {
		return tarEntry{Name: name, Type: tar.TypeDir, Mode: 0o755, ModTime: mtime}
	}
	want := []tarEntry{
		dirEntry("var/"), dirEntry("var/run/"), dirEntry("var/run/ko/"),
		{Name: "var/run/ko/index.html", Type: tar.TypeSymlink, Mode: 0o777, Link: "static/a.html", ModTime: mtime},
		{Name: "var/run/ko/run.sh", Type: tar.TypeReg, Mode: 0o755, Body: "#!", ModTime: mtime},
		dirEntry("var/run/ko/static/"),
		{Name: "var/run/ko/static/a.html", Type: tar.TypeReg, Mode: 0o644, Body: "a", ModTime: mtime},
		dirEntry("var/run/ko/static/css/"),
		{Name: "var/run/ko/static/css/b.css", Type: tar.TypeReg, Mode: 0o644, Body: "b", ModTime: mtime},
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
