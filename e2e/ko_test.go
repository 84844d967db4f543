package e2e

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// koVersion is the ko release gobake's ko compatibility is checked against;
// scripts/test.sh installs it into $(go env GOPATH)/bin when it is missing.
const koVersion = "v0.19.1"

// koPath returns the ko binary of koVersion: on PATH, else in GOPATH/bin.
// It fails the test when there is none.
func koPath(t *testing.T) string {
	t.Helper()
	candidates := []string{}
	if p, err := exec.LookPath("ko"); err == nil {
		candidates = append(candidates, p)
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(gopath)), "bin", "ko"))
	}
	for _, p := range candidates {
		if out, err := exec.Command(p, "version").Output(); err == nil && strings.TrimSpace(string(out)) == koVersion {
			return p
		}
	}
	t.Fatalf("ko %s is required by this test (go install github.com/google/ko@%s); looked at %v", koVersion, koVersion, candidates)
	return ""
}

// kouserBases are the bases testdata/kouser/.ko.yaml names; the test points
// each at the test base, with the nonroot user the real ones have.
var kouserBases = []string{
	"cgr.dev/chainguard/static:latest",
	"cgr.dev/chainguard/glibc-dynamic:latest",
	"gcr.io/distroless/static-debian12:nonroot",
}

// kouserMains are the main packages of testdata/kouser, by binary name.
var kouserMains = map[string]string{
	"api":     "example.com/kouser/cmd/api",
	"migrate": "example.com/kouser/cmd/migrate",
	"worker":  "example.com/kouser/cmd/worker",
}

// digestRef matches a resolved reference into the test registry.
var digestRef = regexp.MustCompile(`127\.0\.0\.1:\d+/[a-z0-9._/-]+@sha256:[0-9a-f]{64}`)

// pushNonrootBase pushes the test base with user 65532, like the distroless
// and Chainguard bases ko users have, to ref.
func pushNonrootBase(t testing.TB, ref string) {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for _, p := range baseimage.Platforms {
		img, err := baseimage.Image(p)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.Config.User = "65532"
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatalf("push base %s: %v", ref, err)
	}
}

// kouserRepo copies testdata/kouser, points its bases at the test registry
// and commits it.
func kouserRepo(t testing.TB, reg *testutil.Registry) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kouser")
	if err := testutil.CopyDir(filepath.Join(testutil.RepoRoot(t), "testdata", "kouser"), dir); err != nil {
		t.Fatal(err)
	}
	for i, b := range kouserBases {
		local := reg.Host + "/bases/" + []string{"static:latest", "glibc-dynamic:latest", "distroless:nonroot"}[i]
		pushNonrootBase(t, local)
		testutil.ReplaceInFile(t, filepath.Join(dir, ".ko.yaml"), b, local)
	}
	testutil.GitInit(t, dir)
	return dir
}

// kouserCompiled builds kouser's api once, for the tests that build it in
// parallel: its GOAMD64=v2 and netgo build compiles the standard library
// its own way, which the shared sample's build (parallelAfterWarmup)
// leaves out; on a cold build cache each test would compile it too, at
// the same time (45 CPU-s each).
func kouserCompiled(t *testing.T) {
	t.Helper()
	testutil.Shared(t, &fixtures, "kouser api compiled", func(t testing.TB) bool {
		dir := kouserRepo(t, testutil.StartRegistry(t))
		env := []string{"KO_DOCKER_REPO=example.com/kouser", "VERSION=1.2.3"}
		gobake.MustRun(t, dir, env, "init", "--from-ko")
		gobake.MustRun(t, dir, env, "build", "--oci-layout", filepath.Join(t.TempDir(), "oci"), "--sbom", "none", "api")
		return true
	})
}

// runKo runs ko in dir and returns its stdout.
func runKo(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(koPath(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ko %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// koConfig is what the test compares of an image config.
type koConfig struct {
	Entrypoint []string
	Cmd        []string
	User       string
	WorkingDir string
	Env        []string
}

// inspectConfig reads the linux/amd64 image config of ref with skopeo.
func inspectConfig(t *testing.T, ref string) koConfig {
	t.Helper()
	raw := testutil.Skopeo(t, "--override-os", "linux", "--override-arch", "amd64", "inspect", "--config", "docker://"+ref)
	var cf v1.ConfigFile
	if err := json.Unmarshal([]byte(raw), &cf); err != nil {
		t.Fatalf("parse config of %s: %v\n%s", ref, err, raw)
	}
	env := slices.Clone(cf.Config.Env)
	slices.Sort(env)
	return koConfig{cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.User, cf.Config.WorkingDir, env}
}

// refsByBinary maps each resolved reference of stream to the binary its
// image runs (the last element of its entrypoint).
func refsByBinary(t *testing.T, stream string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ref := range digestRef.FindAllString(stream, -1) {
		cf := inspectConfig(t, ref)
		if len(cf.Entrypoint) == 0 {
			t.Fatalf("%s has no entrypoint", ref)
		}
		bin := filepath.Base(cf.Entrypoint[len(cf.Entrypoint)-1])
		if prev, ok := out[bin]; ok && prev != ref {
			t.Fatalf("two references for %s: %s and %s", bin, prev, ref)
		}
		out[bin] = ref
	}
	return out
}

// decodeStream decodes a multi-document YAML stream, with every resolved
// reference replaced by "<image>".
func decodeStream(t *testing.T, stream string) []any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(digestRef.ReplaceAllString(stream, "<image>")))
	var docs []any
	for {
		var d any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("decode resolved YAML: %v\n%s", err, stream)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

// remoteImage fetches the linux/amd64 image of ref.
func remoteImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithContext(context.Background()), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	return img
}

func TestKoMigration(t *testing.T) {
	parallelAfterWarmup(t)
	kouserCompiled(t)
	reg := testutil.StartRegistry(t)
	dir := kouserRepo(t, reg)
	koRepo := reg.Host + "/kouser"
	env := []string{"KO_DOCKER_REPO=" + koRepo, "VERSION=1.2.3"}

	initOut := gobake.MustRun(t, dir, env, "init", "--from-ko")
	t.Run("init lists what it could not translate", func(t *testing.T) {
		for _, want := range []string{"{{.Timestamp}}", "linux_capabilities"} {
			if !strings.Contains(initOut.Stderr, want) {
				t.Errorf("stderr of init lacks %q:\n%s", want, initOut.Stderr)
			}
		}
		if out := gobake.Run(t, dir, env, "init"); out.ExitCode == 0 || !strings.Contains(out.Stderr, "--force") {
			t.Errorf("second init did not refuse to overwrite gobake.yaml: %s", out)
		}
	})

	resolved := gobake.MustRun(t, dir, env, "resolve", "-f", "config/").Stdout
	gobakeRefs := refsByBinary(t, resolved)

	t.Run("resolve", func(t *testing.T) {
		if got := len(digestRef.FindAllString(resolved, -1)); got != 5 {
			t.Errorf("resolved %d references, want 5:\n%s", got, resolved)
		}
		// Left as written: the mention in a comment and the one in prose.
		if got := strings.Count(resolved, "ko://"); got != 2 {
			t.Errorf("%d ko:// left, want 2 (a comment and prose):\n%s", got, resolved)
		}
		for _, ref := range digestRef.FindAllString(resolved, -1) {
			raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+ref)
			if got := "sha256:" + sha256Hex(raw); !strings.HasSuffix(ref, "@"+got) {
				t.Errorf("registry serves %s for %s", got, ref)
			}
		}
		if diff := cmp.Diff([]string{"api", "migrate", "worker"}, slices.Sorted(maps.Keys(gobakeRefs))); diff != "" {
			t.Errorf("binaries (-want +got):\n%s", diff)
		}
	})

	t.Run("per-image bases are the overridden ones", func(t *testing.T) {
		want := map[string]string{ // .ko.yaml: defaultBaseImage, then baseImageOverrides
			"api":     reg.Host + "/bases/static:latest",
			"migrate": reg.Host + "/bases/glibc-dynamic:latest",
			"worker":  reg.Host + "/bases/distroless:nonroot",
		}
		for bin, ref := range gobakeRefs {
			var m struct {
				Annotations map[string]string `json:"annotations"`
			}
			raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+ref)
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatalf("parse %s: %v", ref, err)
			}
			if got := m.Annotations["org.opencontainers.image.base.name"]; got != want[bin] {
				t.Errorf("%s (%s) is built on %q, want %q", bin, ref, got, want[bin])
			}
		}
	})

	t.Run("released looks up what was pushed", func(t *testing.T) {
		again := gobake.MustRun(t, dir, env, "resolve", "--released", "-f", "config/").Stdout
		if again != resolved {
			t.Errorf("resolve --released differs from the build:\n%s", cmp.Diff(resolved, again))
		}
	})

	koResolved := runKo(t, dir, env, "resolve", "--insecure-registry", "--sbom=none", "-f", "config/")
	koRefs := refsByBinary(t, koResolved)

	t.Run("same manifests as ko", func(t *testing.T) {
		if diff := cmp.Diff(decodeStream(t, koResolved), decodeStream(t, resolved)); diff != "" {
			t.Errorf("resolved YAML, ko vs gobake, images masked (-ko +gobake):\n%s", diff)
		}
	})

	t.Run("same runtime layout as ko", func(t *testing.T) {
		for bin := range kouserMains {
			ko, gb := inspectConfig(t, koRefs[bin]), inspectConfig(t, gobakeRefs[bin])
			if diff := cmp.Diff(ko, gb); diff != "" {
				t.Errorf("%s: image config (-ko +gobake):\n%s", bin, diff)
			}
			if want := []string{"/ko-app/" + bin}; !slices.Equal(gb.Entrypoint, want) {
				t.Errorf("%s: entrypoint %v, want %v", bin, gb.Entrypoint, want)
			}
		}
	})

	t.Run("same layers as ko", func(t *testing.T) {
		for bin := range kouserMains {
			ko, gb := remoteImage(t, koRefs[bin]), remoteImage(t, gobakeRefs[bin])
			koLayers, gbLayers := imageLayers(t, ko), imageLayers(t, gb)
			if len(koLayers) != len(gbLayers) {
				t.Errorf("%s: %d layers from ko, %d from gobake", bin, len(koLayers), len(gbLayers))
				continue
			}
			for i := range koLayers {
				if isBinaryLayer(koLayers[i]) && isBinaryLayer(gbLayers[i]) {
					continue // the binary is compared by "same ldflags as ko"
				}
				if diff := cmp.Diff(koLayers[i], gbLayers[i]); diff != "" {
					t.Errorf("%s: layer %d (-ko +gobake):\n%s", bin, i, diff)
				}
			}
		}
		// The fixture covers what modes are about: a data file that is
		// executable in the checkout, one that is not, a subdirectory,
		// and images without kodata.
		data := imageLayers(t, remoteImage(t, gobakeRefs["api"]))
		if got := len(data); got < 2 || !slices.ContainsFunc(data[len(data)-2], func(e layerEntry) bool { return e.Name == "/var/run/ko/hooks/ready.sh" }) {
			t.Errorf("api: no /var/run/ko/hooks/ready.sh in the layer below the binary: %+v", data)
		}
	})

	t.Run("same ldflags as ko", func(t *testing.T) {
		koOut := runAppArgs(t, unpackApp(t, remoteImage(t, koRefs["api"])), "api", "version")
		gbOut := runAppArgs(t, unpackApp(t, remoteImage(t, gobakeRefs["api"])), "api", "version")
		commit := strings.TrimSpace(testutil.Git(t, dir, "rev-parse", "HEAD"))
		if want := "1.2.3 " + commit + "\n"; gbOut != want || koOut != want {
			t.Errorf("api version: ko %q, gobake %q, want %q", koOut, gbOut, want)
		}
	})

	t.Run("naming ko pushes where ko pushes", func(t *testing.T) {
		out := gobake.MustRun(t, dir, env, "resolve", "--naming", "ko", "-f", "config/").Stdout
		named := refsByBinary(t, out)
		for bin := range kouserMains {
			repo := func(ref string) string { return ref[:strings.Index(ref, "@")] }
			if repo(named[bin]) != repo(koRefs[bin]) {
				t.Errorf("%s: gobake --naming ko pushed to %s, ko to %s", bin, repo(named[bin]), repo(koRefs[bin]))
			}
		}
	})

	t.Run("apply without kubectl says so", func(t *testing.T) {
		out := gobake.Run(t, dir, append(env, "PATH="+filepath.Dir(goBinary(t))), "apply", "-f", "config/")
		if out.ExitCode == 0 || !strings.Contains(out.Stderr, "kubectl is not on PATH") {
			t.Errorf("apply without kubectl: %s", out)
		}
	})
}

// TestKoDependencyMain resolves a ko:// reference to a main package of a
// required module (as knative's storage version migration is) like ko
// does: init --from-ko makes an image of it with its base override,
// resolve builds and pushes it to the registry, and the image runs it.
// kovendor vendors the module; koreplace finds it through go.mod (a local
// replace, so no network is needed).
func TestKoDependencyMain(t *testing.T) {
	parallelAfterWarmup(t)
	for _, fixture := range []string{"kovendor", "koreplace"} {
		t.Run(fixture, func(t *testing.T) {
			t.Parallel() // each has its own registry and copy
			testKoDependencyMain(t, fixture)
		})
	}
}

func testKoDependencyMain(t *testing.T, fixture string) {
	reg := testutil.StartRegistry(t)
	tmp := t.TempDir()
	for _, d := range []string{fixture, "kodep"} { // koreplace requires ../kodep
		if err := testutil.CopyDir(filepath.Join(testutil.RepoRoot(t), "testdata", d), filepath.Join(tmp, d)); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(tmp, fixture)
	bases := map[string]string{
		"cgr.dev/chainguard/static:latest":          reg.Host + "/bases/static:latest",
		"gcr.io/distroless/static-debian12:nonroot": reg.Host + "/bases/distroless:nonroot",
	}
	for public, local := range bases {
		pushNonrootBase(t, local)
		testutil.ReplaceInFile(t, filepath.Join(dir, ".ko.yaml"), public, local)
	}
	testutil.GitInit(t, dir)
	env := []string{"KO_DOCKER_REPO=" + reg.Host + "/" + fixture}

	initOut := gobake.MustRun(t, dir, env, "init", "--from-ko")
	if strings.Contains(initOut.Stderr, "not translated") {
		t.Errorf("init left settings out:\n%s", initOut.Stderr)
	}
	resolved := gobake.MustRun(t, dir, env, "resolve", "-f", "config/").Stdout
	refs := refsByBinary(t, resolved)
	if diff := cmp.Diff([]string{"api", "migrate"}, slices.Sorted(maps.Keys(refs))); diff != "" {
		t.Fatalf("binaries (-want +got):\n%s\n%s", diff, resolved)
	}

	t.Run("the dependency's main runs from its image", func(t *testing.T) {
		out := runApp(t, unpackApp(t, remoteImage(t, refs["migrate"])), "migrate")
		if want := "migrate of example.com/kodep\n"; out != want {
			t.Errorf("migrate printed %q, want %q", out, want)
		}
	})

	t.Run("on its overridden base", func(t *testing.T) {
		var m struct {
			Annotations map[string]string `json:"annotations"`
		}
		raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+refs["migrate"])
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		if got, want := m.Annotations["org.opencontainers.image.base.name"], bases["gcr.io/distroless/static-debian12:nonroot"]; got != want {
			t.Errorf("migrate is built on %q, want %q", got, want)
		}
	})

	t.Run("same manifests and layers as ko", func(t *testing.T) {
		koResolved := runKo(t, dir, env, "resolve", "--insecure-registry", "--sbom=none", "-f", "config/")
		if diff := cmp.Diff(decodeStream(t, koResolved), decodeStream(t, resolved)); diff != "" {
			t.Errorf("resolved YAML, ko vs gobake, images masked (-ko +gobake):\n%s", diff)
		}
		koRefs := refsByBinary(t, koResolved)
		ko, gb := imageLayers(t, remoteImage(t, koRefs["migrate"])), imageLayers(t, remoteImage(t, refs["migrate"]))
		if len(ko) != len(gb) {
			t.Fatalf("migrate: %d layers from ko, %d from gobake", len(ko), len(gb))
		}
		for i := range ko {
			if !isBinaryLayer(ko[i]) {
				if diff := cmp.Diff(ko[i], gb[i]); diff != "" {
					t.Errorf("migrate: layer %d (-ko +gobake):\n%s", i, diff)
				}
			}
		}
	})
}

// goBinary returns the path of the go command, so a PATH can hold it alone.
func goBinary(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSkaffoldCustomBuilder checks Skaffold's custom-builder contract:
// `gobake build --image "$IMAGE"` publishes exactly $IMAGE when
// $PUSH_IMAGE=true and writes the local layout otherwise.
func TestSkaffoldCustomBuilder(t *testing.T) {
	parallelAfterWarmup(t)
	kouserCompiled(t)
	reg := testutil.StartRegistry(t)
	dir := kouserRepo(t, reg)
	env := []string{"KO_DOCKER_REPO=" + reg.Host + "/kouser", "VERSION=1.2.3"}
	gobake.MustRun(t, dir, env, "init", "--from-ko")

	t.Run("push", func(t *testing.T) {
		image := reg.Host + "/dev/api:v1-abc"
		gobake.MustRun(t, dir, append(env, "IMAGE="+image, "PUSH_IMAGE=true"), "build", "--image", image)
		cf := inspectConfig(t, image)
		if want := []string{"/ko-app/api"}; !slices.Equal(cf.Entrypoint, want) {
			t.Errorf("entrypoint %v, want %v", cf.Entrypoint, want)
		}
		if tags := testutil.Skopeo(t, "list-tags", "docker://"+reg.Host+"/dev/api"); !strings.Contains(tags, `"v1-abc"`) || strings.Contains(tags, `"latest"`) {
			t.Errorf("tags of %s/dev/api: %s, want only v1-abc", reg.Host, tags)
		}
	})

	t.Run("no push writes the layout", func(t *testing.T) {
		image := reg.Host + "/dev/worker:v2"
		gobake.MustRun(t, dir, append(env, "IMAGE="+image, "PUSH_IMAGE=false"), "build", "--image", image)
		img := layoutImageNamed(t, filepath.Join(dir, ".gobake", "oci"), "worker:v2")
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"/ko-app/worker"}; !slices.Equal(cf.Config.Entrypoint, want) {
			t.Errorf("entrypoint %v, want %v", cf.Config.Entrypoint, want)
		}
		if _, err := testutil.SkopeoErr(t, "inspect", "--raw", "docker://"+image); err == nil {
			t.Errorf("%s was pushed although PUSH_IMAGE=false", image)
		}
	})
}

// layerEntry is what the ko comparison checks of a layer entry: all of its
// tar header but the time, and its contents.
type layerEntry struct {
	Name         string
	Type         byte
	Mode         int64
	Uid, Gid     int
	Uname, Gname string
	Link         string
	Size         int64
	SHA256       string
}

// imageLayers lists the entries of every layer of img, in order.
func imageLayers(t *testing.T, img v1.Image) [][]layerEntry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]layerEntry, len(layers))
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			out[i] = append(out[i], layerEntry{h.Name, h.Typeflag, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.Linkname, h.Size, sha256Hex(string(b))})
		}
		rc.Close()
	}
	return out
}

// isBinaryLayer reports whether a layer holds the binary under /ko-app.
func isBinaryLayer(entries []layerEntry) bool {
	return slices.ContainsFunc(entries, func(e layerEntry) bool {
		return strings.HasPrefix(strings.TrimPrefix(e.Name, "/"), "ko-app/")
	})
}
