package graph

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHashCache(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	writeOld := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := writeOld("a", "one"), writeOld("b", "two")
	cachePath := filepath.Join(dir, "cache", "filehash")
	c := OpenHashCache(cachePath)
	first, err := c.HashAll(context.Background(), []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func()
		same   bool
	}{
		{"untouched", func() {}, true},
		{"content changed, same size, same mtime", func() { writeOld("a", "ONE") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.change()
			got, err := OpenHashCache(cachePath).Hash(a)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.same, got == first[a]); diff != "" {
				t.Errorf("same hash (-want +got):\n%s", diff)
			}
		})
	}
}
