package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// TestPlanExitCode checks plan --exit-code: 0 right after a build, 3 (and
// no error message) once the image's source changed, 1 on an error.
func TestPlanExitCode(t *testing.T) {
	s := httptest.NewServer(registry.New())
	t.Cleanup(s.Close)
	prefix := strings.TrimPrefix(s.URL, "http://") + "/acme"
	cfg := writeRepo(t)
	runGobake := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"--config", cfg}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, _, stderr := runGobake("build", "--registry", prefix, "--sbom", "none"); code != 0 {
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
		{name: "unchanged", args: []string{"--registry", prefix}, want: 0, wantPlan: "unchanged"},
		{name: "changed", edit: "\n// edited\n", args: []string{"--registry", prefix}, want: exitChanged, wantPlan: "cmd/hello/main.go changed"},
		{name: "error", args: []string{"--registry", prefix, "--explain", "nope"}, want: 1, wantErr: "gobake: "},
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
}
