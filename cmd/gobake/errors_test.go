package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// commandPrefix matches a first error line that starts with the name of
// the command that failed, or a stack of such prefixes (build: inputs: …):
// the user typed the command; the line should say what went wrong.
var commandPrefix = regexp.MustCompile(`^gobake: (build|plan|release|resolve|apply|init|affected|inputs|schema|version|completion): `)

// TestErrorFirstLines checks the first line gobake prints for common
// mistakes: one line that says what is wrong and what to do, without
// internal prefixes, and the documented exit status.
func TestErrorFirstLines(t *testing.T) {
	cfg := writeRepo(t)
	root := filepath.Dir(cfg)
	empty := t.TempDir()
	manifest := filepath.Join(root, "deploy.yaml")
	noErr(t, os.WriteFile(manifest, []byte("image: gobake://hello\n"), 0o644))
	t.Setenv("GOBAKE_REGISTRY", "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // the first line of stderr
	}{
		{"no gobake.yaml", []string{"--config", filepath.Join(empty, "gobake.yaml"), "plan"}, 1,
			"gobake: no gobake.yaml in " + empty + ": run `gobake init` to write one, or pass --config PATH"},
		{"no gobake.yaml for affected", []string{"--config", filepath.Join(empty, "gobake.yaml"), "affected", "x.go"}, 1,
			"gobake: no gobake.yaml in " + empty + ": run `gobake init` to write one, or pass --config PATH"},
		{"init over an existing file", []string{"--config", cfg, "init"}, 1,
			"gobake: " + cfg + " already exists; pass --force to overwrite it"},
		{"resolve without a registry", []string{"--config", cfg, "resolve", "-f", manifest}, 1,
			"gobake: resolve writes digests that must be pullable: set registry in " + cfg + ", $GOBAKE_REGISTRY or --registry"},
		{"--pre with a pre-release --version", []string{"--config", cfg, "release", "--pre", "rc", "--version", "hello=1.0.0-rc.2"}, 2,
			"gobake: release: --version hello=1.0.0-rc.2 is a pre-release and --pre rc would add another: give hello=1.0.0 to release 1.0.0-rc.N, or leave out --pre"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := gobakeRunner(cfg)(tc.args[2:]...)
			if tc.args[1] != cfg {
				code, _, stderr = gobakeRunner(tc.args[1])(tc.args[2:]...)
			}
			first, _, _ := strings.Cut(stderr, "\n")
			if code != tc.code || first != tc.want {
				t.Errorf("exit %d, first line:\n  %s\nwant exit %d:\n  %s", code, first, tc.code, tc.want)
			}
			if code == 1 && commandPrefix.MatchString(first) {
				t.Errorf("first line starts with an internal prefix: %s", first)
			}
		})
	}
}
