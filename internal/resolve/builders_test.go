package resolve

import (
	"testing"

	"github.com/gobake/gobake/internal/config"
)

func TestReleaseTag(t *testing.T) {
	info := config.BuildInfo{Version: "1.4.0"}
	tests := []struct {
		name    string
		tags    []string
		want    string
		wantErr bool
	}{
		{"latest wins", []string{"{{.Version}}", "latest"}, "latest", false},
		{"no tags", nil, "latest", false},
		{"first tag, rendered", []string{"v{{.Version}}", "stable"}, "v1.4.0", false},
		{"first tag renders empty", []string{"{{.Git.Tag}}"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := releaseTag(config.Image{Name: "api", Tags: tt.tags}, info)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("releaseTag(%v) = %q, %v; want %q (error %v)", tt.tags, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
