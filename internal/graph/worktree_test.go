package graph

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSinceWorktree computes the sample's inputs at a previous commit from
// a worktree and plans the working tree against them.
func TestSinceWorktree(t *testing.T) {
	ctx := context.Background()
	root := copySample(t)
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "-A"},
		{"-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"},
	} {
		run(t, root, "git", args...)
	}
	edit(t, root, "services/worker/cmd/worker/main.go", `"resize"`, `"crop"`)
	dir, cleanup, err := Worktree(ctx, root, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cleanup(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
			t.Errorf("worktree %s left behind", dir)
		}
	}()
	old, err := Compute(ctx, sampleConfig(dir), Options{Targets: fakeBases{}.targets(t, sampleConfig(dir))})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := Compute(ctx, sampleConfig(root), Options{Targets: fakeBases{}.targets(t, sampleConfig(root))})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range Plan(cur, old.Records) {
		got[p.Image] = string(p.Status)
		if p.Status == StatusChanged {
			got[p.Image] += ": " + p.Reasons[0]
		}
	}
	want := map[string]string{
		"api": "unchanged", "ctl": "unchanged", "web": "unchanged",
		"worker": "changed: services/worker/cmd/worker/main.go changed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}
