package baseimage_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// committed is the layout the sample monorepo builds on.
const committed = "../../../testdata/monorepo/bases/static"

// readTree returns every regular file under dir, by slash path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return out
}

func TestCommittedLayoutIsCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := baseimage.WriteLayout(dir); err != nil {
		t.Fatal(err)
	}
	want, got := readTree(t, dir), readTree(t, committed)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("testdata/monorepo/bases/static is stale; regenerate with\n"+
			"  go run ./internal/testutil/baseimage/cmd/mkbase testdata/monorepo/bases/static\n(-generated +committed):\n%s", diff)
	}
}

func TestIndexIsDeterministic(t *testing.T) {
	digest := func() v1.Hash {
		idx, err := baseimage.Index()
		if err != nil {
			t.Fatal(err)
		}
		h, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("two calls gave %s and %s", a, b)
	}
}

func TestImage(t *testing.T) {
	for _, p := range baseimage.Platforms {
		t.Run(p.String(), func(t *testing.T) {
			img, err := baseimage.Image(p)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS != p.OS || cf.Architecture != p.Architecture {
				t.Errorf("config platform = %s/%s, want %s", cf.OS, cf.Architecture, p)
			}
			if diff := cmp.Diff([]string{"PATH=" + baseimage.Path}, cf.Config.Env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
			files := layerFiles(t, img)
			for name, want := range map[string]string{
				"etc/passwd": "nonroot:x:65532:65532:",
				"etc/group":  "nonroot:x:65532:",
			} {
				if !bytes.Contains([]byte(files[name]), []byte(want)) {
					t.Errorf("%s = %q, want it to contain %q", name, files[name], want)
				}
			}
			for _, dir := range []string{"tmp/", "home/nonroot/"} {
				if _, ok := files[dir]; !ok {
					t.Errorf("layer has no %s", dir)
				}
			}
		})
	}
}

// layerFiles returns the entries of img's only layer: name to content.
func layerFiles(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("base has %d layers, want 1", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = string(b)
	}
}
