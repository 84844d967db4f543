package synth

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/graph"
)

// BenchmarkPlan computes the inputs of every image of the default
// synthetic monorepo (300 mains, ~10,000 packages) with a warm file hash
// cache, as a re-plan does.
func BenchmarkPlan(b *testing.B) {
	dir := b.TempDir()
	cfg, err := Generate(dir, Default())
	if err != nil {
		b.Fatal(err)
	}
	old := time.Now().Add(-time.Hour) // out of the racy window, so hashes are cached
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	ctx := context.Background()
	cache := graph.OpenHashCache(filepath.Join(dir, ".gobake", "cache", "filehash.v1"))
	if _, err := graph.Compute(ctx, cfg, graph.Options{Cache: cache}); err != nil {
		b.Fatal(err)
	}
	if err := cache.Save(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		cache := graph.OpenHashCache(filepath.Join(dir, ".gobake", "cache", "filehash.v1"))
		s, err := graph.Compute(ctx, cfg, graph.Options{Cache: cache})
		if err != nil {
			b.Fatal(err)
		}
		graph.Plan(s, s.Records)
	}
}
