package kocompat

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestScanKoRefs checks ko's rule on the kouser fixture: a string value
// starting with ko:// (blanks trimmed, quoted or not) is a reference; a
// mention in prose or a comment is not.
func TestScanKoRefs(t *testing.T) {
	refs, err := ScanKoRefs(context.Background(), "../../testdata/kouser")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.Pos()+" "+r.ImportPath)
	}
	want := []string{
		"config/api.yaml:17 example.com/kouser/cmd/api",
		"config/migrate-job.yaml:13 example.com/kouser/cmd/migrate",
		"config/worker.yaml:16 example.com/kouser/cmd/worker",
		"config/worker.yaml:19 example.com/kouser/cmd/api",
		"config/worker.yaml:27 example.com/kouser/cmd/worker",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
}

// TestScanKoRefLines checks the line-by-line search of a file that is not
// YAML (a Helm template): comment lines are left out.
func TestScanKoRefLines(t *testing.T) {
	data := []byte("{{- if .Values.on }}\nimage: ko://example.com/a/cmd/x\n# image: ko://example.com/a/cmd/old\nargs: [\"ko://example.com/a/cmd/y\"]\n{{- end }}\n")
	var got []string
	for _, r := range scanKoRefs("t.yaml", data) {
		got = append(got, r.Pos()+" "+r.ImportPath)
	}
	want := []string{"t.yaml:2 example.com/a/cmd/x", "t.yaml:4 example.com/a/cmd/y"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
}
