package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gobake/gobake/internal/testutil"
)

// offlineEnv keeps go and gobake off the network: modules come from the
// module cache only.
var offlineEnv = []string{"GOPROXY=off"}

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

func TestBuildOCILayoutOffline(t *testing.T) {
	parallelAfterWarmup(t)
	s := sharedLayoutSample(t)
	dir, refs, layoutDir := s.dir, s.refs, s.layout

	t.Run("index.json", func(t *testing.T) {
		t.Parallel()
		b, err := os.ReadFile(filepath.Join(layoutDir, "index.json"))
		if err != nil {
			t.Fatalf("no default layout: %v", err)
		}
		var idx v1.IndexManifest
		if err := json.Unmarshal(b, &idx); err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, m := range idx.Manifests {
			have[m.Digest.String()] = true
		}
		for name, r := range refs {
			if !have[r.Digest] {
				t.Errorf("%s (%s) is not in %s/index.json", name, r.Digest, layoutDir)
			}
		}
	})
	t.Run("skopeo reads it", func(t *testing.T) {
		t.Parallel()
		for name, r := range refs {
			// Entries are named <repository>:<tag>.
			raw := testutil.Skopeo(t, "inspect", "--raw", "oci:"+layoutDir+":"+name+":latest")
			if got := "sha256:" + sha256Hex(raw); got != r.Digest {
				t.Errorf("%s: layout holds manifest %s, gobake printed %s", name, got, r.Digest)
			}
		}
	})
	t.Run("binaries run", func(t *testing.T) {
		t.Parallel()
		for _, name := range sampleImages {
			t.Run(name, func(t *testing.T) {
				root := unpackApp(t, layoutImage(t, layoutDir, refs[name].Digest, amd64))
				if diff := cmp.Diff(wantOutput[name], runApp(t, root, name)); diff != "" {
					t.Errorf("output (-want +got):\n%s", diff)
				}
			})
		}
	})
	t.Run("explicit --oci-layout", func(t *testing.T) {
		t.Parallel()
		other := filepath.Join(t.TempDir(), "layout")
		out := gobake.MustRun(t, dir, offlineEnv, "build", "--oci-layout", other, "worker")
		got := parseRefs(t, out.Stdout, []string{"worker"})
		if got["worker"].Digest != refs["worker"].Digest {
			t.Errorf("worker digest = %s into %s, %s into the default layout", got["worker"].Digest, other, refs["worker"].Digest)
		}
		if _, err := os.Stat(filepath.Join(other, "index.json")); err != nil {
			t.Error(err)
		}
	})
}

func TestBuildTarball(t *testing.T) {
	parallelAfterWarmup(t)
	s := sharedLayoutSample(t)
	file := filepath.Join(t.TempDir(), "api.tar")
	out := gobake.MustRun(t, s.dir, offlineEnv, "build", "--tarball", file, "api")
	refs := parseRefs(t, out.Stdout, []string{"api"})
	img, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		t.Fatalf("read %s as a docker-save tarball: %v", file, err)
	}
	root := unpackApp(t, img)
	if diff := cmp.Diff(wantOutput["api"], runApp(t, root, "api")); diff != "" {
		t.Errorf("api from the tarball (-want +got):\n%s", diff)
	}

	// A docker tarball keeps the config, not the manifest: compare configs
	// with the same image built into the sample's layout.
	if got, want := refs["api"].Digest, s.refs["api"].Digest; got != want {
		t.Errorf("api digest = %s with --tarball, %s with the OCI layout", got, want)
	}
	want, err := layoutImage(t, s.layout, s.refs["api"].Digest, amd64).ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	got, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("tarball config = %s, the printed image's config = %s", got, want)
	}
}

// TestReproducibleDigests builds a second copy of the sample, in another
// directory, from an empty build cache and gobake cache, and compares the
// digests with the shared build, made with the caches every other test
// fills: neither the directory nor what the caches hold may show.
func TestReproducibleDigests(t *testing.T) {
	dir := testutil.CopySample(t)
	testutil.GitInit(t, dir)
	env := append([]string{"GOCACHE=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir()}, offlineEnv...)
	layoutDir := filepath.Join(t.TempDir(), "oci")
	// Compiling the standard library for two platforms, it is the
	// longest gobake run of the package: it starts now, before the test
	// waits for its turn among the parallel tests, so that it never
	// starts last and keeps the package running alone. Its go commands,
	// one per platform (batch compile), compile nothing twice at once:
	// two jobs build it in half the time of one, for the same CPU.
	cold := gobake.Start(t, dir, env, "build", "--jobs", "2", "--oci-layout", layoutDir)
	parallelAfterWarmup(t)
	warm := digests(sharedLayoutSample(t).refs)

	out := cold.Wait(t)
	if out.ExitCode != 0 {
		t.Fatalf("gobake build from empty caches: %s", out)
	}
	got := digests(parseRefs(t, out.Stdout, sampleImages))
	t.Logf("warm: %v", warm)
	t.Logf("cold: %v", got)
	if diff := cmp.Diff(warm, got); diff != "" {
		t.Errorf("a build from empty caches differs from the shared one (-warm +cold):\n%s", diff)
	}
}

func TestBuildGobakeItself(t *testing.T) {
	parallelAfterWarmup(t)
	// A copy of the source tree, without .git and .gobake: gobake keeps
	// its caches in .gobake beside gobake.yaml, and tests write only to
	// temporary directories (TestGitHubActionsWorkflow zips the tree).
	root := filepath.Join(t.TempDir(), "gobake")
	if err := testutil.CopyDir(testutil.RepoRoot(t), root); err != nil {
		t.Fatal(err)
	}
	layoutDir := filepath.Join(t.TempDir(), "oci")
	out := gobake.MustRun(t, root, offlineEnv, "-c", filepath.Join(root, "gobake.yaml"),
		"build", "--oci-layout", layoutDir, "--platform", "linux/amd64")
	refs := parseRefs(t, out.Stdout, []string{"gobake"})
	app := unpackApp(t, layoutImage(t, layoutDir, refs["gobake"].Digest, amd64))
	got := runAppArgs(t, app, "gobake", "version")
	if !strings.HasPrefix(got, "gobake ") || strings.Contains(got, "(devel)") {
		t.Errorf("gobake version in the image printed %q, want the version set by -X main.version", got)
	}
}
