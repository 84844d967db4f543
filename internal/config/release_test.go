package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// loadRelease loads a gobake.yaml made of head and the release stanza rel.
func loadRelease(t *testing.T, rel string) (*Config, error) {
	t.Helper()
	root := newRepo(t)
	src := "version: 1\nimages:\n  api:\n    main: ./services/api/cmd/api\n" + rel
	writeFiles(t, root, map[string]string{FileName: src})
	return Load(filepath.Join(root, FileName), WithGetenv(func(string) string { return "" }))
}

func TestReleaseLoad(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want Release
	}{
		{"absent", "", Release{TagTemplate: "{{.Image}}/v{{.Version}}", InitialVersion: "0.1.0", Tags: []string{"latest"}}},
		{"empty", "release: {}\n", DefaultRelease()},
		{"full", "release:\n  tagTemplate: \"{{.Image}}-{{.Version}}\"\n  initialVersion: 1.0.0\n  tags: [latest, \"{{.Git.ShortCommit}}\"]\n",
			Release{TagTemplate: "{{.Image}}-{{.Version}}", InitialVersion: "1.0.0", Tags: []string{"latest", "{{.Git.ShortCommit}}"}}},
		{"no tags", "release: {tags: []}\n", Release{TagTemplate: "{{.Image}}/v{{.Version}}", InitialVersion: "0.1.0"}},
		{"anchors", "x-rel: &rel {initialVersion: 2.0.0}\nrelease: *rel\n", Release{TagTemplate: "{{.Image}}/v{{.Version}}", InitialVersion: "2.0.0", Tags: []string{"latest"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadRelease(t, tc.yaml)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, cfg.Release); diff != "" {
				t.Errorf("Release (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReleaseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"not a mapping", "release: [a]\n", []string{
			"gobake.yaml:5:10: release: must be a mapping, got a list",
		}},
		{"template without version", "release: {tagTemplate: \"{{.Image}}\"}\n", []string{
			`gobake.yaml:5:24: release.tagTemplate: tag template "{{.Image}}" must use {{.Version}} exactly once`,
		}},
		{"template with an unknown field", "release:\n  tagTemplate: \"{{.Git.Tag}}-{{.Version}}\"\n", []string{
			`gobake.yaml:6:16: release.tagTemplate: tag template "{{.Git.Tag}}-{{.Version}}": template: tag:1:6: executing "tag" at <.Git.Tag>: can't evaluate field Git in type reltag.tagData`,
		}},
		{"template making a bad git tag", "release:\n  tagTemplate: \"{{.Image}}:{{.Version}}\"\n", []string{
			`gobake.yaml:6:16: release.tagTemplate: tag template "{{.Image}}:{{.Version}}" for example 1.2.3-rc.1+build.1: "example:1.2.3-rc.1+build.1" is not a valid git tag name: contains ':'`,
		}},
		{"versions", "release:\n  initialVersion: v1.0.0\n", []string{
			`gobake.yaml:6:19: release.initialVersion: "v1.0.0" is not a semantic version X.Y.Z (no leading v)`,
		}},
		{"pre-release initial version", "release:\n  initialVersion: 1.0.0-rc.1\n", []string{
			`gobake.yaml:6:19: release.initialVersion: "1.0.0-rc.1" must be a plain X.Y.Z, without pre-release or build metadata`,
		}},
		{"number", "release:\n  initialVersion: 1.0\n", []string{
			`gobake.yaml:6:19: release.initialVersion: must be a string, got a number`,
		}},
		{"tags and unknown keys", "release:\n  tags: [latest, \"v1+b\", \"{{.Nope}}\"]\n  tagprefix: v\n", []string{
			`gobake.yaml:6:18: release.tags[1]: "v1+b" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`,
			`gobake.yaml:6:26: release.tags[2]: unknown template field .Nope (known: .Image, .Version, .Git, .Date, .Env, .Platform, .OS, .Arch)`,
			`gobake.yaml:7:3: release.tagprefix: unknown key (known: initialVersion, tagTemplate, tags)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadRelease(t, tc.yaml)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			var got []string
			for _, e := range Errors(err) {
				got = append(got, strings.TrimPrefix(e.Error(), filepath.Dir(e.File)+string(filepath.Separator)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
