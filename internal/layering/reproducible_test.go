package layering

import (
	"os"
	"testing"

	"github.com/gobake/gobake/internal/config"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestBuildReproducible runs real builds of the same source: with the usual
// build cache and no layer cache, with an empty build cache and an empty
// layer cache, and again with that layer cache filled (layers reused): the
// image and SBOM digests must match.
func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the runtime twice")
	}
	src := writeMain(t, "package main\n\nvar version = \"dev\"\n\nfunc main() { println(\"hello\", version) }\n")
	layers := t.TempDir()
	build := func(gocache string, layerCache string) (v1.Hash, []v1.Hash) {
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
		results, err := buildAll(t, cfg, "1.0.0", WithEnviron(environ), WithJobs(2), WithLayerCache(layerCache, 0))
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
	d1, s1 := build("", "")
	gocache := t.TempDir()
	d2, s2 := build(gocache, layers)
	d3, s3 := build(gocache, layers)
	if d1 != d2 || d2 != d3 {
		t.Errorf("image digests differ across build and layer caches: no layer cache %s, empty %s, filled %s", d1, d2, d3)
	}
	if diff := cmp.Diff(s2, s3); diff != "" {
		t.Errorf("SBOM digests differ with the layer cache filled (-empty +filled):\n%s", diff)
	}
	if len(s1) != 1 {
		t.Errorf("%d SBOMs, want 1", len(s1))
	}
	if diff := cmp.Diff(s1, s2); diff != "" {
		t.Errorf("SBOM digests differ (-first +second):\n%s", diff)
	}
}
