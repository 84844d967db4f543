package kocompat

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

func TestSkaffoldImage(t *testing.T) {
	cfg := &config.Config{
		Path: "gobake.yaml",
		Images: []config.Image{
			{Name: "api", Repository: "api"},
			{Name: "jobs", Repository: "team/jobs"},
			{Name: "web", Repository: "web"},
			{Name: "web-admin", Repository: "admin/web"},
		},
	}
	paths := map[string]string{"jobs": "example.com/kouser/cmd/worker", "api": "example.com/kouser/cmd/api"}
	tests := []struct {
		image   string
		want    SkaffoldTarget
		wantErr string
	}{
		{image: "localhost:5000/api:v1-abc", want: SkaffoldTarget{"api", "localhost:5000", "api", "v1-abc"}},
		{image: "api", want: SkaffoldTarget{"api", "", "api", "latest"}},
		{image: "localhost:5000/acme/jobs:dirty", want: SkaffoldTarget{"jobs", "localhost:5000/acme", "jobs", "dirty"}},
		{image: "ghcr.io/org/team/jobs:1", want: SkaffoldTarget{"jobs", "ghcr.io/org", "team/jobs", "1"}},
		{image: "ghcr.io/org/worker-ded9f616e425f45608110c350ec6ca67:t", want: SkaffoldTarget{"jobs", "ghcr.io/org", "worker-ded9f616e425f45608110c350ec6ca67", "t"}},
		{image: "ghcr.io/org/example.com/kouser/cmd/api:t", want: SkaffoldTarget{"api", "ghcr.io/org", "example.com/kouser/cmd/api", "t"}},
		{image: "localhost:5000/gcr_io_proj_web:abc", want: SkaffoldTarget{"web", "localhost:5000", "gcr_io_proj_web", "abc"}},
		{image: "r.example/admin/web:1", want: SkaffoldTarget{"web-admin", "r.example", "admin/web", "1"}},
		{image: "r.example/other/web:1", want: SkaffoldTarget{"web", "r.example/other", "web", "1"}},
		{image: "localhost:5000/nothing:1", wantErr: "matches no image"},
		{image: "localhost:5000/api@sha256:" + strings.Repeat("a", 64), wantErr: "a digest cannot be built"},
		{image: "", wantErr: "Skaffold sets $IMAGE"},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			got, err := SkaffoldImage(cfg, tt.image, paths)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SkaffoldImage(%q) = %+v, %v; want error containing %q", tt.image, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SkaffoldImage(%q) (-want +got):\n%s", tt.image, diff)
			}
			if tt.image != "api" && !strings.HasPrefix(tt.image, got.Ref()) && tt.image != got.Ref() {
				t.Errorf("Ref() = %q, want %q", got.Ref(), tt.image)
			}
		})
	}
}

func TestSkaffoldPush(t *testing.T) {
	tests := []struct {
		value   string
		want    bool
		wantErr bool
	}{{"true", true, false}, {"TRUE", true, false}, {"false", false, false}, {"", false, false}, {"yes", false, true}}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := SkaffoldPush(func(string) string { return tt.value })
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("SkaffoldPush(%q) = %v, %v", tt.value, got, err)
			}
		})
	}
}

func TestSkaffoldPlatforms(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{{"", nil}, {"linux/amd64", []string{"linux/amd64"}}, {"linux/arm64, linux/amd64,", []string{"linux/arm64", "linux/amd64"}}}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got := SkaffoldPlatforms(func(string) string { return tt.value })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SkaffoldPlatforms(%q) (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

func TestSkaffoldTargetApply(t *testing.T) {
	newCfg := func() *config.Config {
		return &config.Config{Registry: "ghcr.io/acme", Images: []config.Image{
			{Name: "api", Repository: "api", Tags: []string{"latest", "{{.Version}}"}},
			{Name: "web", Repository: "web", Tags: []string{"latest"}},
		}}
	}
	cfg := newCfg()
	target := SkaffoldTarget{Image: "api", Registry: "localhost:5000/dev", Repository: "api", Tag: "v1-abc"}
	if err := target.Apply(cfg, true); err != nil {
		t.Fatal(err)
	}
	want := newCfg()
	want.Registry = "localhost:5000/dev"
	want.Images[0].Tags = []string{"v1-abc"}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
	if err := (SkaffoldTarget{Image: "api", Repository: "api", Tag: "t"}).Apply(newCfg(), true); err == nil {
		t.Error("Apply with push and no registry succeeded")
	}
	if err := (SkaffoldTarget{Image: "nope", Registry: "r", Repository: "x", Tag: "t"}).Apply(newCfg(), false); err == nil {
		t.Error("Apply for an unknown image succeeded")
	}
}
