package layering

import (
	"os"
	"path/filepath"
	"testing"
	"time"
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
