package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// completionRepo writes a repository whose gobake.yaml has the images api
// and worker, and other.yaml beside it with the image tool; it returns the
// directory.
func completionRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	yml := "version: 1\nimages:\n  api:\n    main: ./cmd/api\n  worker:\n    main: ./cmd/worker\n"
	noErr(t, os.WriteFile(filepath.Join(dir, "gobake.yaml"), []byte(yml), 0o644))
	noErr(t, os.WriteFile(filepath.Join(dir, "other.yaml"), []byte("images:\n  tool: {main: ./cmd/tool}\n"), 0o644))
	return dir
}

// TestCompletionEntryPoint runs gobake as a shell's completer does, with
// $COMP_LINE: commands, flags and image names of gobake.yaml (or of the
// file --config names) come back, one per line.
func TestCompletionEntryPoint(t *testing.T) {
	dir := completionRepo(t)
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"gobake re", []string{"release", "resolve"}},
		{"gobake comp", []string{"completion"}},
		{"gobake completion ", []string{"bash", "fish", "zsh"}},
		{"gobake build ", []string{"api", "worker"}},
		{"gobake build a", []string{"api"}},
		{"gobake release api ", []string{"api", "worker"}},
		{"gobake plan --explain ", []string{"api", "worker"}},
		{"gobake plan --exit", []string{"--exit-code"}},
		{"gobake --config other.yaml build ", []string{"tool"}},
		{"gobake -c other.yaml plan ", []string{"tool"}},
		{"gobake -c missing.yaml plan ", []string{}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			cmd := gobakeProcess(t, []string{"COMP_LINE=" + tc.line, "COMP_POINT=" + strconv.Itoa(len(tc.line)), "GOBAKE_CONFIG="})
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("gobake: %v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("completions of %q (-want +got):\n%s", tc.line, diff)
			}
		})
	}
}

// TestCompletionScripts checks the scripts gobake completion prints with
// the shells themselves: each parses (bash -n, zsh -n, fish -n) and
// registers gobake's completer; fish, which can complete a command line
// without a terminal, completes image names through it.
func TestCompletionScripts(t *testing.T) {
	dir := completionRepo(t)
	self, err := os.Executable()
	noErr(t, err)
	script := func(shell string) string {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"completion", shell}, &stdout, &stderr); code != 0 {
			t.Fatalf("gobake completion %s: exit %d: %s", shell, code, stderr.String())
		}
		p := filepath.Join(t.TempDir(), "gobake."+shell)
		noErr(t, os.WriteFile(p, stdout.Bytes(), 0o644))
		return p
	}
	shellRun := func(t *testing.T, shell string, args ...string) string {
		t.Helper()
		path, err := exec.LookPath(shell)
		if err != nil {
			t.Fatalf("%s is needed to check its completion script (apt-get install %s): %v", shell, shell, err)
		}
		cmd := exec.Command(path, args...)
		cmd.Dir = dir
		// The completer is this test binary: it runs gobake's main.
		cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), asMainEnv+"=1", "GOBAKE_CONFIG=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", shell, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	t.Run("bash", func(t *testing.T) {
		p := script("bash")
		shellRun(t, "bash", "-n", p)
		got := shellRun(t, "bash", "-c", "source "+p+" && complete -p gobake")
		if want := "complete -o default -C '" + self + "' gobake"; strings.TrimSpace(got) != want {
			t.Errorf("bash registers %q, want %q", got, want)
		}
	})
	t.Run("zsh", func(t *testing.T) {
		p := script("zsh")
		shellRun(t, "zsh", "-n", p)
		got := shellRun(t, "zsh", "-c", "source "+p+" && print -r -- ${_comps[gobake]}")
		if !strings.HasPrefix(got, "_bash_complete") || !strings.Contains(got, self) {
			t.Errorf("zsh registers %q, want bash-style completion by %s", got, self)
		}
	})
	t.Run("fish", func(t *testing.T) {
		p := script("fish")
		shellRun(t, "fish", "-n", p)
		for line, want := range map[string]string{
			"gobake build ":              "api\nworker",
			"gobake -c other.yaml plan ": "tool",
			"gobake pl":                  "plan",
		} {
			got := shellRun(t, "fish", "-c", "source "+p+"; complete -C'"+line+"'")
			if strings.TrimSpace(got) != want {
				t.Errorf("fish completes %q as %q, want %q", line, got, want)
			}
		}
	})
}
