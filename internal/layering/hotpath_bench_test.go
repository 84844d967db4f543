package layering

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/config"
)

// BenchmarkBinaryLayer makes the layer of a real Go binary (this test's
// own executable, tens of MB with a build ID), as a build does for each
// image and platform:
//
//   - compress: a new binary, gzip at gobake's level (what every changed
//     image costs on top of its link);
//   - diffid-hit: an unchanged binary found in the layer cache by hashing
//     its tar stream (a binary without a Go build ID of go's own);
//   - buildid-hit: an unchanged binary found by its Go build ID, not read.
//
// MB/s are of the binary.
func BenchmarkBinaryLayer(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(exe)
	if err != nil {
		b.Fatal(err)
	}
	mtime := time.Unix(1700000000, 0)
	if binarySourceID(exe, "app", mtime) == "" {
		b.Fatalf("%s has no Go build ID", exe)
	}
	gz := layerFormat{mt: types.OCILayer, compression: CompressionGzip}
	cached := gz
	cached.cache = newLayerCache(b.TempDir(), 0)
	byID := cached
	byID.buildIDs = true
	for _, f := range []layerFormat{cached, byID} { // fill the cache
		if _, err := binaryLayer(exe, "app", mtime, f); err != nil {
			b.Fatal(err)
		}
	}
	for _, bc := range []struct {
		name string
		f    layerFormat
	}{{"compress", gz}, {"diffid-hit", cached}, {"buildid-hit", byID}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				l, err := binaryLayer(exe, "app", mtime, bc.f)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := l.Digest(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompileReuse is what an unchanged image costs the compiler
// when the output cache keeps its binary by inputs: the key, a hard link
// and a time stamp, no go command.
func BenchmarkCompileReuse(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "built")
	if err := os.WriteFile(bin, pinnedBytes(1<<20, 1), 0o755); err != nil {
		b.Fatal(err)
	}
	c := NewGoCompiler(WithOutputCache(filepath.Join(dir, "cache")), WithBuildEnviron(os.Environ()))
	req := CompileRequest{Image: "api", Dir: dir, Main: "./cmd/api", Platform: v1.Platform{OS: "linux", Architecture: "amd64"},
		Ldflags: []string{"-X main.version=1"}, Inputs: "sha256:" + config.Scratch}
	c.keepInputs(req, bin)
	out := filepath.Join(dir, "out")
	for b.Loop() {
		_ = os.Remove(out)
		req.Output = out
		if !c.reuse(req) {
			b.Fatal("no binary kept for the inputs")
		}
	}
}

// BenchmarkPublishUnchanged publishes two two-platform images with SBOMs
// to an in-process registry that holds them already, as a build of
// unchanged images does: HEAD requests only.
func BenchmarkPublishUnchanged(b *testing.B) {
	reg := newBuildRegistry(b)
	platforms := []string{"linux/amd64", "linux/arm64"}
	cfg := configFixture(b,
		config.Image{Name: "api", Settings: config.Settings{Platforms: platforms}},
		config.Image{Name: "web", Settings: config.Settings{Platforms: platforms}},
	)
	results, err := buildAll(b, cfg, "1.0.0", WithCompiler(&fakeCompiler{}), WithLayerCache("", 0), WithSBOMFormats())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p := NewRegistryPublisher(reg.host+"/acme", testRegistryOptions()...)
	for _, r := range results {
		if _, err := p.Publish(ctx, r, []string{"latest"}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		p := NewRegistryPublisher(reg.host+"/acme", testRegistryOptions()...)
		for _, r := range results {
			if _, err := p.Publish(ctx, r, []string{"latest"}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
