package kocompat

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTranslateTemplate(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string // substring of the error; "" means success
	}{
		{in: "-s -w", want: "-s -w"},
		{in: "-X main.v={{.Env.VERSION}}", want: "-X main.v={{.Env.VERSION}}"},
		{in: "-X main.c={{.Git.FullCommit}}", want: "-X main.c={{.Git.Commit}}"},
		{in: "-X main.c={{ .Git.ShortCommit }}-{{.Git.Branch}}-{{.Git.Tag}}", want: "-X main.c={{ .Git.ShortCommit }}-{{.Git.Branch}}-{{.Git.Tag}}"},
		{in: "-X main.t={{.Git.CommitTimestamp}} -X main.s={{.Git.TreeState}}", want: "-X main.t={{.Git.CommitTimestamp}} -X main.s={{.Git.TreeState}}"},
		{in: "-X main.d={{.Date}}", want: "-X main.d={{.Date}}"},
		{in: "-X main.dirty={{.Git.IsDirty}}", want: `-X main.dirty={{(eq .Git.TreeState "dirty")}}`},
		{in: "{{if .Git.IsClean}}-X main.clean=yes{{end}}", want: `{{if (eq .Git.TreeState "clean")}}-X main.clean=yes{{end}}`},
		{in: "-X main.FullCommit={{.Git.FullCommit}}", want: "-X main.FullCommit={{.Git.Commit}}"},
		{in: "-X main.ts={{.Timestamp}}", wantErr: ".Timestamp: gobake has no build date in Unix seconds"},
		{in: "-X main.cd={{.Git.CommitDate}}", wantErr: ".Git.CommitDate"},
		{in: "-X main.arch={{.GoEnv.GOARCH}}", wantErr: ".GoEnv.GOARCH: gobake templates do not see `go env`"},
		{in: "-X main.x={{.Nope}}", wantErr: ".Nope: not a field of ko's template data"},
		{in: "-X main.x={{.Env.A", wantErr: "parse template"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := TranslateTemplate(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("TranslateTemplate(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("TranslateTemplate(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TranslateTemplate(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
