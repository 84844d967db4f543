package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

// TestPlanExitCode checks plan --exit-code: 0 right after a build, 3 (and
// no error message) once the image's source changed, 1 on an error;
// against a registry and an OCI layout (whose records are read by their
// digests, and in full for a changed image: its reason is exact).
func TestPlanExitCode(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t) + "/acme"
	for _, baseline := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"registry", func(*testing.T) []string { return []string{"--registry", prefix} }},
		{"layout", func(t *testing.T) []string { return []string{"--oci-layout", filepath.Join(t.TempDir(), "oci")} }},
	} {
		t.Run(baseline.name, func(t *testing.T) {
			cfg := writeRepo(t)
			target := baseline.args(t)
			runGobake := func(args ...string) (int, string, string) {
				var stdout, stderr bytes.Buffer
				code := run(context.Background(), append([]string{"--config", cfg}, args...), &stdout, &stderr)
				return code, stdout.String(), stderr.String()
			}
			if code, _, stderr := runGobake(append([]string{"build", "--sbom", "none"}, target...)...); code != 0 {
				t.Fatalf("build: exit %d: %s", code, stderr)
			}
			main := filepath.Join(filepath.Dir(cfg), "cmd", "hello", "main.go")
			tests := []struct {
				name     string
				edit     string // appended to main.go first
				args     []string
				want     int
				wantErr  string // in stderr; "" wants stderr empty
				wantPlan string // in stdout
			}{
				{name: "unchanged", args: target, want: 0, wantPlan: "unchanged"},
				{name: "changed", edit: "\n// edited\n", args: target, want: exitChanged, wantPlan: "cmd/hello/main.go changed"},
				{name: "error", args: append(target, "--explain", "nope"), want: 1, wantErr: "gobake: "},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if tt.edit != "" {
						f, err := os.OpenFile(main, os.O_APPEND|os.O_WRONLY, 0)
						if err != nil {
							t.Fatal(err)
						}
						if _, err := f.WriteString(tt.edit); err != nil {
							t.Fatal(err)
						}
						f.Close()
					}
					code, stdout, stderr := runGobake(append([]string{"plan", "--exit-code"}, tt.args...)...)
					if code != tt.want {
						t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.want, stdout, stderr)
					}
					if (tt.wantErr == "" && stderr != "") || !strings.Contains(stderr, tt.wantErr) {
						t.Errorf("stderr %q, want %q", stderr, tt.wantErr)
					}
					if !strings.Contains(stdout, tt.wantPlan) {
						t.Errorf("stdout lacks %q:\n%s", tt.wantPlan, stdout)
					}
				})
			}
		})
	}
}

// TestPlanCIOutputs checks what plan gives a CI system, right after a
// build (nothing changed: the empty answer) and after an edit: the
// --matrix lines on stdout, with and without --shards, and on GitHub
// Actions the step outputs and the Markdown summary; and build's step
// outputs and summary, with and without --changed.
func TestPlanCIOutputs(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t) + "/acme"
	cfg := writeRepo(t)
	runGobake := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"--config", cfg}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("gobake %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
		}
		return stdout.String()
	}
	dir := t.TempDir()
	output, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	t.Setenv("GITHUB_OUTPUT", output)
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	readCI := func() (string, string) {
		t.Helper()
		o, _ := os.ReadFile(output)
		s, _ := os.ReadFile(summary)
		os.Remove(output)
		os.Remove(summary)
		return string(o), string(s)
	}

	// build writes its references and the images it built.
	ref := strings.TrimSpace(runGobake("build", "--registry", prefix, "--sbom", "none"))
	gotOutput, gotSummary := readCI()
	if diff := cmp.Diff(fmt.Sprintf("refs=[%q]\nimages=[\"hello\"]\nchanged=true\n", ref), gotOutput); diff != "" {
		t.Errorf("build: $GITHUB_OUTPUT (-want +got):\n%s", diff)
	}
	if want := fmt.Sprintf("| hello | built | - | `%s` |", ref); !strings.Contains(gotSummary, want) {
		t.Errorf("build: $GITHUB_STEP_SUMMARY lacks %q:\n%s", want, gotSummary)
	}
	// build --changed with nothing changed: the reference kept, no image built.
	runGobake("build", "--registry", prefix, "--sbom", "none", "--changed")
	gotOutput, gotSummary = readCI()
	if diff := cmp.Diff(fmt.Sprintf("refs=[%q]\nimages=[]\nchanged=false\n", ref), gotOutput); diff != "" {
		t.Errorf("build --changed: $GITHUB_OUTPUT (-want +got):\n%s", diff)
	}
	if want := "| hello | unchanged: kept | - |"; !strings.Contains(gotSummary, want) {
		t.Errorf("build --changed: $GITHUB_STEP_SUMMARY lacks %q:\n%s", want, gotSummary)
	}

	// The JSON documents of an empty plan match their schemas, which
	// want every list a list: [], never null.
	for _, doc := range []struct {
		args   []string
		schema string
	}{
		{[]string{"plan", "--registry", prefix, "--json"}, "plan.schema.json"},
		{[]string{"build", "--registry", prefix, "--sbom", "none", "--changed", "--json"}, "build.schema.json"},
		{[]string{"affected", "--json", "README.md"}, "affected.schema.json"},
	} {
		out := runGobake(doc.args...)
		testutil.CheckSchema(t, doc.schema, schema.Outputs[doc.schema], []byte(out))
		if strings.Contains(out, "null") {
			t.Errorf("gobake %s printed a null:\n%s", strings.Join(doc.args, " "), out)
		}
	}
	readCI()

	main := filepath.Join(filepath.Dir(cfg), "cmd", "hello", "main.go")
	tests := []struct {
		name        string
		edit        bool // edit main.go first
		args        []string
		wantStdout  string
		wantOutput  string // $GITHUB_OUTPUT afterwards
		wantSummary string // in $GITHUB_STEP_SUMMARY
	}{
		{
			name:        "unchanged",
			args:        []string{"--matrix"},
			wantStdout:  "matrix={\"include\":[]}\nchanged=false\n",
			wantOutput:  "matrix={\"include\":[]}\nchanged=false\nimages=[]\n",
			wantSummary: "No image changed (1 unchanged).",
		},
		{
			name:        "unchanged sharded",
			args:        []string{"--matrix", "--shards", "3"},
			wantStdout:  "matrix={\"include\":[]}\nchanged=false\n",
			wantOutput:  "matrix={\"include\":[]}\nchanged=false\nimages=[]\n",
			wantSummary: "No image changed (1 unchanged).",
		},
		{
			name:        "changed",
			edit:        true,
			args:        []string{"--matrix"},
			wantStdout:  "matrix={\"include\":[{\"image\":\"hello\",\"platforms\":[\"linux/amd64\"]}]}\nchanged=true\n",
			wantOutput:  "matrix={\"include\":[{\"image\":\"hello\",\"platforms\":[\"linux/amd64\"]}]}\nchanged=true\nimages=[\"hello\"]\n",
			wantSummary: "| hello | changed | linux/amd64 | cmd/hello/main.go changed |",
		},
		{
			name:        "changed sharded",
			args:        []string{"--matrix", "--shards", "3"},
			wantStdout:  "matrix={\"include\":[{\"shard\":\"1/1\"}]}\nchanged=true\n",
			wantOutput:  "matrix={\"include\":[{\"shard\":\"1/1\"}]}\nchanged=true\nimages=[\"hello\"]\n",
			wantSummary: "| hello | changed | linux/amd64 | cmd/hello/main.go changed |",
		},
		{
			name:        "table",
			args:        []string{"--shards", "2"},
			wantStdout:  "IMAGE  STATUS   REASONS\nhello  changed  cmd/hello/main.go changed\n",
			wantOutput:  "matrix={\"include\":[{\"shard\":\"1/1\"}]}\nchanged=true\nimages=[\"hello\"]\n",
			wantSummary: "1 of 1 image(s) new or changed.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.edit {
				noErr(t, os.WriteFile(main, []byte("package main\n\nfunc main() { println(\"edited\") }\n"), 0o644))
			}
			stdout := runGobake(append([]string{"plan", "--registry", prefix}, tt.args...)...)
			gotOutput, gotSummary := readCI()
			if diff := cmp.Diff(tt.wantStdout, stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOutput, gotOutput); diff != "" {
				t.Errorf("$GITHUB_OUTPUT (-want +got):\n%s", diff)
			}
			if !strings.Contains(gotSummary, tt.wantSummary) {
				t.Errorf("$GITHUB_STEP_SUMMARY lacks %q:\n%s", tt.wantSummary, gotSummary)
			}
			matrix, _, _ := strings.Cut(strings.TrimPrefix(gotOutput, "matrix="), "\n")
			testutil.CheckSchema(t, "matrix.schema.json", schema.Matrix, []byte(matrix))
		})
	}
}

// TestPlanSameOutput: an image whose inputs changed (its ldflags written
// as two items) is changed for plan, and once a build of these inputs gave
// the image of the baseline (built here into the OCI layout, not pushed:
// the outputs cache knows it; or pushed earlier: a referrer of the
// baseline's image records it), plan --json says sameOutput and the table
// says so; the status stays changed.
func TestPlanSameOutput(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t) + "/acme"
	cfg := writeRepo(t)
	yaml := "version: 1\ndefaults:\n  base: scratch\nimages:\n  hello:\n    main: ./cmd/hello\n    ldflags: [\"-s -w\"]\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	runGobake := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"--config", cfg}, args...), &stdout, &stderr); code != 0 {
			t.Fatalf("gobake %v: exit %d: %s", args, code, stderr.String())
		}
		return stdout.String()
	}
	plan := func() graph.ImagePlan {
		t.Helper()
		var rep graph.Report
		if err := json.Unmarshal([]byte(runGobake("plan", "--registry", prefix, "--json")), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Images[0]
	}
	runGobake("build", "--registry", prefix, "--sbom", "none")
	if err := os.WriteFile(cfg, []byte(strings.Replace(yaml, `["-s -w"]`, `["-s", "-w"]`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := plan(); p.Status != graph.StatusChanged || p.SameOutput {
		t.Fatalf("before a build: status %s, sameOutput %v; want changed, false", p.Status, p.SameOutput)
	}
	runGobake("build", "--oci-layout", filepath.Join(t.TempDir(), "oci"), "--sbom", "none")
	if p := plan(); p.Status != graph.StatusChanged || !p.SameOutput {
		t.Errorf("after a build: status %s, sameOutput %v; want changed, true", p.Status, p.SameOutput)
	}
	if out := runGobake("plan", "--registry", prefix); !strings.Contains(out, "ldflags changed; "+sameOutputNote) {
		t.Errorf("table lacks %q:\n%s", sameOutputNote, out)
	}
	summary := filepath.Join(t.TempDir(), "summary")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	runGobake("plan", "--registry", prefix)
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "| ldflags changed; "+sameOutputNote+" |") {
		t.Errorf("step summary lacks %q:\n%s", sameOutputNote, b)
	}
	// Without the local cache, the registry's records say it: a build of
	// the split ldflags pushed (as pr) holds the newest record of latest's
	// image; back at the first ldflags, latest's first record matches.
	cache := filepath.Join(filepath.Dir(cfg), ".gobake", "cache", "outputs.v1")
	runGobake("build", "--registry", prefix, "--sbom", "none", "--tag", "pr")
	if p := plan(); p.Status != graph.StatusUnchanged {
		t.Fatalf("after pushing a build of these inputs: status %s, want unchanged", p.Status)
	}
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cache); err != nil {
		t.Fatal(err)
	}
	if p := plan(); p.Status != graph.StatusChanged || !p.SameOutput {
		t.Errorf("back at the first ldflags: status %s, sameOutput %v; want changed, true", p.Status, p.SameOutput)
	}
	// A real change: no build of these inputs is known.
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfg), "cmd", "hello", "main.go"), []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p := plan(); p.Status != graph.StatusChanged || p.SameOutput {
		t.Errorf("after an edit: status %s, sameOutput %v; want changed, false", p.Status, p.SameOutput)
	}
}

// TestPlanGitFacts checks that the git facts reach the templates that
// refer to them, and that plan asks git nothing when none does: on a
// dirty tree of branch feature/x, a tag {{.Git.TreeState}} is "dirty" in
// build's output and a tag {{.Git.Branch}} fails plan as it fails build;
// with a broken git index, where git status fails, plan still answers
// when its tags do not refer to git.
func TestPlanGitFacts(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t) + "/acme"
	cfg := writeRepo(t)
	dir := filepath.Dir(cfg)
	git := func(args ...string) { gitIn(t, dir, args...) }
	git("init", "--quiet", "--initial-branch=feature/x")
	git("add", ".")
	git("commit", "--quiet", "-m", "one")
	main := filepath.Join(dir, "cmd", "hello", "main.go")
	if err := os.WriteFile(main, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	setTags := func(tags string) {
		t.Helper()
		body := "version: 1\ndefaults:\n  base: scratch\nimages:\n  hello:\n    main: ./cmd/hello\n    tags: [" + tags + "]\n"
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGobake := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"--config", cfg}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	setTags(`"{{.Git.TreeState}}", latest`)
	code, stdout, stderr := runGobake("build", "--registry", prefix, "--sbom", "none", "--json")
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	var rep buildReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("build --json: %v\n%s", err, stdout)
	}
	if len(rep.Images) != 1 || !cmp.Equal(rep.Images[0].Tags, []string{"dirty", "latest"}) {
		t.Errorf("build tags = %+v, want [dirty latest]", rep.Images)
	}

	const invalid = `renders to "feature/x", which is not a valid tag`
	setTags(`"{{.Git.Branch}}"`)
	for _, cmd := range []string{"plan", "build"} {
		if code, _, stderr := runGobake(cmd, "--registry", prefix); code != 1 || !strings.Contains(stderr, invalid) {
			t.Errorf("%s with a branch tag: exit %d, stderr %q; want 1 and %q", cmd, code, stderr, invalid)
		}
	}

	if err := os.WriteFile(filepath.Join(dir, ".git", "index"), []byte("not an index"), 0o644); err != nil {
		t.Fatal(err)
	}
	setTags("latest")
	if code, stdout, stderr := runGobake("plan", "--registry", prefix); code != 0 || !strings.Contains(stdout, "unchanged") {
		t.Errorf("plan without git templates, git status failing: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	setTags(`"{{.Git.TreeState}}"`)
	if code, _, stderr := runGobake("plan", "--registry", prefix); code != 1 || !strings.Contains(stderr, "read git info") {
		t.Errorf("plan with a git tag, git status failing: exit %d, stderr %q; want 1 and the git error", code, stderr)
	}
}

// gitIn runs git in dir with a fixed identity.
func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestPlanSince checks plan --since, whose plan of ref's files is made
// while the current one is: an edit since ref changes the image, and a
// ref without gobake.yaml is compared with the current configuration,
// with a note saying so.
func TestPlanSince(t *testing.T) {
	cfg := writeRepo(t)
	dir := filepath.Dir(cfg)
	git := func(args ...string) { gitIn(t, dir, args...) }
	git("init", "--quiet", "--initial-branch=main")
	git("add", ".", ":!gobake.yaml")
	git("commit", "--quiet", "-m", "code")
	git("add", "gobake.yaml")
	git("commit", "--quiet", "-m", "config")
	main := filepath.Join(dir, "cmd", "hello", "main.go")
	if err := os.WriteFile(main, []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("commit", "--quiet", "-am", "edit")
	tests := []struct {
		ref      string
		wantPlan string
		wantNote string // "" wants stderr empty
	}{
		{"HEAD~1", "cmd/hello/main.go changed", ""},
		{"HEAD", "unchanged", ""},
		{"HEAD~2", "cmd/hello/main.go changed", "HEAD~2 has no gobake.yaml: comparing with the current configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"--config", cfg, "plan", "--since", tt.ref}, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantPlan) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantPlan, stdout.String())
			}
			if (tt.wantNote == "" && stderr.Len() > 0) || !strings.Contains(stderr.String(), tt.wantNote) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.wantNote)
			}
		})
	}
}
