package planner

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/gobake/gobake/internal/dotdir"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
)

// TestOutputsCache: builds are noted newest first, once per input digest,
// at most outputsPerImage per image, in a .gobake kept out of git; a
// changed plan gets SameOutput only when a build of its very inputs gave
// the image of its previous build.
func TestOutputsCache(t *testing.T) {
	root := t.TempDir()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	build := func(inputs string) {
		t.Helper()
		s := &graph.Snapshot{Records: map[string]*graph.Record{"api": {Image: "api", Digest: inputs}}}
		if err := recordOutputs(root, s, []layering.Result{{Name: "api", Image: img}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range outputsPerImage + 3 {
		build(fmt.Sprintf("sha256:%02d", i))
	}
	build("sha256:05") // again: moves to the front, not twice
	o := readOutputs(root)
	var got []string
	for _, e := range o.Images["api"] {
		got = append(got, e.Inputs)
	}
	want := []string{"sha256:05"}
	for i := outputsPerImage + 2; len(want) < outputsPerImage; i-- {
		if i != 5 {
			want = append(want, fmt.Sprintf("sha256:%02d", i))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cached inputs (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(root, dotdir.Name, ".gitignore")); err != nil || string(b) != dotdir.Gitignore {
		t.Errorf(".gobake/.gitignore = %q, %v", b, err)
	}

	other := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064d", 1)}
	tests := []struct {
		name     string
		plan     graph.ImagePlan
		previous v1.Hash
		want     bool
	}{
		{"built to the previous image", graph.ImagePlan{Image: "api", Status: graph.StatusChanged, Digest: "sha256:05"}, d, true},
		{"built to another image", graph.ImagePlan{Image: "api", Status: graph.StatusChanged, Digest: "sha256:05"}, other, false},
		{"never built", graph.ImagePlan{Image: "api", Status: graph.StatusChanged, Digest: "sha256:99"}, d, false},
		{"dropped from the cache", graph.ImagePlan{Image: "api", Status: graph.StatusChanged, Digest: "sha256:00"}, d, false},
		{"unchanged", graph.ImagePlan{Image: "api", Status: graph.StatusUnchanged, Digest: "sha256:05"}, d, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plans := []graph.ImagePlan{tt.plan}
			MarkSameOutput(root, plans, map[string]state.Previous{"api": {Digest: tt.previous}})
			if plans[0].SameOutput != tt.want {
				t.Errorf("SameOutput = %v, want %v", plans[0].SameOutput, tt.want)
			}
		})
	}
}
