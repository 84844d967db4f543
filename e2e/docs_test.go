package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/testutil"
)

// The workflow pages of docs/ are walked through by TestDocsWalkthrough.
// What a page's blocks mean to it:
//
//   - Every ```sh block is run, in order, in one bash session (set -e,
//     pipefail) whose working directory starts at the copy of the sample
//     the page works in; a block that fails fails the test.
//   - <!-- walkthrough: output --> on the line before a block (any
//     language) makes it the output of the sh block just before it, stdout
//     and stderr together: every line must match, where … stands for any
//     text in a line and a line of just … for any number of lines.
//   - <!-- walkthrough: file PATH -->, <!-- walkthrough: append PATH -->:
//     the block is written to (appended to) PATH in the work tree at that
//     point; <!-- walkthrough: deploy-file PATH --> commits it to the
//     deployment repository before the page runs.
//   - <!-- walkthrough: skip REASON --> before an sh block leaves it out,
//     for the REASON given.
//
// What names the reader's own services is the test's: the registry
// localhost:5000 is the test's registry (and localhost:5000/acme a prefix
// of its own), replaced in the blocks and files before they run and back
// in the output before it is compared; the deployment repository's URL is
// the test's bare repository through git's url.insteadOf, so it stays as
// written everywhere.

// walkMarker is a walkthrough comment.
var walkMarker = regexp.MustCompile(`^\s*<!-- walkthrough: ([a-z-]+)(?: (.*?))? -->\s*$`)

// walkStep is one step of a page's walkthrough.
type walkStep struct {
	line int    // of the block's opening fence, 1-based
	kind string // run, file, append
	path string // of file and append
	text string // the block's content
	// want is the output a run step must print; "" when not checked.
	want     string
	wantLine int
}

// walkPage is what a page asks of its walkthrough.
type walkPage struct {
	steps   []walkStep
	deploy  map[string]string // deploy-file path → content
	skipped int
}

// parseWalkthrough reads the walkthrough of a Markdown page.
func parseWalkthrough(doc string) (walkPage, error) {
	lines := strings.Split(doc, "\n")
	page := walkPage{deploy: map[string]string{}}
	var errs []error
	used := map[int]bool{}
	lastRun := -1 // index in page.steps of the run step the previous block was, or -1
	for i := 0; i < len(lines); i++ {
		trimmed := strings.TrimLeft(lines[i], " ")
		if !strings.HasPrefix(trimmed, "```") {
			continue
		}
		indent := len(lines[i]) - len(trimmed)
		info := strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[end], " "), "```") {
			end++
		}
		if end == len(lines) {
			errs = append(errs, fmt.Errorf("line %d: the code block is not closed", i+1))
			break
		}
		var body strings.Builder
		for _, l := range lines[i+1 : end] {
			body.WriteString(l[min(indent, len(l)-len(strings.TrimLeft(l, " "))):] + "\n")
		}
		kind, arg := "", ""
		if i > 0 {
			if m := walkMarker.FindStringSubmatch(lines[i-1]); m != nil {
				kind, arg = m[1], m[2]
				used[i-1] = true
			}
		}
		line := i + 1
		i = end
		prevRun := lastRun
		lastRun = -1
		switch kind {
		case "":
			if info == "sh" {
				page.steps = append(page.steps, walkStep{line: line, kind: "run", text: body.String()})
				lastRun = len(page.steps) - 1
			}
		case "skip":
			if info != "sh" || arg == "" {
				errs = append(errs, fmt.Errorf("line %d: skip goes before an sh block and says why", line))
			}
			page.skipped++
		case "output":
			if prevRun < 0 || page.steps[prevRun].want != "" {
				errs = append(errs, fmt.Errorf("line %d: an output block must follow the sh block it is the output of", line))
				continue
			}
			page.steps[prevRun].want, page.steps[prevRun].wantLine = body.String(), line
		case "file", "append", "deploy-file":
			if arg == "" || filepath.IsAbs(arg) || strings.Contains(arg, "..") || strings.ContainsAny(arg, "'\\ ") {
				errs = append(errs, fmt.Errorf("line %d: %s %q: want a relative path", line, kind, arg))
				continue
			}
			if kind == "deploy-file" {
				page.deploy[arg] = body.String()
				continue
			}
			page.steps = append(page.steps, walkStep{line: line, kind: kind, path: arg, text: body.String()})
		default:
			errs = append(errs, fmt.Errorf("line %d: unknown walkthrough marker %q", line-1, kind))
		}
	}
	for i, l := range lines {
		if walkMarker.MatchString(l) && !used[i] {
			errs = append(errs, fmt.Errorf("line %d: a walkthrough marker must be on the line just before a code block", i+1))
		}
	}
	return page, errors.Join(errs...)
}

// matchOutput reports whether got matches want: line by line, … standing
// for any text within a line and a line of just … for any lines.
func matchOutput(want, got string) bool {
	norm := func(s string) []string {
		var out []string
		for l := range strings.Lines(s) {
			out = append(out, strings.TrimRight(l, " \t\r\n"))
		}
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
		return out
	}
	w, g := norm(want), norm(got)
	pats := make([]*regexp.Regexp, len(w))
	for i, l := range w {
		parts := strings.Split(l, "…")
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		pats[i] = regexp.MustCompile("^" + strings.Join(parts, ".*?") + "$")
	}
	// memo[i][j]: w[i:] matches g[j:] is known false.
	failed := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(w) {
			return j == len(g)
		}
		if failed[[2]int{i, j}] {
			return false
		}
		ok := false
		if w[i] == "…" {
			for k := j; k <= len(g) && !ok; k++ {
				ok = match(i+1, k)
			}
		} else {
			ok = j < len(g) && pats[i].MatchString(g[j]) && match(i+1, j+1)
		}
		if !ok {
			failed[[2]int{i, j}] = true
		}
		return ok
	}
	return match(0, 0)
}

// TestParseWalkthrough checks the markers are read as the pages mean
// them, and that a marker out of place is an error, never ignored.
func TestParseWalkthrough(t *testing.T) {
	t.Parallel()
	const good = "# Page\n\n```sh\necho one\n```\n\n<!-- walkthrough: output -->\n```text\none\n```\n\n" +
		"<!-- walkthrough: file a/b.yaml -->\n```yaml\nk: v\n```\n\n<!-- walkthrough: append b.yaml -->\n```yaml\nx: 1\n```\n\n" +
		"<!-- walkthrough: deploy-file k.yaml -->\n```yaml\nimages: []\n```\n\n<!-- walkthrough: skip needs kubectl -->\n```sh\nkubectl get pods\n```\n\n" +
		"```yaml\nnot: run\n```\n\n- a list\n\n  ```sh\n  echo two\n  ```\n"
	page, err := parseWalkthrough(good)
	if err != nil {
		t.Fatal(err)
	}
	want := []walkStep{
		{line: 3, kind: "run", text: "echo one\n", want: "one\n", wantLine: 8},
		{line: 13, kind: "file", path: "a/b.yaml", text: "k: v\n"},
		{line: 18, kind: "append", path: "b.yaml", text: "x: 1\n"},
		{line: 38, kind: "run", text: "echo two\n"},
	}
	if diff := cmp.Diff(want, page.steps, cmp.AllowUnexported(walkStep{})); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if page.skipped != 1 || page.deploy["k.yaml"] != "images: []\n" {
		t.Errorf("skipped %d, deploy %v: want 1 and k.yaml", page.skipped, page.deploy)
	}
	for name, doc := range map[string]string{
		"marker not before a block": "<!-- walkthrough: output -->\n\n```text\nx\n```\n",
		"output of nothing":         "```yaml\na: b\n```\n<!-- walkthrough: output -->\n```text\nx\n```\n",
		"two outputs":               "```sh\necho\n```\n<!-- walkthrough: output -->\n```text\n```\n<!-- walkthrough: output -->\n```text\n```\n",
		"skip without a reason":     "<!-- walkthrough: skip -->\n```sh\necho\n```\n",
		"unknown marker":            "<!-- walkthrough: run -->\n```sh\necho\n```\n",
		"file outside the tree":     "<!-- walkthrough: file ../x -->\n```yaml\n```\n",
		"unclosed block":            "```sh\necho\n",
	} {
		if _, err := parseWalkthrough(doc); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestMatchOutput pins the output matching rules the pages rely on.
func TestMatchOutput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		want, got string
		ok        bool
	}{
		{"a\nb\n", "a\nb\n", true},
		{"a\nb\n", "a\nb  \n\n", true},
		{"a\nb\n", "a\nc\n", false},
		{"api@sha256:…\n", "api@sha256:0123\n", true},
		{"…\npublished 1\n", "building x\nbuilding y\npublished 1\n", true},
		{"…\npublished 1\n", "published 1\n", true},
		{"a\n…\n", "a\n", true},
		{"a\n", "a\nb\n", false},
		{"x … y\n", "x 1 2 y\n", true},
		{"x … y\n", "x 1 2 z\n", false},
		{"a.b\n", "aXb\n", false},
	} {
		if got := matchOutput(tc.want, tc.got); got != tc.ok {
			t.Errorf("matchOutput(%q, %q) = %v, want %v", tc.want, tc.got, got, tc.ok)
		}
	}
}

// walkWorld is where a page is walked through.
type walkWorld struct {
	dir    string   // the work tree the session starts in
	env    []string // added to the session's environment
	subs   []walkSub
	deploy string // bare deployment repository, "" when none
	// after checks what the page did that its outputs do not show; nil
	// when they show it all.
	after func(t *testing.T)
}

// walkSub replaces a name of the reader's own service (doc) with the
// test's (test).
type walkSub struct{ doc, test string }

// toTest rewrites s as the test runs it.
func (w walkWorld) toTest(s string) string {
	for _, sub := range w.subs {
		s = strings.ReplaceAll(s, sub.doc, sub.test)
	}
	return s
}

// toDoc rewrites output s as the page shows it: the test's names, longest
// first as subs lists them, back to the page's.
func (w walkWorld) toDoc(s string) string {
	for _, sub := range w.subs {
		s = strings.ReplaceAll(s, sub.test, sub.doc)
	}
	return s
}

// walkTimeout bounds one page's session: a guard against a hang.
const walkTimeout = 8 * time.Minute

// TestDocsWalkthrough walks through the workflow pages of docs/ literally
// (see walkMarker's comment): local development in a copy of the built
// sample with podman, CI against a copy of the pushed sample, releasing
// with a bare source remote and a bare deployment repository, migrating
// from ko with the sample as a ko user's repository. They share the e2e
// tests' sample builds, so each page links only what it changes.
func TestDocsWalkthrough(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		page  string
		world func(t *testing.T) walkWorld
	}{
		{"local-development.md", localDevWorld},
		{"ci.md", ciWorld},
		{"releasing.md", releasingWorld},
		{"ko-migration.md", koWorld},
	} {
		t.Run(tc.page, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(testutil.RepoRoot(t), "docs", tc.page)
			doc, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			page, err := parseWalkthrough(string(doc))
			if err != nil {
				t.Fatalf("docs/%s: %v", tc.page, err)
			}
			runs, checked := 0, 0
			for _, s := range page.steps {
				if s.kind == "run" {
					runs++
					if s.want != "" {
						checked++
					}
				}
			}
			if runs == 0 || checked == 0 {
				t.Fatalf("docs/%s: %d sh blocks, %d outputs: a workflow page walks through commands and shows what they print", tc.page, runs, checked)
			}
			w := tc.world(t)
			if len(page.deploy) > 0 {
				if w.deploy == "" {
					t.Fatalf("docs/%s has deploy-file blocks, but its walkthrough has no deployment repository", tc.page)
				}
				seedDeploy(t, w, page.deploy)
			}
			walk(t, "docs/"+tc.page, page, w)
			if w.after != nil && !t.Failed() {
				w.after(t)
			}
			t.Logf("docs/%s: %d sh blocks run, %d outputs checked, %d blocks skipped", tc.page, runs, checked, page.skipped)
		})
	}
}

// walk runs the steps of page in one bash session and checks their
// output.
func walk(t *testing.T, name string, page walkPage, w walkWorld) {
	t.Helper()
	nonce := make([]byte, 8)
	if _, err := rand.Read(nonce); err != nil {
		t.Fatal(err)
	}
	mark := "@@walk-" + hex.EncodeToString(nonce)
	files := t.TempDir()
	var script strings.Builder
	script.WriteString("set -eo pipefail\n")
	cpu := filepath.Join(files, "cpu")
	for k, s := range page.steps {
		// times: the CPU time of the session's commands so far, for the
		// cost of each block.
		fmt.Fprintf(&script, "times > '%s.%d'\nprintf '\\n%s %d@@\\n'\n", cpu, k, mark, k)
		switch s.kind {
		case "run":
			script.WriteString(w.toTest(s.text))
		case "file", "append":
			src := filepath.Join(files, strconv.Itoa(k))
			if err := os.WriteFile(src, []byte(w.toTest(s.text)), 0o644); err != nil {
				t.Fatal(err)
			}
			if s.kind == "file" {
				fmt.Fprintf(&script, "mkdir -p \"$(dirname '%s')\"\ncp '%s' '%s'\n", s.path, src, s.path)
			} else {
				fmt.Fprintf(&script, "cat '%s' >> '%s'\n", src, s.path)
			}
		}
	}
	scriptPath := filepath.Join(files, "walk.sh")
	if err := os.WriteFile(scriptPath, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), walkTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", scriptPath)
	cmd.Dir = w.dir
	cmd.Env = walkEnv(t, w.env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out // one pipe: the order a terminal shows
	start := time.Now()
	runErr := cmd.Run()
	if ps := cmd.ProcessState; ps != nil {
		// bash waits for every command, so its children's CPU time is
		// all of the page's: gobake, go build, git, podman.
		t.Logf("%s: %.1fs wall, %.1f CPU-s", name, time.Since(start).Seconds(), (ps.UserTime() + ps.SystemTime()).Seconds())
	}
	if ctx.Err() != nil {
		t.Fatalf("%s: the walkthrough did not end within %s:\n%s", name, walkTimeout, out.String())
	}
	logBlockCosts(t, name, page, cpu, cmd.ProcessState)

	outputs := map[int]string{}
	last := -1
	sep := regexp.MustCompile(`\n` + regexp.QuoteMeta(mark) + ` (\d+)@@\n`)
	idx := sep.FindAllStringSubmatchIndex(out.String(), -1)
	for n, m := range idx {
		k, _ := strconv.Atoi(out.String()[m[2]:m[3]])
		end := out.Len()
		if n+1 < len(idx) {
			end = idx[n+1][0]
		}
		outputs[k] = w.toDoc(out.String()[m[1]:end])
		last = k
	}
	if runErr != nil {
		if last < 0 {
			t.Fatalf("%s: bash: %v\n%s", name, runErr, out.String())
		}
		s := page.steps[last]
		t.Errorf("%s:%d: the block failed (%v):\n%s\nIt printed:\n%s", name, s.line, runErr, s.text, outputs[last])
	}
	for k, s := range page.steps {
		if k > last {
			break
		}
		if s.want != "" && !(runErr != nil && k == last) && !matchOutput(s.want, outputs[k]) {
			t.Errorf("%s:%d: the output shown does not match what the block above it printed.\nShown:\n%s\nPrinted:\n%s", name, s.wantLine, s.want, outputs[k])
		}
	}
}

// walkEnv is the session's environment: this process's (the temporary
// home of testutil.Main, Go's caches) without gobake's, GitHub Actions'
// and git's variables, with the gobake under test first on PATH, Go
// offline, git without user configuration, and a temporary TMPDIR; then
// extra.
func walkEnv(t *testing.T, extra []string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "GOBAKE_"), strings.HasPrefix(k, "GITHUB_"), strings.HasPrefix(k, "GIT_"),
			k == "SOURCE_DATE_EPOCH", k == "KO_DOCKER_REPO", k == "CI", k == "PATH", k == "TMPDIR", k == "GOPROXY":
			continue
		}
		env = append(env, kv)
	}
	gitconfig := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(gitconfig, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(env,
		"PATH="+filepath.Dir(gobake.Path(t))+string(os.PathListSeparator)+os.Getenv("PATH"),
		"TMPDIR="+t.TempDir(),
		"GOPROXY=off",
		"GIT_CONFIG_GLOBAL="+gitconfig, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Ada Reader", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Reader", "GIT_COMMITTER_EMAIL=ada@example.com",
	)
	return append(env, extra...)
}

// seedDeploy commits files to the world's deployment repository, on main.
func seedDeploy(t *testing.T, w walkWorld, files map[string]string) {
	t.Helper()
	seed := t.TempDir()
	for name, content := range files {
		writeFiles(t, seed, map[string]string{name: w.toTest(content)})
	}
	testutil.GitInit(t, seed)
	testutil.Git(t, seed, "push", "-q", w.deploy, "main")
}

// registrySubs maps the pages' registry to the test's: localhost:5000/acme
// to prefix, localhost:5000 to host.
func registrySubs(host, prefix string) []walkSub {
	return []walkSub{{"localhost:5000/acme", prefix}, {"localhost:5000", host}}
}

// localDevWorld is a copy of the built sample, and a podman on PATH that
// keeps its storage in a directory of the test's (as PodmanStorage and
// containers.conf want); its other flags and arguments are the reader's.
func localDevWorld(t *testing.T) walkWorld {
	s := copyLayoutSample(t)
	real, err := exec.LookPath("podman")
	if err != nil {
		t.Fatalf("podman is required by this test: %v", err)
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Fatalf("runc is required by this test (podman's runtime here): %v", err)
	}
	storage := testutil.PodmanStorage(t)
	bin := t.TempDir()
	shim := fmt.Sprintf("#!/bin/sh\nexec %s --root %s --runroot %s \"$@\"\n", real, filepath.Join(storage, "root"), filepath.Join(storage, "run"))
	if err := os.WriteFile(filepath.Join(bin, "podman"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	return walkWorld{dir: s.dir, env: []string{
		"PATH=" + filepath.Dir(gobake.Path(t)) + string(os.PathListSeparator) + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"CONTAINERS_CONF=" + filepath.Join(testutil.RepoRoot(t), filepath.FromSlash(testutil.PodmanConf)),
	}}
}

// ciWorld is a copy of the pushed sample: its registry prefix holds the
// build of its one commit under latest.
func ciWorld(t *testing.T) walkWorld {
	s := copyRegistrySample(t)
	return walkWorld{dir: s.dir, subs: registrySubs(s.reg.Host, s.prefix)}
}

// releasingWorld is a copy of the built sample with a bare origin, a
// prefix of its own on the shared registry and a bare deployment
// repository, which https://git.example.com/acme/deploy.git names.
func releasingWorld(t *testing.T) walkWorld {
	s := copyLayoutSample(t)
	reg := sharedRegistrySample(t).reg
	origin := filepath.Join(t.TempDir(), "origin.git")
	testutil.Git(t, "", "init", "-q", "--bare", "-b", "main", origin)
	testutil.Git(t, s.dir, "remote", "add", "origin", origin)
	testutil.Git(t, s.dir, "push", "-q", "origin", "main")
	deploy := filepath.Join(t.TempDir(), "deploy.git")
	testutil.Git(t, "", "init", "-q", "--bare", "-b", "main", deploy)
	prefix := fmt.Sprintf("%s/walk%d", reg.Host, registryCopies.Add(1))
	return walkWorld{
		dir:    s.dir,
		subs:   registrySubs(reg.Host, prefix),
		deploy: deploy,
		env: []string{"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=url." + deploy + ".insteadOf", "GIT_CONFIG_VALUE_0=https://git.example.com/acme/deploy.git"},
		// The deployment names what the registry holds under the
		// versions released: api's second release, web's first.
		after: func(t *testing.T) {
			kust := testutil.Git(t, deploy, "show", "main:kustomization.yaml")
			for _, ref := range []string{prefix + "/api:0.2.0", prefix + "/web:0.1.0"} {
				raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+ref)
				if d := "sha256:" + sha256Hex(raw); !strings.Contains(kust, d) {
					t.Errorf("the deployment does not name %s (%s):\n%s", ref, d, kust)
				}
			}
		},
	}
}

// koWorld is a copy of the built sample as a ko user has it: no
// gobake.yaml (the page writes .ko.yaml), a prefix of its own on the
// shared registry, which holds the base at bases/static.
func koWorld(t *testing.T) walkWorld {
	s := copyLayoutSample(t)
	reg := sharedRegistrySample(t).reg
	testutil.Git(t, s.dir, "rm", "-q", "gobake.yaml")
	testutil.Git(t, s.dir, "commit", "-q", "-m", "a ko user's repository")
	return walkWorld{dir: s.dir, subs: registrySubs(reg.Host, fmt.Sprintf("%s/walk%d", reg.Host, registryCopies.Add(1)))}
}

// logBlockCosts logs the CPU time of each run block of page that took
// more than a tenth of a second, from the times files the session wrote
// before each step (prefix.K) and the session's total (ps).
func logBlockCosts(t *testing.T, name string, page walkPage, prefix string, ps *os.ProcessState) {
	t.Helper()
	at := func(k int) (float64, bool) {
		if k == len(page.steps) {
			if ps == nil {
				return 0, false
			}
			return (ps.UserTime() + ps.SystemTime()).Seconds(), true
		}
		b, err := os.ReadFile(prefix + "." + strconv.Itoa(k))
		if err != nil {
			return 0, false
		}
		// The second line is the children's user and system time:
		// 0m1.234s 0m0.567s.
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		var total float64
		for _, f := range strings.Fields(lines[len(lines)-1]) {
			var m int
			var s float64
			if _, err := fmt.Sscanf(f, "%dm%fs", &m, &s); err != nil {
				return 0, false
			}
			total += float64(m)*60 + s
		}
		return total, true
	}
	var costs []string
	for k, s := range page.steps {
		from, ok1 := at(k)
		to, ok2 := at(k + 1)
		if s.kind == "run" && ok1 && ok2 && to-from >= 0.1 {
			costs = append(costs, fmt.Sprintf("line %d: %.1f", s.line, to-from))
		}
	}
	t.Logf("%s: CPU-s of its blocks: %s", name, strings.Join(costs, ", "))
}
