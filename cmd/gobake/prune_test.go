package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPruneAndCacheClean builds the one-image repository twice into its
// default OCI layout (the image changes in between), then: prune
// --dry-run lists the first build's blobs and removes nothing, prune
// removes them, plan still reads the second build; cache clean empties
// the binary cache the builds filled.
func TestPruneAndCacheClean(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("GOBAKE_CACHE", cache)
	cfg := writeRepo(t)
	root := filepath.Dir(cfg)
	gobake := gobakeRunner(cfg)
	blobs := func() int {
		es, err := os.ReadDir(filepath.Join(root, ".gobake", "oci", "blobs", "sha256"))
		noErr(t, err)
		return len(es)
	}
	for i, msg := range []string{"one", "two"} {
		noErr(t, os.WriteFile(filepath.Join(root, "cmd/hello/main.go"), []byte("package main\n\nfunc main() { println(\""+msg+"\") }\n"), 0o644))
		if code, _, stderr := gobake("build"); code != 0 {
			t.Fatalf("build %d: exit %d: %s", i+1, code, stderr)
		}
	}
	before := blobs()

	code, stdout, stderr := gobake("prune", "--dry-run")
	if code != 0 {
		t.Fatalf("prune --dry-run: exit %d: %s", code, stderr)
	}
	listed := strings.Count(stdout, "blob sha256:")
	if listed == 0 || blobs() != before || !strings.Contains(stderr, "would remove") {
		t.Fatalf("prune --dry-run listed %d blobs and left %d of %d:\n%s%s", listed, blobs(), before, stdout, stderr)
	}
	if code, _, stderr := gobake("prune"); code != 0 || !strings.Contains(stderr, "removed") {
		t.Fatalf("prune: exit %d: %s", code, stderr)
	}
	if blobs() != before-listed {
		t.Errorf("prune left %d blobs, want %d - %d listed", blobs(), before, listed)
	}
	if code, stdout, stderr := gobake("plan", "--json"); code != 0 || !strings.Contains(stdout, `"unchanged"`) {
		t.Errorf("plan after prune: exit %d: %s%s", code, stdout, stderr)
	}

	if es, _ := os.ReadDir(filepath.Join(cache, "bin")); len(es) == 0 {
		t.Fatalf("the builds cached no binary in %s", cache)
	}
	if code, _, stderr := gobake("cache", "clean"); code != 0 {
		t.Fatalf("cache clean: exit %d: %s", code, stderr)
	}
	if es, _ := os.ReadDir(cache); len(es) != 0 {
		t.Errorf("cache clean left %d entries in %s", len(es), cache)
	}
}
