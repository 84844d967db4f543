package release

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/planner"
)

func TestOptionsCheck(t *testing.T) {
	cfg := &config.Config{Path: "gobake.yaml", Images: []config.Image{{Name: "api"}, {Name: "web"}}}
	v := semver.MustParse("2.0.0")
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"ok", Options{Registry: "r"}, ""},
		{"images and version", Options{Registry: "r", Images: []string{"api"}, Versions: map[string]*semver.Version{"api": v}}, ""},
		{"no registry", Options{}, "no registry"},
		{"unknown image", Options{Registry: "r", Images: []string{"db"}}, `no image "db" in gobake.yaml`},
		{"version of unknown image", Options{Registry: "r", Versions: map[string]*semver.Version{"db": v}}, "no image db"},
		{"version of image not released", Options{Registry: "r", Images: []string{"web"}, Versions: map[string]*semver.Version{"api": v}}, "not being released"},
		{"warm", Options{Registry: "r", Warm: true, Shards: 4}, ""},
		{"warm without shards", Options{Registry: "r", Warm: true}, "--warm needs --shards N"},
		{"warm and finalize", Options{Registry: "r", Warm: true, Shards: 2, Finalize: true}, "--warm is a step before the shards"},
		{"warm and shard", Options{Registry: "r", Warm: true, Shards: 2, Shard: planner.Shard{K: 1, N: 2}}, "--warm is a step before the shards"},
		{"shards alone", Options{Registry: "r", Shards: 2}, "--shards N goes with --finalize or --warm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.check(cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("check: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("check: %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
	if got := (Options{Images: []string{"web", "api"}}).selected(cfg); strings.Join(got, ",") != "api,web" {
		t.Errorf("selected = %v, want configuration order api,web", got)
	}
}
