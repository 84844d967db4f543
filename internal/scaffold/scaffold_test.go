package scaffold

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/kocompat"
	"github.com/gobake/gobake/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

const fixture = "../../testdata/kouser"

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

// copyDir copies the tree at src to a new temporary directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestGenerateFromKo(t *testing.T) {
	ctx := context.Background()
	got, plan, err := Generate(ctx, fixture, InitOptions{KoDockerRepo: "registry.example.com/kouser"})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	golden(t, "kouser.gobake.yaml", got)

	t.Run("every untranslatable setting is listed", func(t *testing.T) {
		var gotNotes []string
		for _, n := range plan.Notes {
			gotNotes = append(gotNotes, n.String())
		}
		want := []string{
			`.ko.yaml:20: builds[0] (api).ldflags: left out "-X example.com/kouser/internal/version.Built={{.Timestamp}}": .Timestamp: gobake has no build date in Unix seconds (.Date has it as RFC 3339)`,
			`.ko.yaml:30: builds[1] (worker).linux_capabilities: left out cap_net_bind_service: gobake does not set file capabilities on the binary`,
		}
		if diff := cmp.Diff(want, gotNotes); diff != "" {
			t.Errorf("notes (-want +got):\n%s", diff)
		}
		for _, n := range want {
			if !strings.Contains(string(got), "#   "+n+"\n") {
				t.Errorf("gobake.yaml lacks the comment %q", n)
			}
		}
	})

	t.Run("loads with config.Load", func(t *testing.T) {
		repo := copyDir(t, fixture)
		path := filepath.Join(repo, config.FileName)
		if err := WriteFile(path, got, false); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path, config.WithGetenv(func(string) string { return "" }))
		if err != nil {
			t.Fatalf("config.Load: %v", err)
		}
		type image struct{ Name, Main, Binary, Repository, Base, Data string }
		var gotImages []image
		for _, img := range cfg.Images {
			data := ""
			if img.Data != "" {
				data, _ = filepath.Rel(repo, img.Data)
			}
			gotImages = append(gotImages, image{img.Name, img.Main, img.Binary, img.Repository, img.Base, data})
		}
		want := []image{
			{"api", "./cmd/api", "api", "api", "cgr.dev/chainguard/static:latest", "cmd/api/kodata"},
			{"migrate", "./cmd/migrate", "migrate", "migrate", "cgr.dev/chainguard/glibc-dynamic:latest", ""},
			{"worker", "./cmd/worker", "worker", "worker", "gcr.io/distroless/static-debian12:nonroot", ""},
		}
		if diff := cmp.Diff(want, gotImages); diff != "" {
			t.Errorf("images (-want +got):\n%s", diff)
		}
		if cfg.Registry != "registry.example.com/kouser" {
			t.Errorf("registry = %q", cfg.Registry)
		}
	})
}

func TestGeneratePlain(t *testing.T) {
	root := writeRepo(t, map[string]string{
		"go.work":                        "go 1.22\n\nuse (\n\t./services\n\t./tools\n)\n",
		"services/go.mod":                "module example.com/shop/services\n",
		"services/api/cmd/api/main.go":   "package main\nfunc main() {}\n",
		"services/admin/cmd/api/main.go": "package main\nfunc main() {}\n",
		"services/lib/lib.go":            "package lib\n",
		"services/testdata/x/main.go":    "package main\nfunc main() {}\n",
		"services/winonly/main.go":       "//go:build windows\n\npackage main\nfunc main() {}\n",
		"tools/go.mod":                   "module example.com/shop/tools\n",
		"tools/main.go":                  "package main\nfunc main() {}\n",
		"unused/go.mod":                  "module example.com/unused\n",
		"unused/main.go":                 "package main\nfunc main() {}\n",
	})
	got, plan, err := Generate(context.Background(), root, InitOptions{})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if len(plan.Notes) != 0 {
		t.Errorf("notes = %v, want none", plan.Notes)
	}
	golden(t, "workspace.gobake.yaml", got)
	if err := os.WriteFile(filepath.Join(root, config.FileName), got, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(filepath.Join(root, config.FileName), config.WithGetenv(func(string) string { return "" })); err != nil {
		t.Fatalf("config.Load: %v", err)
	}
}

func TestGenerateNamingKo(t *testing.T) {
	got, _, err := Generate(context.Background(), fixture, InitOptions{Naming: kocompat.NamingKo, Registry: "localhost:5000"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    repository: api-fac7fef128c54dfb9c7086621f09d1e1\n",
		"    repository: worker-ded9f616e425f45608110c350ec6ca67\n",
		"registry: localhost:5000\n",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if _, _, err := Generate(context.Background(), fixture, InitOptions{Naming: kocompat.NamingBare}); err == nil {
		t.Error("Generate with naming bare succeeded")
	}
}

func TestImageNames(t *testing.T) {
	tests := []struct {
		name string
		dirs []string
		want []string
	}{
		{"plain", []string{"cmd/api", "cmd/worker"}, []string{"api", "worker"}},
		{"clash takes the parent", []string{"services/a/cmd/api", "services/b/cmd/api", "cmd/tool"}, []string{"a-api", "b-api", "tool"}},
		{"repeated element", []string{"api/cmd/api"}, []string{"api"}},
		{"root main uses the import path", []string{"."}, []string{"shop"}},
		{"sanitized", []string{"cmd/My_Tool.v2"}, []string{"my-tool-v2"}},
		{"numbers as a last resort", []string{"x/api", "x/cmd/api"}, []string{"x-api", "x-api-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := "/repo"
			var mains []Main
			for _, d := range tt.dirs {
				ip := "example.com/shop"
				if d != "." {
					ip += "/" + d
				}
				mains = append(mains, Main{ImportPath: ip, ModuleDir: root, Dir: filepath.Join(root, d)})
			}
			if diff := cmp.Diff(tt.want, ImageNames(root, mains)); diff != "" {
				t.Errorf("ImageNames (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteFileRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), config.FileName)
	if err := WriteFile(path, []byte("a: 1\n"), false); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(path, []byte("b: 2\n"), false)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second WriteFile = %v, want an error mentioning --force", err)
	}
	if err := WriteFile(path, []byte("b: 2\n"), true); err != nil {
		t.Fatalf("WriteFile with force: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "b: 2\n" {
		t.Errorf("file = %q", got)
	}
}

// TestGenerateDependencyMain checks that init --from-ko translates a
// baseImageOverrides entry keyed by a main package of a required module
// into an image building it, instead of leaving it out: from vendor/ when
// the module vendors it, else by import path.
func TestGenerateDependencyMain(t *testing.T) {
	for _, tc := range []struct {
		fixture, main string
	}{
		{"kovendor", "./vendor/example.com/kodep/storageversion/cmd/migrate"},
		{"koreplace", "example.com/kodep/storageversion/cmd/migrate"},
	} {
		t.Run(tc.fixture, func(t *testing.T) { testGenerateDependencyMain(t, tc.fixture, tc.main) })
	}
}

func testGenerateDependencyMain(t *testing.T, fixture, wantMain string) {
	ctx := context.Background()
	tmp := t.TempDir()
	for _, d := range []string{fixture, "kodep"} { // koreplace requires ../kodep
		if err := testutil.CopyDir(filepath.Join("..", "..", "testdata", d), filepath.Join(tmp, d)); err != nil {
			t.Fatal(err)
		}
	}
	repo := filepath.Join(tmp, fixture)
	got, plan, err := Generate(ctx, repo, InitOptions{KoDockerRepo: "registry.example.com/kovendor"})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if len(plan.Notes) != 0 || len(plan.Unresolved) != 0 {
		t.Errorf("notes = %v, unresolved = %v, want none", plan.Notes, plan.Unresolved)
	}
	path := filepath.Join(repo, config.FileName)
	if err := WriteFile(path, got, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatalf("config.Load: %v\n%s", err, got)
	}
	type image struct{ Name, Main, Binary, Base string }
	var gotImages []image
	for _, img := range cfg.Images {
		gotImages = append(gotImages, image{img.Name, img.Main, img.Binary, img.Base})
	}
	want := []image{
		{"api", "./cmd/api", "api", "cgr.dev/chainguard/static:latest"},
		{"migrate", wantMain, "migrate", "gcr.io/distroless/static-debian12:nonroot"},
	}
	if diff := cmp.Diff(want, gotImages); diff != "" {
		t.Errorf("images (-want +got):\n%s\n%s", diff, got)
	}
	paths, err := kocompat.ImportPaths(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ip := paths["migrate"]; ip != "example.com/kodep/storageversion/cmd/migrate" {
		t.Errorf("import path of migrate = %q, want the vendored module's", ip)
	}
}

// uncomment returns a generated gobake.yaml with every commented-out image
// written as an image, as a user uncommenting them would.
func uncomment(data []byte) []byte {
	var out strings.Builder
	on := false
	for line := range strings.Lines(string(data)) {
		switch {
		case strings.HasPrefix(line, "  # Main packages that are not images"):
			on = true
		case on && strings.HasPrefix(line, "  # ko://"), on && strings.HasPrefix(line, "  # Not an image:"):
		case on && strings.HasPrefix(line, "  # "):
			line = "  " + strings.TrimPrefix(line, "  # ")
		}
		out.WriteString(line)
	}
	return []byte(out.String())
}

// loadImages writes data as the repository's gobake.yaml, loads it and
// returns its image names and mains.
func loadImages(t *testing.T, repo string, data []byte) []string {
	t.Helper()
	path := filepath.Join(repo, config.FileName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatalf("config.Load: %v\n%s", err, data)
	}
	var got []string
	for _, img := range cfg.Images {
		rel, _ := filepath.Rel(repo, filepath.Join(img.Dir, img.Main))
		got = append(got, img.Name+" "+filepath.ToSlash(rel))
	}
	return got
}

// disabled returns "name: reason" for each commented-out image of p.
func disabled(p *Plan) []string {
	var out []string
	for _, img := range p.Images {
		if img.Disabled != "" {
			out = append(out, img.Name+": "+img.Disabled)
		}
	}
	return out
}

// TestGenerateKoReferences runs init on a repository shaped like a real ko
// user's (testdata/korepo): Kubernetes YAML (one file a Helm template that
// is not YAML) names three mains with ko://; a main under cmd/ that no YAML
// names, hack/ with a //go:build tools file, a test image referenced only
// by test YAML, a nested test module and a docs example are written
// commented out, each with its reason; a reference to a main that does not
// exist is reported. Uncommented, every image loads: hack/ is a valid main.
func TestGenerateKoReferences(t *testing.T) {
	repo := copyDir(t, "../../testdata/korepo")
	got, plan, err := Generate(context.Background(), repo, InitOptions{})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	golden(t, "korepo.gobake.yaml", got)
	wantOff := []string{
		"debugtool: no ko:// reference in the repository's YAML names it",
		"hello: no ko:// reference in the repository's YAML names it",
		"hack: no ko:// reference in the repository's YAML names it",
		"conformance: no ko:// reference in the repository's YAML names it",
		"helloworld: referenced only from test/config/helloworld.yaml:8, under test/ (tests)",
	}
	if diff := cmp.Diff(wantOff, disabled(plan)); diff != "" {
		t.Errorf("commented out (-want +got):\n%s", diff)
	}
	var unresolved []string
	for _, n := range plan.Unresolved {
		unresolved = append(unresolved, n.String())
	}
	wantUnresolved := []string{"config/chart/templates/queue.yaml:13: ko://example.com/korepo/cmd/removed: not a main package of the repository or of a module it requires; no image for it"}
	if diff := cmp.Diff(wantUnresolved, unresolved); diff != "" {
		t.Errorf("unresolved (-want +got):\n%s", diff)
	}
	wantImages := []string{"controller cmd/controller", "queue cmd/queue", "webhook cmd/webhook"}
	if diff := cmp.Diff(wantImages, loadImages(t, repo, got)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	wantAll := []string{
		"conformance test/conformance", "controller cmd/controller", "debugtool cmd/debugtool", "hack hack",
		"hello docs/examples/hello", "helloworld test/test_images/helloworld", "queue cmd/queue", "webhook cmd/webhook",
	}
	if diff := cmp.Diff(wantAll, loadImages(t, repo, uncomment(got))); diff != "" {
		t.Errorf("images once uncommented (-want +got):\n%s", diff)
	}
}

// TestGenerateDevDirs runs init on the same repository without its
// Kubernetes YAML: every main is an image but those under hack/, test/
// (the nested test module too) and docs/, which are written commented out.
func TestGenerateDevDirs(t *testing.T) {
	repo := copyDir(t, "../../testdata/korepo")
	for _, d := range []string{"config", "test/config"} {
		if err := os.RemoveAll(filepath.Join(repo, d)); err != nil {
			t.Fatal(err)
		}
	}
	got, plan, err := Generate(context.Background(), repo, InitOptions{})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	golden(t, "devdirs.gobake.yaml", got)
	wantOff := []string{
		"hello: under docs/ (documentation)",
		"hack: under hack/ (development tooling)",
		"conformance: under test/ (tests)",
		"helloworld: under test/ (tests)",
	}
	if diff := cmp.Diff(wantOff, disabled(plan)); diff != "" {
		t.Errorf("commented out (-want +got):\n%s", diff)
	}
	if len(plan.Unresolved) != 0 {
		t.Errorf("unresolved = %v", plan.Unresolved)
	}
	wantImages := []string{"controller cmd/controller", "debugtool cmd/debugtool", "queue cmd/queue", "webhook cmd/webhook"}
	if diff := cmp.Diff(wantImages, loadImages(t, repo, got)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if got := loadImages(t, repo, uncomment(got)); len(got) != 8 {
		t.Errorf("images once uncommented = %v, want 8", got)
	}
}
