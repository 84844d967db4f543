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
	dir := testutil.CopySample(t)
	out := gobake.MustRun(t, dir, offlineEnv, "build")
	refs := parseRefs(t, out.Stdout, sampleImages)
	layoutDir := filepath.Join(dir, ".gobake", "oci")

	t.Run("index.json", func(t *testing.T) {
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
		for name, r := range refs {
			// Entries are named <repository>:<tag>.
			raw := testutil.Skopeo(t, "inspect", "--raw", "oci:"+layoutDir+":"+name+":latest")
			if got := "sha256:" + sha256Hex(raw); got != r.Digest {
				t.Errorf("%s: layout holds manifest %s, gobake printed %s", name, got, r.Digest)
			}
		}
	})
	t.Run("binaries run", func(t *testing.T) {
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
	dir := testutil.CopySample(t)
	file := filepath.Join(t.TempDir(), "api.tar")
	out := gobake.MustRun(t, dir, offlineEnv, "build", "--tarball", file, "api")
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
	// with the same image built into a layout.
	layoutDir := filepath.Join(t.TempDir(), "oci")
	out = gobake.MustRun(t, dir, offlineEnv, "build", "--oci-layout", layoutDir, "api")
	if got := parseRefs(t, out.Stdout, []string{"api"}); got["api"].Digest != refs["api"].Digest {
		t.Errorf("api digest = %s with --tarball, %s with --oci-layout", refs["api"].Digest, got["api"].Digest)
	}
	want, err := layoutImage(t, layoutDir, refs["api"].Digest, amd64).ConfigName()
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

func TestReproducibleDigests(t *testing.T) {
	dir := testutil.CopySample(t)
	testutil.GitInit(t, dir)
	var got []map[string]string
	for i := range 2 {
		// An empty build cache each time: nothing is reused between builds.
		env := append([]string{"GOCACHE=" + t.TempDir()}, offlineEnv...)
		layoutDir := filepath.Join(t.TempDir(), "oci")
		// --jobs 1: concurrent go builds on an empty cache each compile the
		// standard library; one at a time is twice as fast on two cores.
		out := gobake.MustRun(t, dir, env, "build", "--jobs", "1", "--oci-layout", layoutDir)
		got = append(got, digests(parseRefs(t, out.Stdout, sampleImages)))
		t.Logf("build %d: %v", i+1, got[i])
	}
	if diff := cmp.Diff(got[0], got[1]); diff != "" {
		t.Errorf("two builds from empty caches differ (-first +second):\n%s", diff)
	}
}

func TestBuildGobakeItself(t *testing.T) {
	root := testutil.RepoRoot(t)
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
