package release

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOutputs(t *testing.T) {
	released := &Report{Commit: "0123456789abcdef", Released: true, Images: []Image{{
		Image: "api", Repository: "r/acme/api", Version: "1.2.3", Previous: "1.2.2", Reason: "patch: fix | x",
		Digest: "sha256:aa", Reference: "r/acme/api@sha256:aa", Tags: []string{"1.2.3", "latest"},
	}}}
	failed := &Report{Commit: "0123456789abcdef", Images: released.Images, Errors: []string{"push api: boom"}}
	// Claimed and written to GitOps, then a tag PUT failed: every output
	// says so (the summary once said "no GitOps commit" here).
	partial := &Report{Commit: "0123456789abcdef", Images: released.Images, GitTags: []string{"api/v1.2.3"}, Remote: "origin",
		GitOps: &GitOpsReport{Repo: "deploy", Branch: "main", Commit: "fedcba9876543210", Pushed: true}, Errors: []string{"tag api: 503"}}
	// web's inputs changed but its build is the image of its last release:
	// every output says it is not released and why.
	same := Skipped{Image: "web", Reason: "built output equals its last release web/v0.3.0 (sha256:bb)", SameOutput: true, Reference: "r/acme/web@sha256:bb"}
	withSame := &Report{Commit: "0123456789abcdef", Released: true, Images: released.Images,
		Skipped: []Skipped{{Image: "ctl", Reason: "no change"}, same}}
	onlySame := &Report{Commit: "0123456789abcdef", Skipped: []Skipped{same}}
	tests := []struct {
		name                 string
		rep                  *Report
		stdout, output       string
		summary, stepSummary []string
	}{
		{"released", released, "r/acme/api@sha256:aa\n",
			`images=[{"image":"api","version":"1.2.3","digest":"sha256:aa","reference":"r/acme/api@sha256:aa","tags":["1.2.3","latest"]}]` + "\nreleased=true\ngitTags=[]\ngitopsCommit=\nsameOutput=[]\n",
			[]string{"released 1 image(s)", "1.2.2 → 1.2.3"}, []string{"| api | 1.2.3 | 1.2.2 | patch: fix \\| x | `sha256:aa` |"}},
		{"failed", failed, "", "images=[]\nreleased=false\ngitTags=[]\ngitopsCommit=\nsameOutput=[]\n",
			[]string{"FAILED: no GitOps commit, no git tag", "push api: boom"}, []string{"release failed", ":x: push api: boom"}},
		{"partial", partial, "", "images=[]\nreleased=false\ngitTags=[\"api/v1.2.3\"]\ngitopsCommit=fedcba9876543210\nsameOutput=[]\n",
			[]string{"FAILED: GitOps commit fedcba987654 pushed, git tags api/v1.2.3 claimed", "GitOps deploy: pushed fedcba987654", "git tags: api/v1.2.3, pushed to origin"},
			[]string{"release failed", "GitOps: `fedcba987654`", "Done anyway: GitOps commit fedcba987654 pushed, git tags api/v1.2.3 claimed"}},
		{"same output", withSame, "r/acme/api@sha256:aa\n",
			`images=[{"image":"api","version":"1.2.3","digest":"sha256:aa","reference":"r/acme/api@sha256:aa","tags":["1.2.3","latest"]}]` + "\nreleased=true\ngitTags=[]\ngitopsCommit=\nsameOutput=[\"web\"]\n",
			[]string{"released 1 image(s)", "web        not released: built output equals its last release web/v0.3.0 (sha256:bb)"},
			[]string{"Not released, as their build is the image of their last release:\n- web: built output equals its last release web/v0.3.0 (sha256:bb)\n"}},
		{"only same output", onlySame, "", "images=[]\nreleased=false\ngitTags=[]\ngitopsCommit=\nsameOutput=[\"web\"]\n",
			[]string{"nothing to release\n  web        not released: built output equals"}, []string{"Nothing to release.", "- web: built output equals"}},
		{"nothing", &Report{}, "", "images=[]\nreleased=false\ngitTags=[]\ngitopsCommit=\nsameOutput=[]\n",
			[]string{"nothing to release"}, []string{"Nothing to release."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, summary bytes.Buffer
			if err := tt.rep.WriteReferences(&out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.stdout {
				t.Errorf("references = %q, want %q", out.String(), tt.stdout)
			}
			dir := t.TempDir()
			gh, step := filepath.Join(dir, "out"), filepath.Join(dir, "summary")
			if err := tt.rep.AppendGitHubOutput(gh); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(gh); string(b) != tt.output {
				t.Errorf("GitHub output = %q, want %q", b, tt.output)
			}
			if err := tt.rep.AppendStepSummary(step); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(step)
			for _, want := range tt.stepSummary {
				if !strings.Contains(string(b), want) {
					t.Errorf("step summary lacks %q:\n%s", want, b)
				}
			}
			tt.rep.WriteSummary(&summary)
			for _, want := range tt.summary {
				if !strings.Contains(summary.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, summary.String())
				}
			}
		})
	}
}
