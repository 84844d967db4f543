package layering

import (
	"os"
	"testing"

	"github.com/gobake/gobake/internal/config"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestBuildReproducible runs two real builds of the same source, one with
// the usual build cache and one with an empty one: the image and SBOM
// digests must match.
func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the runtime twice")
	}
	src := writeMain(t, "package main\n\nvar version = \"dev\"\n\nfunc main() { println(\"hello\", version) }\n")
	build := func(gocache string) (v1.Hash, []v1.Hash) {
		cfg := configFixture(t, config.Image{
			Name: "hello", Dir: src, Main: ".",
			Settings: config.Settings{
				Platforms: []string{"linux/amd64"},
				Ldflags:   []string{"-s", "-w", "-X main.version={{.Version}}"},
			},
		})
		environ := append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
		if gocache != "" {
			environ = append(environ, "GOCACHE="+gocache)
		}
		results, err := buildAll(t, cfg, "1.0.0", WithEnviron(environ), WithJobs(2))
		noErr(t, err)
		r := results[0]
		if r.Image == nil {
			t.Fatal("want an image")
		}
		d, err := r.Image.Digest()
		noErr(t, err)
		var sboms []v1.Hash
		for _, ref := range r.Referrers {
			ad, err := ref.Artifact.Digest()
			noErr(t, err)
			sboms = append(sboms, ad)
		}
		return d, sboms
	}
	d1, s1 := build("")
	d2, s2 := build(t.TempDir())
	if d1 != d2 {
		t.Errorf("image digests differ across build caches: %s, %s", d1, d2)
	}
	if len(s1) != 1 {
		t.Errorf("%d SBOMs, want 1", len(s1))
	}
	if diff := cmp.Diff(s1, s2); diff != "" {
		t.Errorf("SBOM digests differ (-first +second):\n%s", diff)
	}
}
