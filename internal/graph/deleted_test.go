package graph

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAffectedDeleted checks that affected answers for a deleted file as it
// answered before the deletion: the images (and platforms) the file was an
// input of. So `git diff --name-only | gobake affected` finds the images
// whose inputs were deleted, and no others.
func TestAffectedDeleted(t *testing.T) {
	root := copySample(t)
	extra := map[string]string{
		"services/api/cmd/api/README.md":    "notes, not an input\n",
		"tools/ctl/cmd/ctl/extra_arm64.go":  "package main\n",
		"internal/greet/extra.go":           "//go:build linux\n\npackage greet\n",
		"services/web/cmd/web/static/x.txt": "embedded beside index.html\n",
	}
	for p, c := range extra {
		write(t, root, p, c)
	}
	deleted := []string{
		"internal/greet/platform_other.go",
		"internal/greet/platform_windows.go",
		"internal/greet/greet_test.go",
		"internal/greet/extra.go",
		"services/api/cmd/api/kodata/message.txt",
		"services/api/cmd/api/README.md",
		"services/web/cmd/web/static/x.txt",
		"tools/ctl/cmd/ctl/extra_arm64.go",
	}
	cfg := sampleConfig(root)
	_, before, _ := computeDigests(t, cfg)
	want := map[string][]Hit{}
	for _, d := range deleted {
		want[d] = before.Affected([]string{d})
		if err := os.Remove(filepath.Join(root, filepath.FromSlash(d))); err != nil {
			t.Fatal(err)
		}
	}
	_, after, _ := computeDigests(t, cfg)
	got := map[string][]Hit{}
	for _, d := range deleted {
		got[d] = after.Affected([]string{d})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("affected by deleted files (-before the deletion +after):\n%s", diff)
	}
	// The answers are not all empty: the test exercises something.
	for _, d := range []string{"internal/greet/platform_other.go", "services/api/cmd/api/kodata/message.txt", "services/web/cmd/web/static/x.txt", "tools/ctl/cmd/ctl/extra_arm64.go"} {
		if len(want[d]) == 0 {
			t.Errorf("%s fed no image before it was deleted", d)
		}
	}
}
