package graph

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/testutil"
)

// TestImportPathMain checks mains written as import paths of a required
// module (testdata/koreplace requires example.com/kodep, beside it): the
// graph loads them, their files are inputs, and a package that is not
// main is refused.
func TestImportPathMain(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	for _, d := range []string{"koreplace", "kodep"} {
		if err := testutil.CopyDir(filepath.Join("..", "..", "testdata", d), filepath.Join(tmp, d)); err != nil {
			t.Fatal(err)
		}
	}
	root := filepath.Join(tmp, "koreplace")
	cfgFor := func(main string) *config.Config {
		return &config.Config{
			Path: filepath.Join(root, config.FileName), Root: root,
			Images: []config.Image{{
				Name: "migrate", Main: main, Dir: root, Binary: "migrate", Repository: "migrate",
				BaseRef: "scratch", Settings: config.Settings{Base: "scratch", Platforms: []string{"linux/amd64"}},
			}},
		}
	}
	cfg := cfgFor("example.com/kodep/storageversion/cmd/migrate")
	digest := func() string {
		t.Helper()
		r, err := Compute(ctx, cfg, Options{})
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		return r.Records["migrate"].Platform("linux/amd64").Digest
	}
	before := digest()
	f := filepath.Join(tmp, "kodep", "storageversion", "cmd", "migrate", "main.go")
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, append(b, "\n// changed\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if after := digest(); after == before {
		t.Errorf("digest unchanged after the dependency's main changed: %s", after)
	}

	if err := os.MkdirAll(filepath.Join(tmp, "kodep", "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "kodep", "lib", "lib.go"), []byte("package lib\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Compute(ctx, cfgFor("example.com/kodep/lib"), Options{})
	if err == nil || !strings.Contains(err.Error(), "package lib, not a main package") {
		t.Errorf("Compute with a library as main: err = %v, want it refused", err)
	}
}
