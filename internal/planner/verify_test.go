package planner

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
)

// platformImage is a random image of platform p built on base (no
// annotation when base is "").
func platformImage(t *testing.T, p v1.Platform, base string) v1.Image {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	if base != "" {
		img = mutate.Annotations(img, map[string]string{layering.BaseDigestAnnotation: base}).(v1.Image)
	}
	return img
}

func TestVerify(t *testing.T) {
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	rec := func(base string, platforms ...string) *graph.Record {
		r := &graph.Record{Image: "api"}
		for _, p := range platforms {
			r.Platforms = append(r.Platforms, graph.PlatformRecord{Platform: p, Inputs: map[string]string{"base": base}})
		}
		r.Seal()
		return r
	}
	tests := []struct {
		name    string
		base    string // annotated on the built image
		record  *graph.Record
		wantErr string
	}{
		{name: "same base", base: "sha256:aa", record: rec("sha256:aa", "linux/amd64")},
		{name: "scratch", record: rec("scratch", "linux/amd64")},
		{name: "other base", base: "sha256:bb", record: rec("sha256:aa", "linux/amd64"), wantErr: "built on base sha256:bb but recorded sha256:aa"},
		{name: "other platform", base: "sha256:aa", record: rec("sha256:aa", "linux/arm64"), wantErr: "no linux/arm64 image"},
		{name: "more platforms", base: "sha256:aa", record: rec("sha256:aa", "linux/amd64", "linux/arm64"), wantErr: "built 1 platform(s), computed 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := layering.Result{Name: "api", Image: platformImage(t, amd64, tt.base)}
			s := &graph.Snapshot{Records: map[string]*graph.Record{"api": tt.record}}
			err := Verify([]layering.Result{r}, s)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Verify = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	plans := []graph.ImagePlan{
		{Image: "api", Status: graph.StatusChanged},
		{Image: "ctl", Status: graph.StatusUnchanged},
		{Image: "web", Status: graph.StatusNew},
	}
	build, unchanged := Changes(plans)
	if diff := cmp.Diff([]string{"api", "web"}, build); diff != "" {
		t.Errorf("build (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ctl"}, unchanged); diff != "" {
		t.Errorf("unchanged (-want +got):\n%s", diff)
	}
}
