package release

import (
	"fmt"
	"slices"
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

// TestRelevanceAgrees: the index of many images answers as relevant does
// for each image alone, whichever image asks first about a file and in
// whatever order.
func TestRelevanceAgrees(t *testing.T) {
	recOf := func(inputs map[string]string) *graph.Record {
		return &graph.Record{Platforms: []graph.PlatformRecord{{Platform: "linux/amd64", Inputs: inputs}}}
	}
	imgs := []config.Image{{Name: "api", Data: "/repo/services/api/kodata"}, {Name: "web"}, {Name: "bare"}}
	for i := range 70 { // more than 64 images: sets of several words
		imgs = append(imgs, config.Image{Name: fmt.Sprintf("svc%02d", i)})
	}
	recs := map[string]*graph.Record{
		"api": recOf(map[string]string{
			"file:internal/auth/auth.go":         "h1",
			"pkg:example.com/mono/internal/auth": "local internal/auth abc",
			"gomod:go.mod:go":                    "1.26",
		}),
		"web": recOf(map[string]string{
			"file:internal/auth/auth.go":       "h1",
			"file:web/main.go":                 "h2",
			"gomod:tools/go.mod:example.com/x": "v1",
			"pkg:example.com/mono/web":         "local web def",
			"pkg:example.com/x":                "module example.com/x v1",
		}),
	}
	for i := range 70 {
		recs[fmt.Sprintf("svc%02d", i)] = recOf(map[string]string{fmt.Sprintf("file:svc/%02d/main.go", i): "h", "file:core/c.go": "c"})
	}
	files := []string{
		"internal/auth/auth.go", "internal/auth/new.go", "./internal/auth/auth.go", "internal/auth/sub/x.go",
		"go.mod", "go.sum", "tools/go.mod", "tools/go.sum", "web/main.go", "web/other.go",
		"services/api/kodata/index.html", "services/api/kodata", "docs/notes.md", "core/c.go", "svc/69/main.go", "svc/03/main.go",
	}
	rv := newRelevance("/repo", imgs, recs)
	for i, img := range slices.Backward(imgs) { // the last images ask first
		alone := relevant("/repo", img, recs[img.Name])
		of := rv.of(img.Name)
		order := files
		if i%3 == 0 { // another order: the answers are not only in the first order asked
			order = slices.Clone(files)
			slices.Reverse(order)
		}
		for _, f := range order {
			if got, want := of(f), alone(f); got != want {
				t.Errorf("%s: %q relevant %v, alone %v", img.Name, f, got, want)
			}
		}
	}
	if rv.of("unknown")("go.mod") {
		t.Error("an image not indexed has a relevant file")
	}
}
