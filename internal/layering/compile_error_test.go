package layering

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

// TestBuildCompilerErrorOnce checks that a compiler error every image and
// platform hits (a broken package they share) is reported once, naming
// them all, and not once per go command (issue #12: it was printed once
// per image and platform).
func TestBuildCompilerErrorOnce(t *testing.T) {
	platforms := []string{"linux/amd64", "linux/arm64"}
	cfg := configFixture(t,
		config.Image{Name: "api", Settings: config.Settings{Platforms: platforms}},
		config.Image{Name: "worker", Settings: config.Settings{Platforms: platforms}},
		config.Image{Name: "single", Settings: config.Settings{Platforms: platforms[:1]}},
		config.Image{Name: "own", Settings: config.Settings{Platforms: platforms[:1]}},
	)
	files := map[string]string{
		"go.mod":             "module example.com/m\n\ngo 1.22\n",
		"lib/lib.go":         "package lib\n\nfunc F() int { return \"x\" }\n",
		"cmd/api/main.go":    "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.F()) }\n",
		"cmd/own/main.go":    "package main\n\nfunc main() { undefinedThing() }\n",
		"cmd/single/main.go": "package main\n\nimport \"example.com/m/lib\"\n\nfunc main() { println(lib.F()) }\n",
	}
	files["cmd/worker/main.go"] = files["cmd/api/main.go"]
	for name, body := range files {
		p := filepath.Join(cfg.Root, filepath.FromSlash(name))
		noErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		noErr(t, os.WriteFile(p, []byte(body), 0o644))
	}
	_, err := buildAll(t, cfg, "1.0.0", WithLogger(io.Discard), WithSBOMFormats(),
		WithCompiler(NewGoCompiler(WithOutputCache(""))))
	if err == nil {
		t.Fatal("Build of broken code succeeded")
	}
	want := `go build api, worker for linux/amd64, linux/arm64; single for linux/amd64: exit status 1
# example.com/m/lib
lib/lib.go:3:23: cannot use "x" (untyped string constant) as int value in return statement
go build own for linux/amd64: exit status 1
# example.com/m/cmd/own
cmd/own/main.go:3:15: undefined: undefinedThing`
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("build error (-want +got):\n%s", diff)
	}
}
