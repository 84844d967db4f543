package release_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/gitexec"
	"github.com/gobake/gobake/internal/release"
	"github.com/gobake/gobake/internal/release/version"
	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

// TestReleaseNotes: after a first release, commits touching api, web,
// both or neither; the second release's notes of each image list exactly
// the commits that touch its inputs, grouped, in --output's JSON, in the
// GitOps commit message, in the step summary and in each image's
// changelog in the deployment repository (gitops.changelog), newest
// version first; a dry run shows the changelog in its diff, and running
// the release again changes nothing.
func TestReleaseNotes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	src := w.clone(t)
	cfg, err := os.ReadFile(filepath.Join(src.Dir, "gobake.yaml"))
	noErr(t, err)
	src.Commit("build: changelogs", map[string]string{"gobake.yaml": string(cfg) + "  changelog: changelogs/{{.Image}}/CHANGELOG.md\n"})
	src.Git("push", "--quiet", "origin", "main")
	if _, err, log := w.run(t, src.Dir, release.Options{}); err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	main := func(v string) string { return "package main\n\nfunc main() { println(\"" + v + "\") }\n" }
	hash := map[string]string{}
	for _, c := range []struct {
		msg   string
		files map[string]string
	}{
		{"feat(auth): tokens", map[string]string{"api/main.go": main("tokens")}},
		{"fix: web crash", map[string]string{"web/main.go": main("web")}},
		{"docs: readme", map[string]string{"README.md": "hi\n"}},
		{"chore: both\n\nBREAKING CHANGE: not for api alone", map[string]string{"api/main.go": main("both"), "web/main.go": main("both")}},
		{"Refactor the api", map[string]string{"api/main.go": main("refactor")}},
	} {
		hash[strings.SplitN(c.msg, "\n", 2)[0]] = src.Commit(c.msg, c.files)[:7]
	}
	src.Git("push", "--quiet", "origin", "main")

	dry, err, log := w.run(t, src.Dir, release.Options{DryRun: true})
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, log)
	}
	if d := dry.GitOps.Diff; !strings.Contains(d, "+++ b/changelogs/api/CHANGELOG.md") || !strings.Contains(d, "+## 0.2.0\n") {
		t.Errorf("the dry run's GitOps diff lacks api's new changelog section:\n%s", d)
	}

	rep, err, log := w.run(t, src.Dir, release.Options{})
	if err != nil {
		t.Fatalf("second release: %v\n%s", err, log)
	}
	note := func(subject, typ, scope, desc string) version.Note {
		return version.Note{Commit: hash[subject], Type: typ, Scope: scope, Description: desc}
	}
	both := note("chore: both", "chore", "", "both")
	want := map[string]version.Notes{
		"api": {
			Breaking: []version.Note{both},
			Features: []version.Note{note("feat(auth): tokens", "feat", "auth", "tokens")},
			Fixes:    []version.Note{},
			Other:    []version.Note{note("Refactor the api", "", "", "Refactor the api")},
		},
		"web": {
			Breaking: []version.Note{both},
			Features: []version.Note{},
			Fixes:    []version.Note{note("fix: web crash", "fix", "", "web crash")},
			Other:    []version.Note{},
		},
	}
	// Through --output's JSON, as a reader of the report sees them.
	path := filepath.Join(t.TempDir(), "release.json")
	noErr(t, rep.WriteJSON(path))
	b, err := os.ReadFile(path)
	noErr(t, err)
	var out struct {
		Images []struct {
			Image string        `json:"image"`
			Notes version.Notes `json:"notes"`
		} `json:"images"`
	}
	testutil.CheckSchema(t, "release.schema.json", schema.Release, b)
	noErr(t, json.Unmarshal(b, &out))
	got := map[string]version.Notes{}
	for _, img := range out.Images {
		got[img.Image] = img.Notes
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("release notes in --output (-want +got):\n%s", diff)
	}

	msg, err := gitexec.Runner{Dir: w.deploy}.Run(context.Background(), "log", "-1", "--format=%B", "main")
	noErr(t, err)
	for _, line := range []string{
		"api 0.2.0:\nBreaking changes:\n- both (" + hash["chore: both"] + ")\nFeatures:\n- auth: tokens (" + hash["feat(auth): tokens"] + ")\nOther:\n- Refactor the api (" + hash["Refactor the api"] + ")\n",
		"web 0.2.0:\nBreaking changes:\n- both (" + hash["chore: both"] + ")\nFixes:\n- web crash (" + hash["fix: web crash"] + ")\n",
		"\n\nGobake-Release: true",
	} {
		if !strings.Contains(msg, line) {
			t.Errorf("GitOps commit message lacks %q:\n%s", line, msg)
		}
	}
	if strings.Contains(msg, "readme") {
		t.Errorf("GitOps commit message names a commit touching no image:\n%s", msg)
	}

	changelog, err := gitexec.Runner{Dir: w.deploy}.Run(context.Background(), "show", "main:changelogs/web/CHANGELOG.md")
	noErr(t, err)
	wantLog := "# Changelog of web\n\n## 0.2.0\n\n### Breaking changes\n\n- both (" + hash["chore: both"] + ")\n\n### Fixes\n\n- web crash (" + hash["fix: web crash"] + ")\n\n## 0.1.0\n\n"
	if !strings.HasPrefix(changelog, wantLog) || !strings.Contains(changelog, "- api and web (") {
		t.Errorf("web's changelog does not start with\n%s\nand list the first commit:\n%s", wantLog, changelog)
	}

	// Released already: running it again changes nothing, the changelog
	// included.
	head := func() string {
		h, err := gitexec.Runner{Dir: w.deploy}.Run(context.Background(), "rev-parse", "main")
		noErr(t, err)
		return h
	}
	before := head()
	if _, err, log := w.run(t, src.Dir, release.Options{}); err != nil {
		t.Fatalf("release again: %v\n%s", err, log)
	}
	if after := head(); after != before {
		t.Errorf("releasing again moved the GitOps branch %s → %s", before, after)
	}

	step := filepath.Join(t.TempDir(), "summary.md")
	noErr(t, rep.AppendStepSummary(step))
	sum, err := os.ReadFile(step)
	noErr(t, err)
	if !strings.Contains(string(sum), "#### api 0.2.0\n\n##### Breaking changes\n\n- both ("+hash["chore: both"]+")\n\n##### Features\n\n- **auth:** tokens (") {
		t.Errorf("step summary lacks api's notes:\n%s", sum)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
