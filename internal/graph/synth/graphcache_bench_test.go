package synth

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/graph"
)

// BenchmarkPlanNoop is BenchmarkPlan with the package graph and the
// input digests kept between runs, as `gobake plan` keeps them: a no-op
// plan lists nothing and hashes no image's inputs again.
func BenchmarkPlanNoop(b *testing.B) {
	dir := b.TempDir()
	cfg, err := Generate(dir, Default())
	if err != nil {
		b.Fatal(err)
	}
	old := time.Now().Add(-time.Hour) // out of the racy window, so hashes and the graph are kept
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, old, old) })
	// A graph is stored only when no file or directory it depends on
	// changed (ctime too, which Chtimes sets) shortly before go list
	// started: .gobake (a change of the root directory) is made first,
	// and that window (2 s) let pass, so that the first plan below stores
	// the graph; else the first timed plans list again.
	if err := os.MkdirAll(filepath.Join(dir, ".gobake", "cache"), 0o755); err != nil {
		b.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	ctx := context.Background()
	hashes := filepath.Join(dir, ".gobake", "cache", "filehash.v1")
	graphs := filepath.Join(dir, ".gobake", "cache", "graph")
	digests := filepath.Join(dir, ".gobake", "cache", "digests.v1")
	for range 2 { // the second as the timed ones: nothing listed
		cache := graph.OpenHashCache(hashes)
		if _, err := graph.Compute(ctx, cfg, graph.Options{Cache: cache, GraphCache: graphs, DigestCache: digests}); err != nil {
			b.Fatal(err)
		}
		if err := cache.Save(); err != nil {
			b.Fatal(err)
		}
	}
	cpu := startCPU()
	b.ResetTimer()
	for b.Loop() {
		cache := graph.OpenHashCache(hashes)
		s, err := graph.Compute(ctx, cfg, graph.Options{Cache: cache, GraphCache: graphs, DigestCache: digests})
		if err != nil {
			b.Fatal(err)
		}
		graph.Plan(s, s.Records)
	}
	cpu.report(b)
}
