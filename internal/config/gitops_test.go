package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const gitOpsHead = "version: 1\nimages:\n  api:\n    main: ./services/api/cmd/api\n"

// loadSnippet writes src as gobake.yaml of a new repository and loads it.
func loadSnippet(t *testing.T, src string) (*Config, string, error) {
	t.Helper()
	root := newRepo(t)
	writeFiles(t, root, map[string]string{FileName: src})
	cfg, err := Load(filepath.Join(root, FileName), WithGetenv(func(string) string { return "" }))
	return cfg, root, err
}

func TestGitOpsLoad(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want func(root string) *GitOps
	}{
		{"absent", gitOpsHead, func(string) *GitOps { return nil }},
		{"defaults", gitOpsHead + "gitops:\n  repo: ../deploy\n  targets: [{file: a.yaml}]\n", func(root string) *GitOps {
			return &GitOps{
				Repo: filepath.Join(filepath.Dir(root), "deploy"), Branch: "main", Message: DefaultGitOpsMessage,
				Pin: PinDigest, Targets: []GitOpsTarget{{File: "a.yaml"}},
			}
		}},
		{"full", gitOpsHead + `gitops:
  repo: git@github.com:acme/deploy.git
  branch: release/prod
  message: "deploy {{range .Images}}{{.Name}}={{.New}} {{end}}"
  pin: tag+digest
  changelog: changelogs/{{.Image}}.md
  targets:
    - file: apps/*/kustomization.yaml
    - file: charts/api/values.yaml
      helm: {api: {repository: .image.repository, tag: .image.tag, digest: .image.digest}}
`, func(string) *GitOps {
			return &GitOps{
				Repo: "git@github.com:acme/deploy.git", Branch: "release/prod",
				Message: "deploy {{range .Images}}{{.Name}}={{.New}} {{end}}", Pin: PinTagDigest,
				Changelog: "changelogs/{{.Image}}.md",
				Targets: []GitOpsTarget{
					{File: "apps/*/kustomization.yaml"},
					{File: "charts/api/values.yaml", Helm: map[string]HelmPaths{"api": {Repository: ".image.repository", Tag: ".image.tag", Digest: ".image.digest"}}},
				},
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, root, err := loadSnippet(t, tc.yaml)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want(root), cfg.GitOps); diff != "" {
				t.Errorf("GitOps differs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGitOpsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"not a mapping", "gitops: [x]\n", []string{
			"gitops.yaml:5:9: gitops: must be a mapping, got a list",
		}},
		{"missing keys", "gitops: {branch: main}\n", []string{
			"gitops.yaml:5:9: gitops.repo: missing; set it to the URL or path of the deployment repository",
			"gitops.yaml:5:9: gitops.targets: missing; list the files a release edits",
		}},
		{"values", `gitops:
  repo: ""
  branch: "a..b"
  message: "{{.Imagez}}"
  pin: sha
  targets:
    - file: ../x.yaml
    - file: "[x"
    - helm: {web: {tag: image.tag}, api: {repository: .image.repository}}
    - {file: a.yaml, kind: x}
`, []string{
			"gitops.yaml:6:9: gitops.repo: must not be empty; set it to the URL or path of the deployment repository",
			`gitops.yaml:7:11: gitops.branch: "a..b" is not a valid git branch name`,
			"gitops.yaml:8:12: gitops.message: template: can't evaluate field Imagez in type config.GitOpsMessageData",
			`gitops.yaml:9:8: gitops.pin: "sha" is not a pin (one of tag, digest, tag+digest)`,
			"gitops.yaml:11:13: gitops.targets[0].file: must stay inside the deployment repository (no ..)",
			"gitops.yaml:12:13: gitops.targets[1].file: bad glob: syntax error in pattern",
			"gitops.yaml:13:7: gitops.targets[2].file: missing; set it to a path or glob in the deployment repository",
			"gitops.yaml:13:14: gitops.targets[2].helm.web: no image named \"web\" in images",
			`gitops.yaml:13:25: gitops.targets[2].helm.web.tag: "image.tag" is not a YAML path of keys, like .image.tag`,
			"gitops.yaml:13:42: gitops.targets[2].helm.api: must set tag or digest (a YAML path like .image.tag)",
			"gitops.yaml:14:22: gitops.targets[3].kind: unknown key (known: file, helm)",
		}},
		{"changelog", "gitops:\n  repo: x\n  targets: [{file: a.yaml}]\n  changelog: CHANGELOG.md\n", []string{
			"gitops.yaml:8:14: gitops.changelog: must name each image's file: use {{.Image}}, e.g. changelogs/{{.Image}}/CHANGELOG.md",
		}},
		{"changelog outside", "gitops:\n  repo: x\n  targets: [{file: a.yaml}]\n  changelog: ../{{.Image}}.md\n", []string{
			"gitops.yaml:8:14: gitops.changelog: must stay inside the deployment repository (no ..)",
		}},
		{"changelog template", "gitops:\n  repo: x\n  targets: [{file: a.yaml}]\n  changelog: \"{{.Name}}.md\"\n", []string{
			"gitops.yaml:8:14: gitops.changelog: bad template: can't evaluate field Name in type config.ChangelogData",
		}},
		{"empty targets", "gitops: {repo: x, targets: []}\n", []string{
			"gitops.yaml:5:28: gitops.targets: must list at least one target",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRepo(t)
			writeFiles(t, root, map[string]string{"gitops.yaml": gitOpsHead + tc.yaml})
			t.Chdir(root)
			_, err := Load("gitops.yaml", WithGetenv(func(string) string { return "" }))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsRemoteRepo(t *testing.T) {
	for _, tc := range []struct {
		repo string
		want bool
	}{
		{"https://github.com/acme/deploy", true},
		{"ssh://git@host/x.git", true},
		{"git@github.com:acme/deploy.git", true},
		{"file:///srv/deploy", true},
		{"../deploy", false},
		{"/srv/deploy", false},
		{"deploy", false},
		{"./a:b", false},
	} {
		t.Run(tc.repo, func(t *testing.T) {
			if got := IsRemoteRepo(tc.repo); got != tc.want {
				t.Errorf("IsRemoteRepo(%q) = %v, want %v", tc.repo, got, tc.want)
			}
		})
	}
}
