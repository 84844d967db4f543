package layering

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// TestLayerCacheBuildIDs: binary layers found by the Go build ID of
// their binary. Two go-built binaries (versions 1 and 2 by -X): the same
// binary again, or its copy, hits without a new layer; the other binary,
// another name or time, or the format miss; every layer equals an
// uncached one; a binary with no build ID of go's shape is hashed as
// before; source IDs go with their evicted entry.
func TestLayerCacheBuildIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	dir := writeMain(t, "package main\n\nvar version string\n\nfunc main() { println(version) }\n")
	bins := t.TempDir()
	c := NewGoCompiler()
	build := func(version string, ldflags ...string) string {
		out := filepath.Join(bins, "app-"+version)
		noErr(t, c.Compile(context.Background(), CompileRequest{Image: "app", Dir: dir, Main: ".",
			Platform: v1.Platform{OS: "linux", Architecture: "amd64"},
			Ldflags:  append([]string{"-X main.version=" + version}, ldflags...), Output: out}))
		return out
	}
	bin1, bin2 := build("1"), build("2")
	forged := build("3", "-buildid=forged") // not go's shape
	copy1 := filepath.Join(bins, "copy")
	b, err := os.ReadFile(bin1)
	noErr(t, err)
	noErr(t, os.WriteFile(copy1, b, 0o755))
	for _, p := range []string{bin1, bin2, copy1} {
		if binarySourceID(p, "app", time.Unix(0, 0)) == "" {
			t.Fatalf("%s: no build ID", p)
		}
	}
	if id := binarySourceID(forged, "app", time.Unix(0, 0)); id != "" {
		t.Errorf("a binary with -buildid=forged has source ID %q", id)
	}

	cache := newLayerCache(filepath.Join(t.TempDir(), "cache"), 0)
	mtime := time.Unix(1700000000, 0).UTC()
	gzipOCI := layerFormat{mt: types.OCILayer, compression: CompressionGzip}
	steps := []struct {
		name        string
		bin, binary string
		mtime       time.Time
		format      layerFormat
		hit         bool
	}{
		{"first", bin1, "app", mtime, gzipOCI, false},
		{"again", bin1, "app", mtime, gzipOCI, true},
		{"a copy", copy1, "app", mtime, gzipOCI, true},
		{"another binary", bin2, "app", mtime, gzipOCI, false},
		{"another binary, again", bin2, "app", mtime, gzipOCI, true},
		{"another name", bin1, "web", mtime, gzipOCI, false},
		{"another time", bin1, "app", mtime.Add(time.Second), gzipOCI, false},
		{"another format", bin1, "app", mtime, layerFormat{mt: types.OCILayerZStd, compression: CompressionZstd}, false},
		{"no build ID", forged, "app", mtime, gzipOCI, false},
		{"no build ID, again (by diff ID)", forged, "app", mtime, gzipOCI, true},
	}
	for _, s := range steps {
		hits, misses := cache.hits.Load(), cache.misses.Load()
		f := s.format
		f.cache, f.buildIDs = cache, true
		cached, err := binaryLayer(s.bin, s.binary, s.mtime, f)
		noErr(t, err)
		gotHit := cache.hits.Load() == hits+1 && cache.misses.Load() == misses
		if gotHit != s.hit {
			t.Errorf("%s: hit %v, want %v", s.name, gotHit, s.hit)
		}
		uncached, err := binaryLayer(s.bin, s.binary, s.mtime, s.format)
		noErr(t, err)
		if diff := cmp.Diff(factsOf(t, uncached), factsOf(t, cached)); diff != "" {
			t.Errorf("%s: cached layer differs from an uncached one (-uncached +cached):\n%.2000s", s.name, diff)
		}
	}

	ids, err := os.ReadDir(filepath.Join(cache.dir, "ids"))
	noErr(t, err)
	if len(ids) != 5 { // app-1 three ways, app-1 zstd, app-2
		t.Errorf("%d source IDs stored, want 5", len(ids))
	}
	noErr(t, os.RemoveAll(filepath.Join(cache.dir, "blobs")))
	cache.dropDangling()
	ids, err = os.ReadDir(filepath.Join(cache.dir, "ids"))
	noErr(t, err)
	if len(ids) != 0 {
		t.Errorf("%d source IDs left after their layers were evicted", len(ids))
	}
}

func TestTrustBuildID(t *testing.T) {
	tests := []struct {
		flags, ldflags, env []string
		want                bool
	}{
		{nil, nil, nil, true},
		{[]string{"-trimpath"}, []string{"-s", "-w", "-X main.version=1"}, []string{"-mod=mod"}, true},
		{nil, []string{"-buildid="}, nil, false},
		{[]string{"-ldflags=-buildid=x"}, nil, nil, false},
		{nil, nil, []string{"-ldflags=-buildid=x"}, false},
	}
	for _, tt := range tests {
		if got := trustBuildID(tt.flags, tt.ldflags, tt.env); got != tt.want {
			t.Errorf("trustBuildID(%q, %q, %q) = %v, want %v", tt.flags, tt.ldflags, tt.env, got, tt.want)
		}
	}
}
