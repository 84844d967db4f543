package e2e

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/gobake/gobake/internal/testutil"
)

// gobake is the binary under test, built once per test binary.
var gobake testutil.Gobake

// minParallel is how many tests run at once at least, unless
// -test.parallel says otherwise: an e2e test spends much of its time
// waiting (on the registry, git, retry backoffs, the moment of a kill), so
// on a two-core machine two at a time leave the cores idle. Four did too:
// the package took 290 s at -test.parallel 4 and 235 s at 8, for the same
// CPU (330 CPU-s, two cores at a raised priority on a shared machine).
const minParallel = 8

// TestMain runs the tests with a temporary home (gobake's binary cache,
// podman, skopeo and ko write there, never to the user's home), at least
// minParallel at a time, then removes the shared fixtures and the gobake
// binary.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if p := flag.Lookup("test.parallel"); !set && p != nil && runtime.GOMAXPROCS(0) < minParallel {
		_ = p.Value.Set(strconv.Itoa(minParallel))
	}
	testutil.Main(m, fixtures.Cleanup, gobake.Cleanup)
}

// sampleImages are the images of testdata/monorepo/gobake.yaml.
var sampleImages = []string{"api", "ctl", "web", "worker"}

// devVersion is .Version outside a release (config.DevVersion).
const devVersion = "0.0.0-dev"

// wantOutput is what each sample binary prints, run with no arguments on
// linux/amd64 with its static files at $KO_DATA_PATH.
var wantOutput = map[string]string{
	"api": `name: api
version: 0.0.0-dev
greeting: Hello, api!
platform: linux/amd64
client: 889e81c5-4e7b-5d6a-b959-4a2f65d84a3b
data: served from kodata
`,
	"web": `name: web
version: 0.0.0-dev
greeting: Hello, web!
platform: linux/amd64
static/index.html: <h1>web</h1>
static/style.css: body { color: teal; }
`,
	"worker": `name: worker
version: 0.0.0-dev
greeting: Hello, worker!
platform: linux/amd64
job 1: resize
job 2: index
job 3: notify
`,
	"ctl": `name: ctl
version: 0.0.0-dev
greeting: Hello, ctl!
platform: linux/amd64
client api: 889e81c5-4e7b-5d6a-b959-4a2f65d84a3b
client web: 02c93ac7-5199-58fc-bfc7-93323ebf5daa
client worker: fac31d6b-6b60-531d-97b6-70f6b620598b
`,
}

// refLine is one line of `gobake build` output: REF@sha256:HEX.
var refLine = regexp.MustCompile(`^(\S+)@(sha256:[0-9a-f]{64})$`)

// builtRef is one image reference printed by gobake build.
type builtRef struct {
	Ref    string // the whole line: REF@sha256:…
	Name   string // repository part before @, tag included
	Digest string // sha256:…
}

// parseRefs checks that stdout is one REF@sha256:… line per image in
// images and returns them by image name. An image's line is the one whose
// reference names it as a path element or as the tag.
func parseRefs(t testing.TB, stdout string, images []string) map[string]builtRef {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if stdout == "" {
		lines = nil
	}
	if len(lines) != len(images) {
		t.Fatalf("gobake build printed %d lines, want one per image %v:\n%s", len(lines), images, stdout)
	}
	out := map[string]builtRef{}
	for _, l := range lines {
		m := refLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("output line %q is not REF@sha256:<64 hex>", l)
		}
		name := imageOf(m[1], images)
		if name == "" {
			t.Fatalf("output line %q names none of the images %v", l, images)
		}
		if _, dup := out[name]; dup {
			t.Fatalf("two output lines for image %s:\n%s", name, stdout)
		}
		out[name] = builtRef{Ref: l, Name: m[1], Digest: m[2]}
	}
	return out
}

// imageOf returns the image of images that ref names: its last path
// element (tag removed) or its tag.
func imageOf(ref string, images []string) string {
	repo, tag := ref, ""
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		repo, tag = ref[:i], ref[i+1:]
	}
	for _, cand := range []string{path.Base(repo), tag} {
		if slices.Contains(images, cand) {
			return cand
		}
	}
	return ""
}

// digests returns image name → digest.
func digests(refs map[string]builtRef) map[string]string {
	out := map[string]string{}
	for k, v := range refs {
		out[k] = v.Digest
	}
	return out
}

// layoutImage returns the image with digest d, or for an index the
// manifest of platform p in it, from the OCI layout at dir.
func layoutImage(t *testing.T, dir string, d string, p v1.Platform) v1.Image {
	t.Helper()
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("open layout %s: %v", dir, err)
	}
	h, err := v1.NewHash(d)
	if err != nil {
		t.Fatal(err)
	}
	if idx, err := root.ImageIndex(h); err == nil {
		if im, err := idx.IndexManifest(); err == nil && len(im.Manifests) > 0 {
			for _, m := range im.Manifests {
				if m.Platform != nil && m.Platform.OS == p.OS && m.Platform.Architecture == p.Architecture {
					img, err := idx.Image(m.Digest)
					if err != nil {
						t.Fatalf("read %s of %s: %v", p, d, err)
					}
					return img
				}
			}
			t.Fatalf("index %s in %s has no %s manifest", d, dir, p)
		}
	}
	img, err := root.Image(h)
	if err != nil {
		t.Fatalf("read image %s from %s: %v", d, dir, err)
	}
	return img
}

// layoutImageNamed returns the image whose index.json entry in the OCI
// layout at dir has the ref name refName (as skopeo copy oci:DIR:NAME
// writes it).
func layoutImageNamed(t *testing.T, dir, refName string) v1.Image {
	t.Helper()
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("open layout %s: %v", dir, err)
	}
	im, err := root.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range im.Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] == refName {
			img, err := root.Image(m.Digest)
			if err != nil {
				t.Fatalf("read %s from %s: %v", refName, dir, err)
			}
			return img
		}
	}
	t.Fatalf("layout %s has no entry named %s", dir, refName)
	return nil
}

// unpackApp writes the files of img under /ko-app and /var/run/ko to a new
// directory and returns it.
func unpackApp(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			t.Fatalf("read image filesystem: %v", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		if !strings.HasPrefix(name, "ko-app/") && !strings.HasPrefix(name, "var/run/ko") {
			continue
		}
		target := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			t.Fatal(err)
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeSymlink:
			link := hdr.Linkname
			if path.IsAbs(link) {
				link = filepath.Join(root, filepath.FromSlash(link))
			}
			if err := os.Symlink(link, target); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(hdr.Mode).Perm()|0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// runApp runs /ko-app/<binary> of an unpacked image with no arguments and
// KO_DATA_PATH at its static files, and returns its stdout.
func runApp(t *testing.T, root, binary string) string {
	t.Helper()
	return runAppArgs(t, root, binary)
}

// runAppArgs is runApp with arguments.
func runAppArgs(t *testing.T, root, binary string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "ko-app", binary), args...)
	cmd.Env = []string{"KO_DATA_PATH=" + filepath.Join(root, "var", "run", "ko")}
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			stderr = ee.Stderr
		}
		t.Fatalf("run %s from the image: %v\n%s", binary, err, stderr)
	}
	return string(out)
}

// sha256Hex returns the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
