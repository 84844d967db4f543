package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

// tinyImages are the images of the tiny release fixture: a and b share the
// package lib, c stands alone.
var tinyImages = []string{"a", "b", "c"}

// tinyEnv is the world of a reliability scenario: a tiny monorepo (three
// small mains on scratch, one platform) with a bare origin, a bare GitOps
// repository, and a docker-registry behind a fault proxy. Every gobake run
// in it is recorded, so that the invariant checker can hold each report
// against the registry and both remotes.
type tinyEnv struct {
	reg    *testutil.Registry
	proxy  *faultProxy
	prefix string // registry prefix in gobake.yaml: PROXY/acme
	src    string // the first clone
	origin string // the source remote
	deploy string // the GitOps remote

	mu     sync.Mutex
	cpu    time.Duration // CPU of every gobake run and its children, killed ones too
	runs   []*tinyRun    // every release run, in order of start
	hist   history       // what the checker has seen so far
	logged int           // runs logged for a broken invariant
}

// tinyRun is one gobake release run and everything it wrote.
type tinyRun struct {
	Dir      string
	Args     []string
	Out      testutil.Output
	Killed   bool          // ended by SIGKILL: its reports may be missing
	CPU      time.Duration // user and system time of gobake and its children
	Report   fullReport    // --output (zero when not written)
	HasJSON  bool
	NoSchema error  // why --output does not match schema/release.schema.json; nil when it does
	GHOutput string // $GITHUB_OUTPUT
	Summary  string // $GITHUB_STEP_SUMMARY
}

// tinyFiles is the tiny monorepo, by path.
var tinyFiles = map[string]string{
	"go.mod":        "module example.com/tiny\n\ngo 1.26.0\n",
	".gitignore":    ".gobake/\n",
	"lib/lib.go":    "// Package lib is shared by a and b.\npackage lib\n\n// Name is who greets.\nconst Name = \"lib\"\n",
	"cmd/a/main.go": "package main\n\nimport \"example.com/tiny/lib\"\n\nfunc main() { println(\"a\", lib.Name) }\n",
	"cmd/b/main.go": "package main\n\nimport \"example.com/tiny/lib\"\n\nfunc main() { println(\"b\", lib.Name) }\n",
	"cmd/c/main.go": "package main\n\nfunc main() { println(\"c\") }\n",
}

// newTinyEnv starts a registry, a fault proxy in front of it and the two
// remotes, and pushes the tiny monorepo to its origin.
func newTinyEnv(t *testing.T) *tinyEnv {
	t.Helper()
	e := &tinyEnv{reg: testutil.StartRegistry(t)}
	e.proxy = startFaultProxy(t, e.reg.Host)
	e.prefix = e.proxy.Addr + "/acme"
	e.hist = newHistory()

	e.deploy = filepath.Join(t.TempDir(), "deploy.git")
	testutil.Git(t, "", "init", "-q", "--bare", "-b", "main", e.deploy)
	testutil.Git(t, e.deploy, "config", "receive.autogc", "false") // no gc --auto after every push: CPU the scenarios need
	seed := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tiny\nspec:\n  template:\n    spec:\n      containers:\n")
	for _, img := range tinyImages {
		fmt.Fprintf(&b, "        - name: %s\n          image: %s/%s:0.0.0\n", img, e.prefix, img)
	}
	writeFiles(t, seed, map[string]string{"deployment.yaml": b.String()})
	testutil.GitInit(t, seed)
	testutil.Git(t, seed, "push", "-q", e.deploy, "main")

	e.src = filepath.Join(t.TempDir(), "tiny")
	files := map[string]string{}
	for k, v := range tinyFiles {
		files[k] = v
	}
	files["gobake.yaml"] = fmt.Sprintf(`version: 1
registry: %s
defaults:
  base: scratch
  platforms: [linux/amd64]
  ldflags: [-s -w]
  labels:
    org.opencontainers.image.version: "{{.Version}}"
    org.opencontainers.image.revision: "{{.Git.Commit}}"
images:
  a: {main: ./cmd/a}
  b: {main: ./cmd/b}
  c: {main: ./cmd/c}
gitops:
  repo: %s
  targets:
    - file: deployment.yaml
`, e.prefix, e.deploy)
	writeFiles(t, e.src, files)
	testutil.GitInit(t, e.src)
	noMaintenance(t, e.src)
	e.origin = filepath.Join(t.TempDir(), "origin.git")
	testutil.Git(t, "", "init", "-q", "--bare", "-b", "main", e.origin)
	testutil.Git(t, e.origin, "config", "receive.autogc", "false")
	testutil.Git(t, e.src, "remote", "add", "origin", e.origin)
	testutil.Git(t, e.src, "push", "-q", "origin", "main")
	return e
}

// writeFiles writes files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// clone clones origin into a new directory, with extra git clone flags.
func (e *tinyEnv) clone(t *testing.T, flags ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	args := append([]string{"clone", "-q"}, flags...)
	if len(flags) > 0 { // --depth needs a URL to be shallow
		args = append(args, "file://"+e.origin, dir)
	} else {
		args = append(args, e.origin, dir)
	}
	testutil.Git(t, "", args...)
	noMaintenance(t, dir)
	return dir
}

// noMaintenance turns off git's automatic maintenance in the clone dir
// (gc --auto and maintenance run --auto after commits and pulls): CPU the
// scenarios need, in clones that live for one test.
func noMaintenance(t *testing.T, dir string) {
	t.Helper()
	testutil.Git(t, dir, "config", "maintenance.auto", "false")
	testutil.Git(t, dir, "config", "gc.auto", "0")
}

// change commits a fix to the main of image (or lib for "lib") in dir and
// pushes it to origin, rebasing on what others pushed first.
func (e *tinyEnv) change(t *testing.T, dir, image, msg string) {
	t.Helper()
	file := "cmd/" + image + "/main.go"
	if image == "lib" {
		file = "lib/lib.go"
	}
	appendLine(t, filepath.Join(dir, filepath.FromSlash(file)), "// "+msg)
	testutil.Git(t, dir, "commit", "-q", "-a", "-m", msg)
	e.push(t, dir)
}

// push pushes main of dir to origin, rebasing first when origin moved on.
func (e *tinyEnv) push(t *testing.T, dir string) {
	t.Helper()
	for range 5 {
		if _, err := gitErr(dir, "push", "-q", "origin", "main"); err == nil {
			return
		}
		testutil.Git(t, dir, "pull", "-q", "--rebase", "origin", "main")
	}
	t.Fatalf("push main of %s: rejected five times", dir)
}

// gitErr runs git like testutil.Git but returns the error instead of
// failing, for the goroutines of the racing scenarios.
func gitErr(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=gobake test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=gobake test", "GIT_COMMITTER_EMAIL=test@example.com")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		return string(out), fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

// releaseCmd is the gobake release command of one run, with its report
// files in a new directory.
func (e *tinyEnv) releaseCmd(t *testing.T, dir string, args ...string) (*exec.Cmd, *tinyRun, func()) {
	t.Helper()
	files := t.TempDir()
	out := filepath.Join(files, "release.json")
	gh := filepath.Join(files, "github_output")
	sum := filepath.Join(files, "step_summary")
	full := append([]string{"release", "--output", out}, args...)
	cmd := exec.Command(gobake.Path(t), full...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GOBAKE_") || strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") || strings.HasPrefix(kv, "GITHUB_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	// No automatic maintenance (git gc --auto, git maintenance run
	// --auto) in the GitOps clones: a CI runner's clone lives for one job.
	// The remotes (origin, of the source clones and the GitOps clones) are
	// bare repositories on this disk, whose receive-pack git push runs as
	// its own child: in gobake's process group, so that a kill -9 of the
	// group would kill the "server" in the middle of a ref update and
	// leave its lock (refs/heads/main.lock) for every later push to trip
	// on, which no real remote does (its receive-pack sees the client go
	// and ends cleanly). setsid keeps it out of the group, as a server is.
	cmd.Env = append(cmd.Env, "GITHUB_OUTPUT="+gh, "GITHUB_STEP_SUMMARY="+sum,
		"GIT_CONFIG_COUNT=3", "GIT_CONFIG_KEY_0=maintenance.auto", "GIT_CONFIG_VALUE_0=false",
		"GIT_CONFIG_KEY_1=gc.auto", "GIT_CONFIG_VALUE_1=0",
		"GIT_CONFIG_KEY_2=remote.origin.receivepack", "GIT_CONFIG_VALUE_2=setsid git receive-pack")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // kill -9 takes its go build children too
	run := &tinyRun{Dir: dir, Args: args}
	finish := func() {
		if ps := cmd.ProcessState; ps != nil {
			run.CPU = ps.UserTime() + ps.SystemTime()
		}
		if b, err := os.ReadFile(out); err == nil {
			run.HasJSON = true
			run.NoSchema = testutil.SchemaError("release.schema.json", schema.Release, b)
			if err := json.Unmarshal(b, &run.Report); err != nil {
				run.HasJSON = false
			}
		}
		b, _ := os.ReadFile(gh)
		run.GHOutput = string(b)
		b, _ = os.ReadFile(sum)
		run.Summary = string(b)
		e.mu.Lock()
		e.runs = append(e.runs, run)
		e.cpu += run.CPU
		e.mu.Unlock()
	}
	return cmd, run, finish
}

// release runs gobake release in dir to its end and records it. It is safe
// to call from several goroutines.
func (e *tinyEnv) release(t *testing.T, dir string, args ...string) *tinyRun {
	t.Helper()
	cmd, run, finish := e.releaseCmd(t, dir, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	defer func() {
		t.Logf("release %v in %s: %s after %.1fs (%.1fs CPU)", args, filepath.Base(dir), run.outcome(), time.Since(start).Seconds(), run.CPU.Seconds())
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := cmd.Start()
	if err == nil {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			err = <-done
			t.Errorf("gobake release in %s: timed out", dir)
		}
	}
	run.Out = testutil.Output{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		run.Out.ExitCode = ee.ExitCode()
	case err != nil:
		t.Errorf("gobake release in %s: %v", dir, err)
		run.Out.ExitCode = -1
	}
	finish()
	return run
}

// releaseKilled starts gobake release in dir and kills its process group
// (gobake and the go and git processes it started) with SIGKILL after d,
// unless it ended first; the run's Killed says which.
func (e *tinyEnv) releaseKilled(t *testing.T, dir string, d time.Duration, args ...string) *tinyRun {
	t.Helper()
	cmd, run, finish := e.releaseCmd(t, dir, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gobake release: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(d):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
		run.Killed = true
	}
	run.Out = testutil.Output{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		run.Out.ExitCode = ee.ExitCode()
	}
	finish()
	return run
}

// outcome classifies a finished run for the reliability table.
func (r *tinyRun) outcome() string {
	switch {
	case r.Killed:
		return "killed"
	case r.Out.ExitCode == 0 && r.Report.Released:
		return "released"
	case r.Out.ExitCode == 0:
		return "nothing to release"
	default:
		return "failed"
	}
}

// row adds the count and CPU of the env's gobake runs to r.
func (e *tinyEnv) row(r reliabilityRow) reliabilityRow {
	e.mu.Lock()
	defer e.mu.Unlock()
	r.runs, r.cpu = len(e.runs), e.cpu
	return r
}
