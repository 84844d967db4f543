package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

func TestBuildValidate(t *testing.T) {
	tests := []struct {
		name    string
		cmd     buildCmd
		wantErr string
	}{
		{name: "registry"},
		{name: "tarball and platforms", cmd: buildCmd{Tarball: "x.tar", Platform: []string{"linux/amd64", "linux/arm64"}}},
		{name: "two targets", cmd: buildCmd{Registry: "r", OCILayout: "d"}, wantErr: "not --registry and --oci-layout"},
		{name: "three targets", cmd: buildCmd{Registry: "r", OCILayout: "d", Tarball: "t"}, wantErr: "not --registry and --oci-layout and --tarball"},
		{name: "negative jobs", cmd: buildCmd{Jobs: -1}, wantErr: "--jobs"},
		{name: "all and more", cmd: buildCmd{Platform: []string{"all", "linux/amd64"}}, wantErr: "--platform all"},
		{name: "arm64 level", cmd: buildCmd{Platform: []string{"linux/arm64/v8.2"}}},
		{name: "unknown variant", cmd: buildCmd{Platform: []string{"linux/arm64/v7"}}, wantErr: `--platform: "linux/arm64/v7": unknown arm64 variant "v7"`},
		{name: "empty tag", cmd: buildCmd{Tag: []string{" "}}, wantErr: "--tag"},
		{name: "skaffold image", cmd: buildCmd{Image: "r.example/api:v1", Platform: []string{"linux/arm64"}}},
		{name: "image and names", cmd: buildCmd{Image: "r.example/api:v1", Images: []string{"api"}}, wantErr: "--image"},
		{name: "image and registry", cmd: buildCmd{Image: "r.example/api:v1", Registry: "r"}, wantErr: "--image"},
		{name: "image and tag", cmd: buildCmd{Image: "r.example/api:v1", Tag: []string{"v2"}}, wantErr: "--image"},
		{name: "image and changed", cmd: buildCmd{Image: "r.example/api:v1", Changed: true}, wantErr: "--image"},
		{name: "changed", cmd: buildCmd{Changed: true, changeFlags: changeFlags{Since: "HEAD~1", Baseline: "latest"}}},
		{name: "changed to a tarball", cmd: buildCmd{Changed: true, Tarball: "x.tar"}, wantErr: "not a tarball"},
		{name: "load", cmd: buildCmd{Load: true}},
		{name: "load and registry", cmd: buildCmd{Load: true, Registry: "r"}, wantErr: "not --registry and --load"},
		{name: "skaffold image with load", cmd: buildCmd{Image: "r.example/api:v1", Load: true}},
		{name: "changed with load", cmd: buildCmd{Changed: true, Load: true}, wantErr: "not a tarball or a container engine"},
		{name: "since without changed", cmd: buildCmd{changeFlags: changeFlags{Since: "HEAD~1"}}, wantErr: "--since needs --changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cmd.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// writeRepo writes a one-image repository built on scratch.
func writeRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/hello\n\ngo 1.22\n",
		"cmd/hello/main.go": "package main\n\nfunc main() { println(\"hello\") }\n",
		"gobake.yaml":       "version: 1\ndefaults:\n  base: scratch\nimages:\n  hello:\n    main: ./cmd/hello\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "gobake.yaml")
}

func TestBuildCommand(t *testing.T) {
	host := testutil.InMemoryRegistry(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	cfg := writeRepo(t)

	t.Run("push with json", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--config", cfg, "build", "--registry", host + "/acme", "--tag", "v1,edge", "--json"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		testutil.CheckSchema(t, "build.schema.json", schema.Build, stdout.Bytes())
		var rep buildReport
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
		}
		out := rep.Images
		if len(out) != 1 {
			t.Fatalf("%d results, want 1", len(out))
		}
		got := out[0]
		if !strings.HasPrefix(got.Reference, host+"/acme/hello@sha256:") || got.Digest == "" || len(got.SBOM) != 1 {
			t.Errorf("output = %+v", got)
		}
		if diff := cmp.Diff([]string{"v1", "edge"}, got.Tags); diff != "" {
			t.Errorf("tags (-want +got):\n%s", diff)
		}
	})
	t.Run("quiet", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--config", cfg, "build", "--registry", host + "/quiet", "--quiet"}, &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("--quiet printed progress on stderr:\n%s", stderr.String())
		}
		if !strings.HasPrefix(stdout.String(), host+"/quiet/hello@sha256:") {
			t.Errorf("stdout = %q, want the reference", stdout.String())
		}
		code = run(context.Background(), []string{"--config", cfg, "build", "--registry", closed + "/acme", "-q"}, &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "is unreachable") {
			t.Errorf("--quiet hid the error: exit %d, stderr %q", code, stderr.String())
		}
	})
	t.Run("unreachable registry", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--config", cfg, "build", "--registry", closed + "/acme"}, &stdout, &stderr)
		msg := strings.TrimSuffix(stderr.String(), "\n")
		if code == 0 || strings.Contains(msg, "\n") || !strings.Contains(msg, "registry "+closed+" is unreachable") {
			t.Errorf("exit %d, stderr %q: want one line naming %s", code, msg, closed)
		}
	})
}
