package kocompat

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

// The md5 sums below were computed with `printf %s IMPORTPATH | md5sum`.
func TestRepositoryName(t *testing.T) {
	tests := []struct {
		name       string
		naming     Naming
		importPath string
		configured string
		want       string
	}{
		{"gobake keeps the configured repository", NamingGobake, "example.com/kouser/cmd/api", "api", "api"},
		{"ko default", NamingKo, "example.com/kouser/cmd/api", "api", "api-fac7fef128c54dfb9c7086621f09d1e1"},
		{"ko default, another main", NamingKo, "example.com/kouser/cmd/worker", "w", "worker-ded9f616e425f45608110c350ec6ca67"},
		{"ko default strips ko://", NamingKo, "ko://github.com/google/ko/test", "", "test-46c4b272b3716c422d5ff6dfc7547fa9"},
		{"ko default lower-cases before hashing", NamingKo, "github.com/Acme/MixedCase/cmd/App", "", "app-69670482df3acfa38f90f58a022a0a79"},
		{"bare", NamingBare, "example.com/kouser/cmd/api", "api", ""},
		{"base import paths", NamingBaseImportPaths, "example.com/kouser/cmd/api", "x", "api"},
		{"preserve import paths", NamingPreserveImportPaths, "example.com/kouser/cmd/api", "x", "example.com/kouser/cmd/api"},
		{"preserve import paths lower-cases", NamingPreserveImportPaths, "github.com/Acme/App", "x", "github.com/acme/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RepositoryName(tt.naming, tt.importPath, tt.configured)
			if err != nil {
				t.Fatalf("RepositoryName: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RepositoryName(%s, %s) (-want +got):\n%s", tt.naming, tt.importPath, diff)
			}
		})
	}
}

func TestParseNaming(t *testing.T) {
	for _, n := range Namings() {
		t.Run(string(n), func(t *testing.T) {
			got, err := ParseNaming(string(n))
			if err != nil || got != n {
				t.Errorf("ParseNaming(%q) = %q, %v", n, got, err)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		if _, err := ParseNaming("md5"); err == nil {
			t.Error("ParseNaming(md5) succeeded")
		}
	})
}

func TestApplyNaming(t *testing.T) {
	paths := map[string]string{"api": "example.com/kouser/cmd/api", "jobs": "example.com/kouser/cmd/worker"}
	newCfg := func() *config.Config {
		return &config.Config{
			Registry: "registry.example.com/team/app",
			Images:   []config.Image{{Name: "api", Repository: "api"}, {Name: "jobs", Repository: "jobs"}},
		}
	}
	type out struct {
		Registry string
		Repos    []string
	}
	tests := []struct {
		naming Naming
		want   out
	}{
		{NamingGobake, out{"registry.example.com/team/app", []string{"api", "jobs"}}},
		{NamingKo, out{"registry.example.com/team/app", []string{"api-fac7fef128c54dfb9c7086621f09d1e1", "worker-ded9f616e425f45608110c350ec6ca67"}}},
		{NamingBaseImportPaths, out{"registry.example.com/team/app", []string{"api", "worker"}}},
		{NamingPreserveImportPaths, out{"registry.example.com/team/app", []string{"example.com/kouser/cmd/api", "example.com/kouser/cmd/worker"}}},
		{NamingBare, out{"registry.example.com/team", []string{"app", "app"}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.naming), func(t *testing.T) {
			cfg := newCfg()
			if err := ApplyNaming(cfg, tt.naming, paths); err != nil {
				t.Fatalf("ApplyNaming: %v", err)
			}
			got := out{Registry: cfg.Registry}
			for _, img := range cfg.Images {
				got.Repos = append(got.Repos, img.Repository)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ApplyNaming (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("bare needs a repository in the registry", func(t *testing.T) {
		cfg := newCfg()
		cfg.Registry = "localhost:5000"
		if err := ApplyNaming(cfg, NamingBare, paths); err == nil {
			t.Error("ApplyNaming(bare) with a bare host succeeded")
		}
	})
}
