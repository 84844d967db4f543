package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// registrySample is the sample pushed to a test registry.
type registrySample struct {
	reg    *testutil.Registry
	dir    string              // the sample copy
	prefix string              // --registry value: HOST/acme
	refs   map[string]builtRef // what gobake build printed, by image
	stdout string
}

// pushSample starts a registry, pushes the test base to it, points a copy
// of the sample at that base and runs gobake build --registry HOST/acme.
func pushSample(t testing.TB) registrySample {
	t.Helper()
	reg := testutil.StartRegistry(t)
	base := reg.Host + "/bases/static:latest"
	if _, err := baseimage.Push(context.Background(), base); err != nil {
		t.Fatal(err)
	}
	dir := testutil.CopySample(t)
	testutil.ReplaceInFile(t, filepath.Join(dir, "gobake.yaml"), "static: oci:bases/static", "static: "+base)
	testutil.GitInit(t, dir)
	prefix := reg.Host + "/acme"
	out := gobake.MustRun(t, dir, nil, "build", "--registry", prefix)
	return registrySample{reg: reg, dir: dir, prefix: prefix, refs: parseRefs(t, out.Stdout, sampleImages), stdout: out.Stdout}
}

// imageConfig is the part of an image config the tests look at.
type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		Entrypoint []string          `json:"Entrypoint"`
		Cmd        []string          `json:"Cmd"`
		User       string            `json:"User"`
		Env        []string          `json:"Env"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
}

func TestBuildToRegistry(t *testing.T) {
	parallelAfterWarmup(t)
	s := sharedRegistrySample(t)

	t.Run("references", func(t *testing.T) {
		t.Parallel()
		for name, r := range s.refs {
			if !strings.HasPrefix(r.Name, s.prefix+"/"+name) {
				t.Errorf("%s: reference %s is not under %s/%s", name, r.Ref, s.prefix, name)
			}
			// The printed digest is what the registry serves.
			raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+r.Ref)
			if got := "sha256:" + sha256Hex(raw); got != r.Digest {
				t.Errorf("%s: registry serves a manifest of digest %s, gobake printed %s", name, got, r.Digest)
			}
		}
	})

	t.Run("ctl is a two-platform index", func(t *testing.T) {
		t.Parallel()
		raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+s.refs["ctl"].Ref)
		var idx v1.IndexManifest
		if err := json.Unmarshal([]byte(raw), &idx); err != nil {
			t.Fatalf("parse %s: %v\n%s", s.refs["ctl"].Ref, err, raw)
		}
		if !idx.MediaType.IsIndex() {
			t.Fatalf("ctl media type = %s, want an index", idx.MediaType)
		}
		var got []string
		for _, m := range idx.Manifests {
			if m.Platform != nil {
				got = append(got, m.Platform.OS+"/"+m.Platform.Architecture)
			}
		}
		slices.Sort(got)
		if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, got); diff != "" {
			t.Errorf("ctl platforms (-want +got):\n%s", diff)
		}
	})

	t.Run("ctl index copies whole with skopeo", func(t *testing.T) {
		t.Parallel()
		// skopeo 1.9 refuses --all --preserve-digests when index entries
		// carry an artifactType, which container images must not.
		dir := filepath.Join(t.TempDir(), "ctl")
		testutil.Skopeo(t, "copy", "--all", "--preserve-digests", "docker://"+s.refs["ctl"].Ref, "oci:"+dir+":ctl")
	})

	t.Run("single-platform images are images", func(t *testing.T) {
		t.Parallel()
		for _, name := range []string{"api", "web", "worker"} {
			raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+s.refs[name].Ref)
			var m v1.Manifest
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			if !m.MediaType.IsImage() {
				t.Errorf("%s media type = %s, want an image manifest", name, m.MediaType)
			}
		}
	})

	t.Run("config", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			image    string
			wantData bool
			labels   map[string]string
		}{
			{"api", true, map[string]string{"com.example.tier": "backend"}},
			{"web", false, map[string]string{"com.example.tier": "frontend"}},
			{"worker", false, nil},
		}
		for _, tt := range tests {
			t.Run(tt.image, func(t *testing.T) {
				raw := testutil.Skopeo(t, "inspect", "--config", "docker://"+s.refs[tt.image].Ref)
				var cf imageConfig
				if err := json.Unmarshal([]byte(raw), &cf); err != nil {
					t.Fatalf("parse config: %v\n%s", err, raw)
				}
				if diff := cmp.Diff([]string{"/ko-app/" + tt.image}, cf.Config.Entrypoint); diff != "" {
					t.Errorf("entrypoint (-want +got):\n%s", diff)
				}
				if u := cf.Config.User; u != "65532" && u != "65532:65532" {
					t.Errorf("user = %q, want 65532", u)
				}
				if cf.OS != "linux" || cf.Architecture != "amd64" {
					t.Errorf("platform = %s/%s, want linux/amd64", cf.OS, cf.Architecture)
				}
				env := map[string]string{}
				for _, kv := range cf.Config.Env {
					k, v, _ := strings.Cut(kv, "=")
					env[k] = v
				}
				if !strings.Contains(env["PATH"], "/ko-app") || !strings.Contains(env["PATH"], "/usr/bin") {
					t.Errorf("PATH = %q, want /ko-app and the base's /usr/bin", env["PATH"])
				}
				if got, ok := env["KO_DATA_PATH"]; tt.wantData && got != "/var/run/ko" {
					t.Errorf("KO_DATA_PATH = %q (set: %v), want /var/run/ko", got, ok)
				}
				want := map[string]string{
					"org.opencontainers.image.title":   tt.image,
					"org.opencontainers.image.version": devVersion,
					"org.opencontainers.image.source":  "https://example.com/mono",
				}
				for k, v := range tt.labels {
					want[k] = v
				}
				for k, v := range want {
					if cf.Config.Labels[k] != v {
						t.Errorf("label %s = %q, want %q", k, cf.Config.Labels[k], v)
					}
				}
				if rev := cf.Config.Labels["org.opencontainers.image.revision"]; len(rev) != 40 {
					t.Errorf("label org.opencontainers.image.revision = %q, want the sample copy's commit", rev)
				}
			})
		}
	})

	t.Run("binaries run", func(t *testing.T) {
		t.Parallel()
		layoutDir := filepath.Join(t.TempDir(), "oci")
		for _, name := range sampleImages {
			t.Run(name, func(t *testing.T) {
				// Copy the linux/amd64 image as pushed, then read its
				// layers in Go.
				testutil.Skopeo(t, "--override-os", "linux", "--override-arch", "amd64",
					"copy", "--preserve-digests", "docker://"+s.refs[name].Ref, "oci:"+layoutDir+":"+name)
				root := unpackApp(t, layoutImageNamed(t, layoutDir, name))
				if diff := cmp.Diff(wantOutput[name], runApp(t, root, name)); diff != "" {
					t.Errorf("%s output (-want +got):\n%s", name, diff)
				}
			})
		}
	})

	t.Run("SBOM fallback tag", func(t *testing.T) {
		t.Parallel()
		r := s.refs["api"]
		tag := strings.Replace(r.Digest, ":", "-", 1) + ".sbom"
		repo := s.prefix + "/api"
		raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+repo+":"+tag)
		var m v1.Manifest
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("parse SBOM manifest: %v\n%s", err, raw)
		}
		if m.Subject == nil || m.Subject.Digest.String() != r.Digest {
			t.Errorf("SBOM manifest subject = %v, want %s", m.Subject, r.Digest)
		}
		if len(m.Layers) == 0 {
			t.Fatalf("SBOM manifest has no layers:\n%s", raw)
		}
		body := blob(t, s.reg.Host, "acme/api", m.Layers[0].Digest.String())
		var doc struct {
			SPDXVersion string `json:"spdxVersion"`
			Packages    []struct {
				Name string `json:"name"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("SBOM is not JSON: %v\n%.500s", err, body)
		}
		if doc.SPDXVersion != "SPDX-2.3" {
			t.Errorf("spdxVersion = %q, want SPDX-2.3", doc.SPDXVersion)
		}
		var names []string
		for _, p := range doc.Packages {
			names = append(names, p.Name)
		}
		for _, want := range []string{"example.com/mono", "github.com/google/uuid"} {
			if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, want) }) {
				t.Errorf("SBOM packages %v do not name %s", names, want)
			}
		}
	})

	t.Run("json output", func(t *testing.T) {
		t.Parallel()
		// Into another repository: the shared sample's stays as built.
		out := gobake.MustRun(t, s.dir, nil, "build", "--registry", s.reg.Host+"/json", "--json")
		dec := json.NewDecoder(strings.NewReader(out.Stdout))
		n := 0
		for {
			var v any
			err := dec.Decode(&v)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("--json output does not parse: %v\n%s", err, out.Stdout)
			}
			n++
		}
		if n == 0 {
			t.Fatal("--json printed nothing")
		}
		for name, r := range s.refs {
			if !strings.Contains(out.Stdout, r.Digest) {
				t.Errorf("--json output does not name %s's digest %s:\n%s", name, r.Digest, out.Stdout)
			}
		}
	})

	t.Run("podman runs api", func(t *testing.T) {
		t.Parallel()
		storage := testutil.PodmanStorage(t)
		ref := s.refs["api"].Ref
		out, err := testutil.Podman(t, storage, "run", "--rm", "--tls-verify=false", "--network=none", ref)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if diff := cmp.Diff(wantOutput["api"], out.Stdout); diff != "" {
			t.Errorf("podman run %s (-want +got):\n%s", ref, diff)
		}
	})
}

// blob fetches a blob from the test registry over plain HTTP.
func blob(t *testing.T, host, repo, digest string) []byte {
	t.Helper()
	url := fmt.Sprintf("http://%s/v2/%s/blobs/%s", host, repo, digest)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return b
}

func TestUnreachableRegistry(t *testing.T) {
	parallelAfterWarmup(t)
	dir := testutil.CopySample(t)
	reg := testutil.StartRegistry(t)
	tests := []struct {
		name string
		host func() string
	}{
		{"closed port", func() string { return testutil.FreeAddr(t) }},
		{"registry down", func() string { reg.Stop(); return reg.Host }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := tt.host()
			out := gobake.Run(t, dir, nil, "build", "--registry", host+"/acme", "api")
			if out.ExitCode == 0 {
				t.Fatalf("build against %s succeeded:\n%s", host, out)
			}
			if out.Stdout != "" {
				t.Errorf("stdout is not empty:\n%s", out.Stdout)
			}
			msg := strings.TrimSpace(out.Stderr)
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line:\n%s", msg)
			}
			if !strings.Contains(msg, host) {
				t.Errorf("error does not name the registry %s: %s", host, msg)
			}
		})
	}
	t.Run("registry back", func(t *testing.T) {
		reg.Start()
		out := gobake.MustRun(t, dir, nil, "build", "--registry", reg.Host+"/acme", "api")
		parseRefs(t, out.Stdout, []string{"api"})
	})
}
