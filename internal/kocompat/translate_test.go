package kocompat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeRepo writes files (path → content) under a new temporary directory.
func writeRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestTranslate(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"go.mod":                  "module example.com/shop\n",
		"cmd/api/main.go":         "package main\nfunc main() {}\n",
		"tools/go.mod":            "module example.com/shop/tools\n",
		"tools/cmd/gen/main.go":   "package main\nfunc main() {}\n",
		"cmd/worker/main.go":      "package main\nfunc main() {}\n",
		"cmd/worker/kodata/x.txt": "x",
	})
	koYAML := `
defaultBaseImage: registry.example.com/base:1
DefaultPlatforms: linux/amd64 linux/arm64
defaultEnv: [GOFLAGS=-mod=mod]
defaultFlags: -tags=netgo
defaultLdflags:
  - -s -w
  - -X main.v={{.Git.Tag}}
  - -X main.ts={{.Timestamp}}
baseImageOverrides:
  example.com/shop/cmd/worker: registry.example.com/debug:1
  example.com/shop/cmd/gone: registry.example.com/x:1
builds:
  - id: gen
    dir: tools
    main: ./cmd/gen
    env: [CGO_ENABLED=1]
    flags: -race -v
    ldflags: "-X main.c={{.Git.FullCommit}} -X main.e={{.Env.X}}"
  - id: worker
    main: ./cmd/worker/main.go
    linux_capabilities: [cap_net_admin]
    goos: [linux]
  - id: missing
    main: ./cmd/nothere
kodata: true
`
	f, err := ParseKoFile(".ko.yaml", []byte(koYAML))
	if err != nil {
		t.Fatalf("ParseKoFile: %v", err)
	}
	got := Translate(f, root)
	for _, s := range got.Images { // the directory is a temporary one
		s.Dir = strings.TrimPrefix(s.Dir, root)
	}
	want := &Translation{
		Base:      "registry.example.com/base:1",
		Platforms: []string{"linux/amd64", "linux/arm64"},
		Env:       []string{"CGO_ENABLED=0", "GOFLAGS=-mod=mod"},
		Flags:     []string{"-tags=netgo", "-trimpath"},
		Ldflags:   []string{"-s -w", "-X main.v={{.Git.Tag}}"},
		Images: map[string]*ImageSettings{
			"example.com/shop/cmd/worker": {ImportPath: "example.com/shop/cmd/worker", BuildID: "worker", Dir: "", Main: "./cmd/worker", Base: "registry.example.com/debug:1"},
			"example.com/shop/cmd/gone":   {ImportPath: "example.com/shop/cmd/gone", Base: "registry.example.com/x:1"},
			"example.com/shop/tools/cmd/gen": {
				ImportPath: "example.com/shop/tools/cmd/gen", BuildID: "gen", Dir: "/tools", Main: "./cmd/gen",
				Env:     []string{"CGO_ENABLED=1"},
				Flags:   []string{"-race", "-v", "-trimpath"},
				Ldflags: []string{"-X main.c={{.Git.Commit}} -X main.e={{.Env.X}}"},
			},
		},
		Notes: []Note{
			{Where: ".ko.yaml:23: builds[1].goos", What: "key is not supported by ko nor gobake"},
			{Where: ".ko.yaml:26: kodata", What: "key has no gobake equivalent"},
			{Where: ".ko.yaml:6: defaultLdflags", What: `left out "-X main.ts={{.Timestamp}}": .Timestamp: gobake has no build date in Unix seconds (.Date has it as RFC 3339)`},
			{Where: ".ko.yaml:22: builds[1] (worker).linux_capabilities", What: "left out cap_net_admin: gobake does not set file capabilities on the binary"},
		},
	}
	// builds[2] names a directory that does not exist: its note holds a
	// temporary path, so check it apart.
	if n := len(got.Notes); n != len(want.Notes)+1 {
		t.Fatalf("got %d notes, want %d: %v", n, len(want.Notes)+1, got.Notes)
	}
	last := got.Notes[len(got.Notes)-1]
	if !strings.HasPrefix(last.Where, ".ko.yaml:24: builds[2] (missing)") || !strings.Contains(last.What, "left out: main ./cmd/nothere") {
		t.Errorf("note for builds[2] = %v", last)
	}
	got.Notes = got.Notes[:len(got.Notes)-1]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Translate (-want +got):\n%s", diff)
	}
}

func TestTranslateDefaults(t *testing.T) {
	f, err := ParseKoFile(".ko.yaml", []byte("# nothing set\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := Translate(f, t.TempDir())
	want := &Translation{Base: KoDefaultBaseImage, Images: map[string]*ImageSettings{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Translate (-want +got):\n%s", diff)
	}
}

func TestRegistry(t *testing.T) {
	tests := []struct {
		in        string
		want      string
		wantNotes int
	}{
		{"", "", 0},
		{"ghcr.io/acme/", "ghcr.io/acme", 0},
		{"localhost:5000/kouser", "localhost:5000/kouser", 0},
		{"ko.local", "", 1},
		{"kind.local/x", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, notes := Registry(tt.in)
			if got != tt.want || len(notes) != tt.wantNotes {
				t.Errorf("Registry(%q) = %q, %v; want %q and %d notes", tt.in, got, notes, tt.want, tt.wantNotes)
			}
		})
	}
}

func TestImportPath(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"go.mod":             "module example.com/shop\n",
		"cmd/api/main.go":    "package main\n",
		"sub/go.mod":         "module example.com/other/v2\n",
		"sub/cmd/x/main.go":  "package main\n",
		"nomod/placeholder":  "",
		"../outside/nothing": "",
		// A main of a required module, vendored (its go.mod vendored too).
		"vendor/knative.dev/pkg/go.mod":               "module knative.dev/pkg\n",
		"vendor/knative.dev/pkg/cmd/migrate/main.go":  "package main\n",
		"sub/vendor/example.com/dep/cmd/tool/main.go": "package main\n",
	})
	tests := []struct {
		dir  string
		want string
	}{
		{".", "example.com/shop"},
		{"cmd/api", "example.com/shop/cmd/api"},
		{"sub", "example.com/other/v2"},
		{"sub/cmd/x", "example.com/other/v2/cmd/x"},
		{"vendor/knative.dev/pkg/cmd/migrate", "knative.dev/pkg/cmd/migrate"},
		{"sub/vendor/example.com/dep/cmd/tool", "example.com/dep/cmd/tool"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			got, err := ImportPath(filepath.Join(root, tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ImportPath(%s) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}
