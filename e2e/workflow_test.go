package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/testutil"
)

// TestGitHubActionsWorkflow runs docs/ci/github-actions.yml as GitHub
// Actions would, on this machine: its jobs in the order their needs
// give, the jobs of a matrix at once, each job in a workspace of its own
// (actions/checkout is a git clone of the source remote with the
// fetch-depth asked), each run: step under bash with the workflow's, the
// job's and the step's env, a GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and
// GITHUB_STEP_SUMMARY file per step, and ${{ }} expressions substituted.
// Only the expressions the file uses are known; any other fails the test.
// gobake is installed by the workflow's own go install step, from a local
// module proxy serving this repository, into a GOBIN the jobs share (as a
// tool cache would). The release then holds as any
// other: every image in the registry under its version, git tags on the
// source remote, the GitOps commit.
func TestGitHubActionsWorkflow(t *testing.T) {
	parallelAfterWarmup(t)
	wf := readWorkflow(t, filepath.Join(testutil.RepoRoot(t), "docs", "ci", "github-actions.yml"))
	if wf.Concurrency.Group == "" || wf.Concurrency.CancelInProgress {
		t.Errorf("concurrency %+v: want a group and cancel-in-progress: false (a release is never cancelled half way)", wf.Concurrency)
	}
	e := newReleaseEnv(t)
	sha := strings.TrimSpace(testutil.Git(t, e.origin, "rev-parse", "main"))
	r := &ghRunner{
		t: t, wf: wf, origin: e.origin,
		github:  map[string]string{"ref": "refs/heads/main", "sha": sha, "repository_owner": "acme", "actor": "ci"},
		secrets: map[string]string{"GITHUB_TOKEN": "gh-token", "GITOPS_TOKEN": "gitops-token"},
		gobin:   t.TempDir(),
		// The runners' module cache is their own: gobake's module comes
		// from the local proxy, its dependencies from this machine's module
		// download cache (no network). -trimpath keys compiled packages by
		// module version, not by that temporary directory, so the build
		// cache still serves them.
		base: append(os.Environ(),
			"GOMODCACHE="+t.TempDir(),
			"GOPROXY=file://"+localGoProxy(t, wf.Env["GOBAKE_VERSION"])+",file://"+filepath.Join(goEnvVar(t, "GOMODCACHE"), "cache", "download"),
			"GOFLAGS=-modcacherw -trimpath -buildvcs=false",
			"GOSUMDB=off", "GOTOOLCHAIN=local", "CI=true", "GITHUB_ACTIONS=true"),
	}
	r.run()
	for _, want := range []struct{ job, result string }{{"plan", "success"}, {"shard", "success"}, {"finalize", "success"}} {
		if got := r.results[want.job]; got != want.result {
			t.Errorf("job %s: %s, want %s", want.job, got, want.result)
		}
	}
	if t.Failed() {
		return
	}
	var shards []string
	for _, m := range r.matrices["shard"] {
		shards = append(shards, m["shard"])
	}
	sort.Strings(shards)
	if want := []string{"1/4", "2/4", "3/4", "4/4"}; !slices.Equal(shards, want) {
		t.Errorf("shard jobs %v, want %v (4 images, SHARDS 4)", shards, want)
	}
	if out := r.outputs["finalize"]; out["released"] != "true" {
		t.Fatalf("finalize outputs %v: want released=true", out)
	}
	var imgs []struct{ Image, Version, Digest, Reference string }
	if err := json.Unmarshal([]byte(r.outputs["finalize"]["images"]), &imgs); err != nil || len(imgs) != len(sampleImages) {
		t.Fatalf("finalize images output %q (%v): want the %d sample images", r.outputs["finalize"]["images"], err, len(sampleImages))
	}
	originTags := strings.Fields(testutil.Git(t, e.origin, "tag", "-l"))
	for _, img := range imgs {
		repo, _, _ := strings.Cut(strings.Replace(img.Reference, e.proxy.Addr, e.reg.Host, 1), "@")
		raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+repo+":"+img.Version)
		if got := "sha256:" + sha256Hex(raw); got != img.Digest {
			t.Errorf("%s: tag %s names %s, released %s", img.Image, img.Version, got, img.Digest)
		}
		if tag := img.Image + "/v" + img.Version; !slices.Contains(originTags, tag) {
			t.Errorf("%s: git tag %s missing from the source remote %v", img.Image, tag, originTags)
		}
	}
	deployed := e.deployFile(t, "main", "kustomization.yaml")
	if !strings.Contains(deployed, imgs[0].Digest) && !strings.Contains(deployed, imgs[1].Digest) {
		t.Errorf("GitOps kustomization names none of the released digests:\n%s", deployed)
	}
	for job, want := range map[string]string{"plan": "gobake plan", "shard": "release shard", "finalize": "| api |"} {
		if !strings.Contains(r.summaries[job], want) {
			t.Errorf("step summaries of %s lack %q:\n%s", job, want, r.summaries[job])
		}
	}
}

// goEnvVar returns go env name.
func goEnvVar(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env %s: %q, %v", name, out, err)
	}
	return strings.TrimSpace(string(out))
}

// localGoProxy writes a GOPROXY directory serving this repository as
// github.com/gobake/gobake at version.
func localGoProxy(t *testing.T, version string) string {
	t.Helper()
	if version == "" {
		t.Fatal("the workflow sets no GOBAKE_VERSION")
	}
	// The module is zipped from a copy of the source tree without .git
	// and .gobake: gobake's caches are no part of it, and a test or a
	// developer running gobake in the tree meanwhile may be writing them
	// (a file renamed away while zipped failed the test).
	root := filepath.Join(t.TempDir(), "src")
	if err := testutil.CopyDir(testutil.RepoRoot(t), root); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	at := filepath.Join(dir, "github.com", "gobake", "gobake", "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"list":              version + "\n",
		version + ".info":   fmt.Sprintf(`{"Version":%q,"Time":"2026-01-01T00:00:00Z"}`, version),
		version + ".mod":    string(mod),
		version + ".zip.ok": "",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(at, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(at, version+".zip.ok"))
	f, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := modzip.CreateFromDir(f, module.Version{Path: "github.com/gobake/gobake", Version: version}, root); err != nil {
		t.Fatalf("module zip of %s: %v", root, err)
	}
	return dir
}

// ghWorkflow is what the runner reads of a workflow; an unknown key fails
// the test.
type ghWorkflow struct {
	Name        string            `yaml:"name"`
	On          yaml.Node         `yaml:"on"`
	Permissions yaml.Node         `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]*ghJob `yaml:"jobs"`
}

// ghJob is one job of a workflow.
type ghJob struct {
	RunsOn   string            `yaml:"runs-on"`
	Needs    ghList            `yaml:"needs"`
	If       string            `yaml:"if"`
	Env      map[string]string `yaml:"env"`
	Outputs  map[string]string `yaml:"outputs"`
	Strategy struct {
		FailFast *bool     `yaml:"fail-fast"`
		Matrix   yaml.Node `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []ghStep `yaml:"steps"`
}

// ghStep is one step of a job.
type ghStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// ghList is a string or a list of strings (needs).
type ghList []string

func (l *ghList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = ghList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

func readWorkflow(t *testing.T, path string) *ghWorkflow {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var wf ghWorkflow
	if err := dec.Decode(&wf); err != nil {
		t.Fatalf("%s: %v (the test runner knows only some workflow keys: teach it the new one)", path, err)
	}
	return &wf
}

// ghRunner runs a workflow's jobs as local processes.
type ghRunner struct {
	t       *testing.T
	wf      *ghWorkflow
	origin  string            // the source remote actions/checkout clones
	github  map[string]string // the github context
	secrets map[string]string
	base    []string // the runner's environment
	gobin   string   // GOBIN of every job

	mu        sync.Mutex
	results   map[string]string              // job → success, failure or skipped
	outputs   map[string]map[string]string   // job → outputs
	matrices  map[string][]map[string]string // job → the matrix of each of its runs
	summaries map[string]string              // job → its step summaries
}

// run runs every job once its needs have run.
func (r *ghRunner) run() {
	r.results, r.outputs, r.matrices, r.summaries = map[string]string{}, map[string]map[string]string{}, map[string][]map[string]string{}, map[string]string{}
	names := make([]string, 0, len(r.wf.Jobs))
	for n := range r.wf.Jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for len(r.results) < len(names) {
		progressed := false
		for _, n := range names {
			if _, done := r.results[n]; done || !r.ready(n) {
				continue
			}
			r.results[n] = r.job(n, r.wf.Jobs[n])
			progressed = true
		}
		if !progressed {
			r.t.Fatalf("jobs %v: a needs cycle or an unknown job", names)
		}
	}
}

// ready reports whether every job name needs has run.
func (r *ghRunner) ready(name string) bool {
	for _, n := range r.wf.Jobs[name].Needs {
		if _, ok := r.wf.Jobs[n]; !ok {
			r.t.Fatalf("job %s needs %s, which is not a job", name, n)
		}
		if _, done := r.results[n]; !done {
			return false
		}
	}
	return true
}

// job runs every run of job (one per matrix entry, at once) and returns
// its result.
func (r *ghRunner) job(name string, j *ghJob) string {
	ctx := r.context(name, nil)
	for _, n := range j.Needs {
		if r.results[n] != "success" {
			r.t.Logf("job %s: skipped (needs %s: %s)", name, n, r.results[n])
			return "skipped"
		}
	}
	if j.If != "" {
		ok, err := ctx.condition(j.If)
		if err != nil {
			r.t.Errorf("job %s: if: %v", name, err)
			return "failure"
		}
		if !ok {
			r.t.Logf("job %s: skipped (if: %s)", name, j.If)
			return "skipped"
		}
	}
	matrix, err := r.matrix(ctx, j)
	if err != nil {
		r.t.Errorf("job %s: strategy.matrix: %v", name, err)
		return "failure"
	}
	r.matrices[name] = matrix
	results := make([]bool, len(matrix))
	var wg sync.WaitGroup
	for i, m := range matrix {
		wg.Go(func() { results[i] = r.runJob(name, j, m) })
	}
	wg.Wait()
	if slices.Contains(results, false) {
		return "failure"
	}
	return "success"
}

// matrix expands the job's strategy.matrix: one run without a matrix.
func (r *ghRunner) matrix(ctx *ghContext, j *ghJob) ([]map[string]string, error) {
	node := j.Strategy.Matrix
	if node.Kind == 0 {
		return []map[string]string{nil}, nil
	}
	var spec map[string]any
	switch node.Kind {
	case yaml.ScalarNode:
		m := regexp.MustCompile(`^\$\{\{\s*fromJSON\((.+)\)\s*\}\}$`).FindStringSubmatch(node.Value)
		if m == nil {
			return nil, fmt.Errorf("%q: the runner knows ${{ fromJSON(…) }} only", node.Value)
		}
		v, err := ctx.value(m[1])
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(v), &spec); err != nil {
			return nil, fmt.Errorf("fromJSON(%s): %q: %w", m[1], v, err)
		}
	default:
		if err := node.Decode(&spec); err != nil {
			return nil, err
		}
	}
	var out []map[string]string
	for k, v := range spec {
		if k != "include" {
			return nil, fmt.Errorf("matrix key %s: the runner knows include only", k)
		}
		entries, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("matrix include %v: want a list", v)
		}
		for _, e := range entries {
			em, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("matrix entry %v: want a map", e)
			}
			m := map[string]string{}
			for k, v := range em {
				m[k] = fmt.Sprint(v)
			}
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("an empty matrix fails the job (guard it with if:)")
	}
	return out, nil
}

// runJob runs the steps of one run of a job, in a workspace of its own,
// and reports whether they all succeeded.
func (r *ghRunner) runJob(name string, j *ghJob, matrix map[string]string) bool {
	label := name
	if matrix != nil {
		label = fmt.Sprintf("%s %v", name, matrix)
	}
	runner := r.t.TempDir()
	ws := filepath.Join(runner, "work")
	tmp := filepath.Join(runner, "tmp")
	bin := r.gobin // a tool cache: go install finds gobake installed by an earlier job up to date
	home := filepath.Join(runner, "home")
	for _, d := range []string{tmp, bin, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			r.t.Error(err)
			return false
		}
	}
	ctx := r.context(name, matrix)
	env := map[string]string{}
	for k, v := range r.wf.Env {
		env[k] = v
	}
	for k, v := range j.Env {
		env[k] = v
	}
	paths := []string{bin}
	var summary strings.Builder
	fail := func(format string, args ...any) bool {
		r.t.Errorf("job %s: "+format, append([]any{label}, args...)...)
		return false
	}
	for i, s := range j.Steps {
		step := s.Name
		if step == "" {
			step = cmpOr(s.Uses, fmt.Sprintf("step %d", i+1))
		}
		if s.If != "" {
			return fail("%s: step if: is not known to the runner", step)
		}
		stepEnv := map[string]string{}
		for k, v := range env {
			x, err := ctx.expand(v)
			if err != nil {
				return fail("%s: env %s: %v", step, k, err)
			}
			stepEnv[k] = x
		}
		for k, v := range s.Env {
			x, err := ctx.expand(v)
			if err != nil {
				return fail("%s: env %s: %v", step, k, err)
			}
			stepEnv[k] = x
		}
		with := map[string]string{}
		for k, v := range s.With {
			x, err := ctx.expand(v)
			if err != nil {
				return fail("%s: with %s: %v", step, k, err)
			}
			with[k] = x
		}
		if s.Uses != "" {
			if err := r.action(s.Uses, with, ws); err != nil {
				return fail("%s: %v", step, err)
			}
			continue
		}
		script, err := ctx.expand(s.Run)
		if err != nil {
			return fail("%s: run: %v", step, err)
		}
		files := map[string]string{}
		for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"} {
			files[f] = filepath.Join(runner, fmt.Sprintf("%s_%d", strings.ToLower(f), i))
			if err := os.WriteFile(files[f], nil, 0o644); err != nil {
				return fail("%v", err)
			}
		}
		vars := slices.Clone(r.base)
		for k, v := range stepEnv {
			vars = append(vars, k+"="+v)
		}
		for k, v := range files {
			vars = append(vars, k+"="+v)
		}
		// The runner's global git config is in its home: a step's `git
		// config --global` writes there, never into the test's.
		vars = append(vars, "HOME="+home, "GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"), "RUNNER_TEMP="+tmp, "GITHUB_WORKSPACE="+ws, "GOBIN="+bin,
			"GITHUB_SHA="+r.github["sha"], "GITHUB_REF="+r.github["ref"],
			"PATH="+strings.Join(paths, string(os.PathListSeparator))+string(os.PathListSeparator)+os.Getenv("PATH"))
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = ws, vars
		start := time.Now()
		out, err := cmd.CombinedOutput()
		r.t.Logf("job %s: %s: %s (%.1fs)", label, step, exitOf(err), time.Since(start).Seconds())
		if err != nil {
			return fail("%s: %v\n%s", step, err, out)
		}
		outputs, err := readGitHubFile(files["GITHUB_OUTPUT"])
		if err != nil {
			return fail("%s: GITHUB_OUTPUT: %v", step, err)
		}
		if s.ID != "" {
			ctx.steps[s.ID] = outputs
		}
		more, err := readGitHubFile(files["GITHUB_ENV"])
		if err != nil {
			return fail("%s: GITHUB_ENV: %v", step, err)
		}
		for k, v := range more {
			env[k] = v
		}
		if b, err := os.ReadFile(files["GITHUB_PATH"]); err == nil {
			paths = append(strings.Fields(string(b)), paths...)
		}
		if b, err := os.ReadFile(files["GITHUB_STEP_SUMMARY"]); err == nil {
			summary.Write(b)
		}
	}
	outs := map[string]string{}
	for k, v := range j.Outputs {
		x, err := ctx.expand(v)
		if err != nil {
			return fail("outputs.%s: %v", k, err)
		}
		outs[k] = x
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.outputs[name] == nil {
		r.outputs[name] = map[string]string{}
	}
	for k, v := range outs {
		if v != "" { // the runs of a matrix: a later non-empty value wins
			r.outputs[name][k] = v
		}
	}
	r.summaries[name] += summary.String()
	return true
}

// action runs the known actions: checkout clones the source remote into
// the workspace as deep as fetch-depth says (0: everything, tags too);
// setup-go checks the Go version asked is this one; login does nothing
// (the local registry needs no credentials).
func (r *ghRunner) action(uses string, with map[string]string, ws string) error {
	name, _, _ := strings.Cut(uses, "@")
	switch name {
	case "actions/checkout":
		depth := cmpOr(with["fetch-depth"], "1")
		if depth != "0" {
			return fmt.Errorf("checkout with fetch-depth %s: a release wants the tags and history (fetch-depth: 0)", depth)
		}
		args := []string{"clone", "-q", r.origin, ws}
		if with["fetch-tags"] != "true" {
			return fmt.Errorf("checkout without fetch-tags: true")
		}
		out, err := exec.Command("git", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("git clone: %v\n%s", err, out)
		}
		return nil
	case "actions/setup-go":
		if v := with["go-version"]; !strings.HasPrefix(runtime.Version(), "go"+v) {
			return fmt.Errorf("go-version %q, but the tests run %s", v, runtime.Version())
		}
		return nil
	case "docker/login-action":
		if with["password"] == "" {
			return fmt.Errorf("login without a password")
		}
		return nil
	}
	return fmt.Errorf("uses %s: the runner does not know this action", uses)
}

// context is the expression context of a run of job.
func (r *ghRunner) context(job string, matrix map[string]string) *ghContext {
	needs := map[string]map[string]string{}
	r.mu.Lock()
	for _, n := range r.wf.Jobs[job].Needs {
		needs[n] = map[string]string{}
		for k := range r.wf.Jobs[n].Outputs {
			needs[n][k] = r.outputs[n][k]
		}
	}
	r.mu.Unlock()
	return &ghContext{github: r.github, secrets: r.secrets, matrix: matrix, needs: needs, steps: map[string]map[string]string{}}
}

// ghContext evaluates the expressions the workflow uses: contexts
// (github.X, secrets.X, matrix.X, needs.J.outputs.X, steps.S.outputs.X)
// and their comparison with a string (==, !=). Anything else is an error.
type ghContext struct {
	github, secrets, matrix map[string]string
	needs, steps            map[string]map[string]string
}

var (
	ghExpr    = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)
	ghCompare = regexp.MustCompile(`^(\S+)\s*(==|!=)\s*'([^']*)'$`)
)

// expand substitutes every ${{ … }} of s.
func (c *ghContext) expand(s string) (string, error) {
	var errs []string
	out := ghExpr.ReplaceAllStringFunc(s, func(m string) string {
		v, err := c.eval(ghExpr.FindStringSubmatch(m)[1])
		if err != nil {
			errs = append(errs, err.Error())
		}
		return v
	})
	if len(errs) > 0 {
		return "", fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// condition evaluates an if: (with or without ${{ }}).
func (c *ghContext) condition(s string) (bool, error) {
	if m := ghExpr.FindStringSubmatch(s); m != nil && m[0] == strings.TrimSpace(s) {
		s = m[1]
	}
	v, err := c.eval(strings.TrimSpace(s))
	if err != nil {
		return false, err
	}
	return strconv.ParseBool(v)
}

// eval evaluates one expression.
func (c *ghContext) eval(e string) (string, error) {
	if m := ghCompare.FindStringSubmatch(e); m != nil {
		v, err := c.value(m[1])
		if err != nil {
			return "", err
		}
		return strconv.FormatBool((v == m[3]) == (m[2] == "==")), nil
	}
	return c.value(e)
}

// value is the value of a context path.
func (c *ghContext) value(path string) (string, error) {
	p := strings.Split(path, ".")
	var m map[string]string
	var key string
	switch {
	case len(p) == 2 && p[0] == "github":
		m, key = c.github, p[1]
	case len(p) == 2 && p[0] == "secrets":
		m, key = c.secrets, p[1]
	case len(p) == 2 && p[0] == "matrix":
		m, key = c.matrix, p[1]
	case len(p) == 4 && p[0] == "needs" && p[2] == "outputs":
		m, key = c.needs[p[1]], p[3]
	case len(p) == 4 && p[0] == "steps" && p[2] == "outputs":
		m, key = c.steps[p[1]], p[3]
	default:
		return "", fmt.Errorf("expression %q: the test runner does not know it (teach it, or keep to the known ones)", path)
	}
	v, ok := m[key]
	if !ok {
		return "", fmt.Errorf("expression %q: no such value here", path)
	}
	return v, nil
}

// readGitHubFile reads KEY=VALUE lines and KEY<<DELIM heredocs.
func readGitHubFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if k, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(k, "=") {
			var v []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				v = append(v, lines[i])
			}
			if i == len(lines) {
				return nil, fmt.Errorf("%s: no closing %s", k, delim)
			}
			out[k] = strings.Join(v, "\n")
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			return nil, fmt.Errorf("line %q: want KEY=VALUE or KEY<<DELIMITER", l)
		}
		out[k] = v
	}
	return out, nil
}

// exitOf says how a step ended.
func exitOf(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// cmpOr returns a unless empty, else b.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
