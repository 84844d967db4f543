package layering

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/platform"
	"github.com/gobake/gobake/internal/testutil"
	"github.com/google/go-containerregistry/pkg/registry"
)

// BenchmarkBuildSample builds every image of testdata/monorepo (four images,
// five platform images, SPDX SBOMs) and pushes them to an in-memory
// registry, as a warm `gobake build` does:
//
//   - warm: the real go compiler, build and output caches filled by the
//     first iteration;
//   - prebuilt: binaries compiled once, so only layering, SBOMs and the push
//     are measured.
func BenchmarkBuildSample(b *testing.B) {
	cfg, err := config.Load(filepath.Join("..", "..", "testdata", "monorepo", "gobake.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	host := testutil.InMemoryRegistry(b, registry.Logger(nopLogger()))
	environ := append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	real := NewGoCompiler(WithBuildEnviron(environ), WithOutputCache(b.TempDir()))

	// Binaries for the prebuilt case, compiled once.
	prebuilt := b.TempDir()
	var mu sync.Mutex
	binaries := map[string]string{}
	record := CompilerFunc(func(ctx context.Context, req CompileRequest) error {
		keep := filepath.Join(prebuilt, req.Image+"-"+req.Platform.Architecture)
		r := req
		r.Output = keep
		if err := real.Compile(ctx, r); err != nil {
			return err
		}
		mu.Lock()
		binaries[req.Image+platform.Format(req.Platform)] = keep
		mu.Unlock()
		return linkOrCopy(keep, req.Output)
	})
	if _, err := buildAll(b, cfg, "", WithCompiler(record), WithEnviron(environ)); err != nil {
		b.Fatal(err)
	}
	linker := CompilerFunc(func(ctx context.Context, req CompileRequest) error {
		return linkOrCopy(binaries[req.Image+platform.Format(req.Platform)], req.Output)
	})

	for _, bc := range []struct {
		name     string
		compiler Compiler
	}{{"warm", real}, {"prebuilt", linker}} {
		b.Run(bc.name, func(b *testing.B) {
			pub := NewRegistryPublisher(host + "/bench")
			buildAndPush := func() {
				ctx := context.Background()
				results, err := buildAll(b, cfg, "", WithCompiler(bc.compiler), WithEnviron(environ), WithJobs(2))
				if err != nil {
					b.Fatal(err)
				}
				var wg sync.WaitGroup
				errs := make([]error, len(results))
				for i, r := range results {
					wg.Go(func() { _, errs[i] = pub.Publish(ctx, r, r.Tags) })
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
			buildAndPush() // fills the output cache and the registry
			for b.Loop() {
				buildAndPush()
			}
		})
	}
}
