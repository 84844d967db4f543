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
	tests := []struct {
		name                 string
		rep                  *Report
		stdout, output       string
		summary, stepSummary []string
	}{
		{"released", released, "r/acme/api@sha256:aa\n",
			`images=[{"image":"api","version":"1.2.3","digest":"sha256:aa","reference":"r/acme/api@sha256:aa","tags":["1.2.3","latest"]}]` + "\nreleased=true\n",
			[]string{"released 1 image(s)", "1.2.2 → 1.2.3"}, []string{"| api | 1.2.3 | 1.2.2 | patch: fix \\| x | `sha256:aa` |"}},
		{"failed", failed, "", "images=[]\nreleased=false\n",
			[]string{"FAILED: no GitOps commit, no git tag", "push api: boom"}, []string{"release failed", ":x: push api: boom"}},
		{"nothing", &Report{}, "", "images=[]\nreleased=false\n",
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
