package graph

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/config"
)

// sampleDir is the sample monorepo the mutation suite copies.
const sampleDir = "../../testdata/monorepo"

// copySample copies the sample monorepo (without its bases and .gobake)
// into a fresh temporary directory and returns it.
func copySample(t testing.TB) string {
	t.Helper()
	dst := t.TempDir()
	src, err := filepath.Abs(sampleDir)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if r == "bases" || r == ".gobake" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, r), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, r), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// sampleConfig is the sample's gobake.yaml as config.Load returns it,
// built by hand so that these tests do not depend on the loader.
func sampleConfig(root string) *config.Config {
	labels := func(tier string) map[string]string {
		m := map[string]string{
			"org.opencontainers.image.title":    "{{.Image}}",
			"org.opencontainers.image.version":  "{{.Version}}",
			"org.opencontainers.image.revision": "{{.Git.Commit}}",
			"org.opencontainers.image.source":   "https://example.com/mono",
		}
		if tier != "" {
			m["com.example.tier"] = tier
		}
		return m
	}
	img := func(name, main, data, base, tier string, plats ...string) config.Image {
		if len(plats) == 0 {
			plats = []string{"linux/amd64"}
		}
		ref := "oci:" + filepath.Join(root, "bases/static")
		if base == "scratch" {
			ref = "scratch"
		}
		if data != "" {
			data = filepath.Join(root, data)
		}
		return config.Image{
			Name: name, Main: main, Dir: root, Data: data, Binary: name, Repository: name,
			BaseRef: ref,
			Settings: config.Settings{
				Base: base, Platforms: plats,
				Ldflags: []string{"-s -w", "-X main.version={{.Version}}"},
				Labels:  labels(tier),
			},
		}
	}
	return &config.Config{
		Path: filepath.Join(root, config.FileName),
		Root: root,
		Tags: []string{"latest"},
		Images: []config.Image{
			img("api", "./services/api/cmd/api", "services/api/cmd/api/kodata", "static", "backend"),
			img("ctl", "./tools/ctl/cmd/ctl", "", "static", "", "linux/amd64", "linux/arm64"),
			img("web", "./services/web/cmd/web", "", "static", "frontend"),
			img("worker", "./services/worker/cmd/worker", "", "scratch", ""),
		},
	}
}

// fakeBases is a BaseDigestFunc backed by a map from base reference and
// platform to digest.
type fakeBases map[string]string

func (f fakeBases) digest(_ context.Context, img config.Image, platform string) (string, error) {
	if img.BaseRef == "scratch" {
		return "scratch", nil
	}
	if d, ok := f[platform]; ok {
		return d, nil
	}
	return "sha256:" + strings.Repeat("1", 64), nil
}

// targets is every image of cfg on its configured platforms, each with
// the base digest f gives, as the planner would resolve them.
func (f fakeBases) targets(t testing.TB, cfg *config.Config) []Target {
	t.Helper()
	ts, err := configuredTargets(cfg.Images)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ts {
		if ts[i].Base, err = f.digest(context.Background(), ts[i].Image, ts[i].Platform); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}
