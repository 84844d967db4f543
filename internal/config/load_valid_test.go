package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadValid(t *testing.T) {
	defaults := BuiltinDefaults()
	fullDefaults := Settings{
		Base:      "static",
		Platforms: []string{"linux/amd64", "linux/arm64"},
		Env:       []string{"CGO_ENABLED=0", "GOFLAGS=-mod=readonly"},
		Flags:     []string{"-trimpath", "-tags", "netgo"},
		Ldflags:   []string{"-s", "-w", "-X main.version={{.Version}}", "-X main.commit={{.Git.ShortCommit}}"},
		User:      "65532",
		Labels: map[string]string{
			"org.opencontainers.image.source":   "https://example.com/acme/mono",
			"org.opencontainers.image.revision": "{{.Git.Commit}}",
		},
	}
	with := func(s Settings, f func(*Settings)) Settings {
		f(&s)
		return s
	}
	for _, tc := range []struct {
		fixture string
		want    func(root string) *Config
	}{
		{"valid/minimal.yaml", func(root string) *Config {
			return &Config{
				Path: filepath.Join(root, "minimal.yaml"), Root: root,
				Defaults: defaults,
				Tags:     []string{"latest"},
				Release:  DefaultRelease(),
				Images: []Image{{
					Name: "api", Main: "./services/api/cmd/api", Dir: root,
					Data:   filepath.Join(root, "services/api/cmd/api/kodata"),
					Binary: "api", Repository: "api",
					Settings: defaults, BaseRef: DefaultBase, Tags: []string{"latest"},
				}},
			}
		}},
		{"valid/anchors.yaml", func(root string) *Config {
			return &Config{
				Path: filepath.Join(root, "anchors.yaml"), Root: root,
				Defaults: defaults,
				Tags:     []string{"latest"},
				Release:  DefaultRelease(),
				Images: []Image{{
					Name: "api", Main: "./services/api/cmd/api", Dir: root,
					Data:   filepath.Join(root, "services/api/cmd/api/kodata"),
					Binary: "api", Repository: "api",
					Settings: with(defaults, func(s *Settings) { s.Base, s.User = "scratch", "root" }),
					BaseRef:  "scratch", Tags: []string{"latest"},
				}},
			}
		}},
		{"valid/full.yaml", func(root string) *Config {
			tags := []string{"latest", "{{.Version}}"}
			return &Config{
				Path: filepath.Join(root, "full.yaml"), Root: root,
				Registry: "127.0.0.1:5000/acme",
				Bases: map[string]string{
					"static": "registry.example.com/static:latest",
					"debug":  "gcr.io/distroless/base:debug",
					"local":  "oci:bases/layout:v1",
				},
				Defaults: fullDefaults,
				Tags:     tags,
				Release:  Release{TagTemplate: "release-{{.Image}}-{{.Version}}", InitialVersion: "1.0.0", Tags: []string{"stable", "{{.Git.ShortCommit}}"}},
				Images: []Image{
					{
						Name: "all", Main: "./services/worker", Dir: root, Binary: "all", Repository: "all",
						Settings: with(fullDefaults, func(s *Settings) {
							s.Base = "oci:bases/layout@sha256:0000000000000000000000000000000000000000000000000000000000000000"
							s.Platforms = []string{"all"}
						}),
						BaseRef: "oci:" + filepath.Join(root, "bases/layout") + "@sha256:0000000000000000000000000000000000000000000000000000000000000000",
						Tags:    tags,
					},
					{
						Name: "api", Main: "./services/api/cmd/api", Dir: root,
						Data:   filepath.Join(root, "services/api/cmd/api/kodata"),
						Binary: "api", Repository: "api",
						Settings: with(fullDefaults, func(s *Settings) {
							s.Base = "local"
							s.Ldflags = []string{"-X main.env={{.Env.DEPLOY_ENV}}"}
						}),
						BaseRef: "oci:" + filepath.Join(root, "bases/layout") + ":v1",
						Tags:    tags,
					},
					{
						Name: "tool", Main: "./services/api/cmd/api", Dir: root, Binary: "tool", Repository: "tool",
						Settings: with(fullDefaults, func(s *Settings) { s.Base = "scratch" }),
						BaseRef:  "scratch",
						Tags:     tags,
					},
					{
						Name: "worker", Main: "./cmd/tool", Dir: filepath.Join(root, "mod2"),
						Data:   filepath.Join(root, "mod2/assets"),
						Binary: "worker-bin", Repository: "team/worker",
						Settings: Settings{
							Base:      "debug",
							Platforms: []string{"linux/arm/v7"},
							Flags:     fullDefaults.Flags,
							Ldflags:   fullDefaults.Ldflags,
							User:      "0",
							Labels: map[string]string{
								"org.opencontainers.image.source":   "https://example.com/acme/mono",
								"org.opencontainers.image.revision": "{{.Git.Commit}}",
								"org.opencontainers.image.title":    "{{.Image}} on {{.Platform}}",
							},
							Annotations: map[string]string{"com.example.os": "{{.OS}}/{{.Arch}}"},
						},
						BaseRef: "gcr.io/distroless/base:debug",
						Tags:    []string{"{{.Git.Branch}}"},
					},
				},
			}
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			cfg, root, err := loadFixture(t, tc.fixture, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want(root), cfg); diff != "" {
				t.Errorf("config differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegistryEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string // registry line of gobake.yaml
		env     string // $GOBAKE_REGISTRY
		flag    string // --registry
		want    string
		wantErr string
	}{
		{name: "none", want: ""},
		{name: "file", file: "registry: ghcr.io/acme\n", want: "ghcr.io/acme"},
		{name: "env", env: "127.0.0.1:5000", want: "127.0.0.1:5000"},
		{name: "env overrides file", file: "registry: ghcr.io/acme\n", env: "127.0.0.1:5000/test", want: "127.0.0.1:5000/test"},
		{name: "bad env", env: "Bad/Repo", wantErr: `gobake.yaml: $GOBAKE_REGISTRY: "Bad/Repo" is not a registry or registry/prefix`},
		{name: "flag overrides env and file", file: "registry: ghcr.io/acme\n", env: "127.0.0.1:5000/test", flag: "localhost:5001/dev", want: "localhost:5001/dev"},
		{name: "trailing slashes dropped", env: "127.0.0.1:5000/test/", want: "127.0.0.1:5000/test"},
		{name: "flag with a trailing slash", flag: "localhost:5001/", want: "localhost:5001"},
		{name: "bad flag", flag: "Bad/Repo", wantErr: `gobake.yaml: --registry: "Bad/Repo" is not a registry or registry/prefix`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRepo(t)
			writeFiles(t, root, map[string]string{FileName: "version: 1\n" + tc.file + "images:\n  api: {main: ./services/api/cmd/api}\n"})
			t.Chdir(root)
			getenv := func(k string) string {
				if k == RegistryEnv {
					return tc.env
				}
				return ""
			}
			cfg, err := Load(FileName, WithGetenv(getenv), WithRegistry(tc.flag))
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("Load: %v, want %s...", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Registry != tc.want {
				t.Errorf("Registry = %q, want %q", cfg.Registry, tc.want)
			}
		})
	}
}

func TestDataDefault(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		image string // YAML of the image, after main
		want  string // relative to the root; "" for none
	}{
		{"kodata exists", map[string]string{"cmd/a/kodata/x": "x"}, "", "cmd/a/kodata"},
		{"no kodata", nil, "", ""},
		{"kodata is a file", map[string]string{"cmd/a/kodata": "x"}, "", ""},
		{"turned off", map[string]string{"cmd/a/kodata/x": "x"}, `, data: ""`, ""},
		{"explicit", map[string]string{"cmd/a/kodata/x": "x", "static/y": "y"}, ", data: ./static", "static"},
		{"relative to dir", map[string]string{"sub/cmd/a/main.go": "package main\n", "sub/static/y": "y"}, ", dir: sub, data: ./static", "sub/static"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, map[string]string{"cmd/a/main.go": "package main\n"})
			writeFiles(t, root, tc.files)
			writeFiles(t, root, map[string]string{FileName: "version: 1\nimages:\n  a: {main: ./cmd/a" + tc.image + "}\n"})
			cfg, err := Load(filepath.Join(root, FileName))
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tc.want != "" {
				want = filepath.Join(root, tc.want)
			}
			if got := cfg.Images[0].Data; got != want {
				t.Errorf("Data = %q, want %q", got, want)
			}
		})
	}
}

func TestConfigImage(t *testing.T) {
	c := &Config{Images: []Image{{Name: "a"}, {Name: "b", Binary: "bb"}, {Name: "c"}}}
	for _, tc := range []struct {
		name string
		want Image
		ok   bool
	}{
		{"b", Image{Name: "b", Binary: "bb"}, true},
		{"a", Image{Name: "a"}, true},
		{"z", Image{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.Image(tc.name)
			if ok != tc.ok || got.Name != tc.want.Name || got.Binary != tc.want.Binary {
				t.Errorf("Image(%q) = %+v, %v", tc.name, got, ok)
			}
		})
	}
}

// TestImportPathMain checks that main may be the import path of a main
// package of a required module, as ko:// references name them, and that
// bare directories without ./ are still refused.
func TestImportPathMain(t *testing.T) {
	for _, tc := range []struct {
		main   string
		wantOK bool
	}{
		{"knative.dev/pkg/apiextensions/storageversion/cmd/migrate", true},
		{"example.com/kodep/v2/cmd/x", true},
		{"services/worker", false}, // a directory written without ./
		{"example.com/x/main.go", false},
		{"example.com/x/...", false},
	} {
		t.Run(tc.main, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, map[string]string{FileName: "version: 1\nimages:\n  a: {main: " + tc.main + "}\n"})
			cfg, err := Load(filepath.Join(root, FileName))
			if (err == nil) != tc.wantOK {
				t.Fatalf("Load: err = %v, want ok = %t", err, tc.wantOK)
			}
			if err == nil {
				if img := cfg.Images[0]; img.Main != tc.main || img.Data != "" {
					t.Errorf("main, data = %q, %q; want %q, none", img.Main, img.Data, tc.main)
				}
			}
		})
	}
}
