package release

import (
	"testing"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
)

func TestRelevant(t *testing.T) {
	rec := &graph.Record{Platforms: []graph.PlatformRecord{{
		Platform: "linux/amd64",
		Inputs: map[string]string{
			"file:internal/auth/auth.go":         "h1",
			"pkg:example.com/mono/internal/auth": "local internal/auth abc",
			"gomod:go.mod:go":                    "1.26",
			"toolchain":                          "go1.26.0",
		},
	}}}
	img := config.Image{Name: "api", Data: "/repo/services/api/kodata"}
	rel := relevant("/repo", img, rec)
	tests := []struct {
		file string
		want bool
	}{
		{"internal/auth/auth.go", true},
		{"internal/auth/new.go", true}, // a new file of a package of the closure
		{"internal/auth/sub/x.go", false},
		{"go.mod", true},
		{"go.sum", true},
		{"services/api/kodata/index.html", true},
		{"services/api/kodata", false},
		{"docs/notes.md", false},
		{"internal/greet/greet.go", false},
	}
	for _, tt := range tests {
		if got := rel(tt.file); got != tt.want {
			t.Errorf("relevant(%q) = %v, want %v", tt.file, got, tt.want)
		}
	}
	if relevant("/repo", config.Image{}, nil)("go.mod") {
		t.Error("with no record, no file should be relevant")
	}
}
