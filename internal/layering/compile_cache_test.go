package layering

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGoCompilerPrune(t *testing.T) {
	now := time.Now()
	cache := t.TempDir()
	tests := []struct {
		path string // file to create, relative to the cache
		age  time.Duration
		kept bool
	}{
		{"bin/fresh/api", time.Hour, true},
		{"bin/old/api", 8 * 24 * time.Hour, false},
		{"bin/mixed/old", 30 * 24 * time.Hour, true},
		{"bin/mixed/new", 6 * 24 * time.Hour, true},
		{"tmp-running/api", time.Minute, true},
		{"tmp-crashed/api", 2 * 24 * time.Hour, false},
	}
	for _, tt := range tests {
		p := filepath.Join(cache, tt.path)
		noErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		noErr(t, os.WriteFile(p, []byte("x"), 0o644))
		noErr(t, os.Chtimes(p, now.Add(-tt.age), now.Add(-tt.age)))
		noErr(t, os.Chtimes(filepath.Dir(p), now.Add(-tt.age), now.Add(-tt.age)))
	}
	NewGoCompiler(WithOutputCache(cache)).prune(now)
	for _, tt := range tests {
		_, err := os.Stat(filepath.Join(cache, tt.path))
		if kept := err == nil; kept != tt.kept {
			t.Errorf("%s kept = %v, want %v", tt.path, kept, tt.kept)
		}
	}
}

// TestGoCompilerPruneSize: past the size bound, whole slots go, least
// recently used first, down to none when the newest alone is over.
func TestGoCompilerPruneSize(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		max  int64
		kept []string
	}{
		{"fits", 300, []string{"a", "b", "c"}},
		{"one over", 299, []string{"b", "c"}},
		{"only the newest", 150, []string{"c"}},
		{"newest alone over", 50, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := t.TempDir()
			for i, slot := range []string{"a", "b", "c"} { // a oldest, c newest
				p := filepath.Join(cache, "bin", slot, "api")
				noErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
				noErr(t, os.WriteFile(p, make([]byte, 100), 0o644))
				used := now.Add(time.Duration(i-3) * time.Hour)
				noErr(t, os.Chtimes(p, used, used))
			}
			NewGoCompiler(WithOutputCache(cache), WithOutputCacheSize(tt.max)).prune(now)
			var kept []string
			for _, slot := range []string{"a", "b", "c"} {
				if _, err := os.Stat(filepath.Join(cache, "bin", slot)); err == nil {
					kept = append(kept, slot)
				}
			}
			if diff := cmp.Diff(tt.kept, kept); diff != "" {
				t.Errorf("slots kept under %d bytes (-want +got):\n%s", tt.max, diff)
			}
		})
	}
}

func TestOutputCacheSize(t *testing.T) {
	tests := []struct {
		env     string
		want    int64
		wantErr bool
	}{
		{"", 0, false},
		{"GOBAKE_BIN_CACHE_MB=3", 3 << 20, false},
		{"GOBAKE_BIN_CACHE_MB=0", 0, true},
		{"GOBAKE_BIN_CACHE_MB=1G", 0, true},
	}
	for _, tt := range tests {
		got, err := outputCacheSize([]string{tt.env})
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("outputCacheSize(%q) = %d, %v; want %d, error %v", tt.env, got, err, tt.want, tt.wantErr)
		}
	}
	_, err := NewBuilder(WithEnviron([]string{"GOBAKE_BIN_CACHE_MB=x"})).Build(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "GOBAKE_BIN_CACHE_MB") {
		t.Errorf("Build with a bad $GOBAKE_BIN_CACHE_MB: %v, want an error naming it", err)
	}
}
