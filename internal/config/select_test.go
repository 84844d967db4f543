package config

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelect(t *testing.T) {
	cfg := &Config{Path: "/repo/gobake.yaml", Images: []Image{{Name: "api"}, {Name: "ctl"}, {Name: "web"}, {Name: "worker"}}}
	tests := []struct {
		names   []string
		want    []string
		wantErr string
	}{
		{names: nil, want: []string{"api", "ctl", "web", "worker"}},
		{names: []string{"worker", "api", "worker"}, want: []string{"api", "worker"}},
		{names: []string{"nope"}, wantErr: `no image "nope" in gobake.yaml (images: api, ctl, web, worker)`},
		{names: []string{"wrker"}, wantErr: `no image "wrker" in gobake.yaml; did you mean "worker"?`},
		{names: []string{"apii"}, wantErr: `no image "apii" in gobake.yaml; did you mean "api"?`},
		{names: []string{"api", "x", "y"}, wantErr: `no image "x", "y" in gobake.yaml (images: api, ctl, web, worker)`},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.names), func(t *testing.T) {
			got, err := cfg.SelectNames(tt.names)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Select(%q) error = %v, want %s", tt.names, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Select(%q) (-want +got):\n%s", tt.names, diff)
			}
		})
	}
}
