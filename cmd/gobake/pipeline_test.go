package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

// gobakeRunner runs gobake commands on the repository of cfg.
func gobakeRunner(cfg string) func(args ...string) (int, string, string) {
	return func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"--config", cfg}, args...), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
}

// TestResolvePushesInputs checks that gobake resolve goes through the same
// pipeline as gobake build: its push carries the inputs record, so the
// next plan finds the image unchanged, and build makes the same digest.
// (resolve used to push without it: another digest, and "inputs of the
// previous build unknown".)
func TestResolvePushesInputs(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t) + "/acme"
	t.Setenv("GOBAKE_REGISTRY", prefix)
	cfg := writeRepo(t)
	manifest := filepath.Join(filepath.Dir(cfg), "deploy.yaml")
	if err := os.WriteFile(manifest, []byte("image: gobake://hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gobake := gobakeRunner(cfg)

	code, stdout, stderr := gobake("resolve", "-f", manifest)
	if code != 0 {
		t.Fatalf("resolve: exit %d: %s", code, stderr)
	}
	resolved := strings.TrimSpace(strings.TrimPrefix(stdout, "image: "))
	if !strings.HasPrefix(resolved, prefix+"/hello@sha256:") {
		t.Fatalf("resolve printed %q, want %s/hello@sha256:…", stdout, prefix)
	}

	code, stdout, stderr = gobake("plan", "--json")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	var rep struct {
		Images []struct {
			Image   string   `json:"image"`
			Status  string   `json:"status"`
			Reasons []string `json:"reasons"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, stdout)
	}
	testutil.CheckSchema(t, "plan.schema.json", schema.Plan, []byte(stdout))
	if len(rep.Images) != 1 || rep.Images[0].Status != "unchanged" {
		t.Errorf("plan after resolve: %+v, want hello unchanged", rep.Images)
	}

	code, stdout, stderr = gobake("build", "--json")
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	testutil.CheckSchema(t, "build.schema.json", schema.Build, []byte(stdout))
	var rep2 buildReport
	if err := json.Unmarshal([]byte(stdout), &rep2); err != nil {
		t.Fatalf("build --json: %v\n%s", err, stdout)
	}
	out := rep2.Images
	if len(out) != 1 || out[0].Reference != resolved {
		t.Errorf("build pushed %+v, want the digest resolve pushed, %s", out, resolved)
	}
}

// TestUnknownImage checks that every command names an unknown image the
// same way, without internal prefixes, suggesting a near name.
func TestUnknownImage(t *testing.T) {
	cfg := writeRepo(t)
	gobake := gobakeRunner(cfg)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"build", "nope"}, `gobake: no image "nope" in gobake.yaml (images: hello)` + "\n"},
		{[]string{"build", "helo", "--oci-layout", t.TempDir()}, `gobake: no image "helo" in gobake.yaml; did you mean "hello"?` + "\n"},
		{[]string{"plan", "nope"}, `gobake: no image "nope" in gobake.yaml (images: hello)` + "\n"},
		{[]string{"plan", "--explain", "hell"}, `gobake: no image "hell" in gobake.yaml; did you mean "hello"?` + "\n"},
		{[]string{"release", "--registry", "127.0.0.1:1/acme", "nope"}, "  - " + `no image "nope" in gobake.yaml (images: hello)` + "\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := gobake(tt.args...)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, stderr, tt.want)
			}
		})
	}
}

// TestRegistrySlash checks that a registry given with a trailing slash is
// the same registry: build pushes to it and plan reads it back (plan
// --registry HOST/ used to look for HOST//hello).
func TestRegistrySlash(t *testing.T) {
	prefix := testutil.InMemoryRegistry(t) + "/acme/"
	gobake := gobakeRunner(writeRepo(t))
	code, stdout, stderr := gobake("build", "--registry", prefix, "--sbom", "none")
	if code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr)
	}
	if want := strings.TrimSuffix(prefix, "/") + "/hello@sha256:"; !strings.HasPrefix(stdout, want) {
		t.Errorf("build printed %q, want %s…", stdout, want)
	}
	code, stdout, stderr = gobake("plan", "--registry", prefix)
	if code != 0 || !strings.Contains(stdout, "unchanged") || strings.Contains(stdout+stderr, "//hello") {
		t.Errorf("plan --registry %s: exit %d, want hello unchanged\nstdout: %s\nstderr: %s", prefix, code, stdout, stderr)
	}
}

// TestArchVariantPlan plans an image on a platform variant that config
// accepts: linux/arm64/v8.2 passed config, then plan and build failed
// (graph loaded packages with GOARM64=8.2, which go rejects). The build
// side uses the same mapping (platform.GoEnv, checked against go env for
// every accepted variant in internal/platform), so the test stops at plan
// and compiles nothing.
func TestArchVariantPlan(t *testing.T) {
	cfg := writeRepo(t)
	yaml := "version: 1\ndefaults:\n  base: scratch\n  platforms: [linux/arm64/v8.2]\nimages:\n  hello:\n    main: ./cmd/hello\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	host := testutil.InMemoryRegistry(t)
	code, stdout, stderr := gobakeRunner(cfg)("plan", "--json", "--registry", host+"/acme")
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, stderr)
	}
	var rep struct {
		Images []struct {
			Image     string   `json:"image"`
			Status    string   `json:"status"`
			Platforms []string `json:"platforms"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, stdout)
	}
	testutil.CheckSchema(t, "plan.schema.json", schema.Plan, []byte(stdout))
	if len(rep.Images) != 1 || rep.Images[0].Status != "new" || strings.Join(rep.Images[0].Platforms, ",") != "linux/arm64/v8.2" {
		t.Errorf("plan: %+v, want hello new on linux/arm64/v8.2", rep.Images)
	}
}

// TestResolveRegistry checks where resolve's digests point: --registry over
// $GOBAKE_REGISTRY over the registry key, as for build, plan and release.
func TestResolveRegistry(t *testing.T) {
	host := testutil.InMemoryRegistry(t)
	cfg := writeRepo(t)
	yml, err := os.ReadFile(cfg)
	noErr(t, err)
	noErr(t, os.WriteFile(cfg, append([]byte("registry: "+host+"/fromyaml\n"), yml...), 0o644))
	manifest := filepath.Join(filepath.Dir(cfg), "deploy.yaml")
	noErr(t, os.WriteFile(manifest, []byte("image: gobake://hello\n"), 0o644))
	gobake := gobakeRunner(cfg)
	for _, tc := range []struct {
		name, env string
		args      []string
		want      string
	}{
		{"gobake.yaml", "", nil, host + "/fromyaml"},
		{"environment over gobake.yaml", host + "/fromenv", nil, host + "/fromenv"},
		{"flag over environment", host + "/fromenv", []string{"--registry", host + "/fromflag"}, host + "/fromflag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOBAKE_REGISTRY", tc.env)
			code, stdout, stderr := gobake(append([]string{"resolve", "-f", manifest}, tc.args...)...)
			if code != 0 {
				t.Fatalf("resolve: exit %d: %s", code, stderr)
			}
			if got := strings.TrimSpace(strings.TrimPrefix(stdout, "image: ")); !strings.HasPrefix(got, tc.want+"/hello@sha256:") {
				t.Errorf("resolve printed %q, want %s/hello@sha256:…", got, tc.want)
			}
		})
	}
}
