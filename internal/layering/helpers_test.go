package layering

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/platform"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// buildRegistry is an in-process registry that counts requests.
type buildRegistry struct {
	host string // 127.0.0.1:port
	mu   sync.Mutex
	hits map[string]int // "METHOD path" -> count
}

func newBuildRegistry(t testing.TB) *buildRegistry {
	t.Helper()
	r := &buildRegistry{hits: map[string]int{}}
	h := registry.New(registry.Logger(nopLogger()))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.hits[req.Method+" "+req.URL.Path]++
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(s.Close)
	r.host = strings.TrimPrefix(s.URL, "http://")
	return r
}

// count returns how many requests with method hit paths containing part.
func (r *buildRegistry) count(method, part string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, v := range r.hits {
		if strings.HasPrefix(k, method+" ") && strings.Contains(k, part) {
			n += v
		}
	}
	return n
}

// requests returns how many requests with method hit exactly path.
func (r *buildRegistry) requests(method, path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[method+" "+path]
}

func (r *buildRegistry) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits = map[string]int{}
}

// baseFixture returns a small OCI image for p with a PATH, a command and
// a user, like a distroless base.
func baseFixture(t *testing.T, p v1.Platform) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("root:x:0:0:root:/root:/sbin/nologin\n" + p.String() + "\n")
	noErr(t, tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}))
	noErr(t, tw.WriteHeader(&tar.Header{Name: "etc/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}))
	_, err := tw.Write(body)
	noErr(t, err)
	noErr(t, tw.Close())
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil },
		tarball.WithMediaType(types.OCILayer))
	noErr(t, err)
	img, err := mutate.Append(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON),
		mutate.Addendum{Layer: l, MediaType: types.OCILayer})
	noErr(t, err)
	cf, err := img.ConfigFile()
	noErr(t, err)
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Config.Env = []string{"PATH=/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	cf.Config.Cmd = []string{"/bin/sh"}
	cf.Config.User = "0"
	cf.Config.Labels = map[string]string{"from": "base"}
	img, err = mutate.ConfigFile(img, cf)
	noErr(t, err)
	return img
}

// baseIndexFixture returns an OCI index of testBaseImages, plus an attestation
// entry for unknown/unknown as BuildKit writes them.
func baseIndexFixture(t *testing.T, ps ...v1.Platform) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range ps {
		p := p
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: baseFixture(t, p), Descriptor: v1.Descriptor{Platform: &p}})
	}
	unknown := v1.Platform{OS: "unknown", Architecture: "unknown"}
	return mutate.AppendManifests(idx, mutate.IndexAddendum{
		Add:        baseFixture(t, unknown),
		Descriptor: v1.Descriptor{Platform: &unknown, Annotations: map[string]string{"vnd.docker.reference.type": "attestation-manifest"}},
	})
}

// pushIndex writes idx to the registry as ref.
func pushIndex(t *testing.T, ref string, idx v1.ImageIndex) {
	t.Helper()
	r, err := name.ParseReference(ref)
	noErr(t, err)
	noErr(t, remote.WriteIndex(r, idx))
}

// fakeCompiler writes a small file naming the request instead of running
// go build, and records the requests it got.
type fakeCompiler struct {
	mu   sync.Mutex
	reqs []CompileRequest
	fail func(CompileRequest) error
}

func (f *fakeCompiler) Compile(ctx context.Context, req CompileRequest) error {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(req); err != nil {
			return err
		}
	}
	return os.WriteFile(req.Output, []byte("binary of "+req.Image+" for "+platform.Format(req.Platform)), 0o600)
}

// configFixture returns a configuration of images rooted at a temporary
// directory; each image gets a binary named after it.
func configFixture(t testing.TB, images ...config.Image) *config.Config {
	t.Helper()
	root := t.TempDir()
	for i := range images {
		img := &images[i]
		if img.Dir == "" {
			img.Dir = root
		}
		if img.Main == "" {
			img.Main = "./cmd/" + img.Name
		}
		if img.Binary == "" {
			img.Binary = img.Name
		}
		if img.Repository == "" {
			img.Repository = img.Name
		}
		if img.BaseRef == "" {
			img.BaseRef = config.Scratch
		}
	}
	return &config.Config{Path: filepath.Join(root, config.FileName), Root: root, Images: images}
}

// tarEntry is what the tests check about a layer entry.
type tarEntry struct {
	Name     string
	Type     byte
	Mode     int64
	Link     string
	Body     string
	Uid, Gid int
	ModTime  time.Time
}

// layerEntries lists the entries of a layer.
func layerEntries(t *testing.T, l v1.Layer) []tarEntry {
	t.Helper()
	rc, err := l.Uncompressed()
	noErr(t, err)
	defer rc.Close()
	var out []tarEntry
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		noErr(t, err)
		body, err := io.ReadAll(tr)
		noErr(t, err)
		out = append(out, tarEntry{Name: h.Name, Type: h.Typeflag, Mode: h.Mode, Link: h.Linkname, Body: string(body), Uid: h.Uid, Gid: h.Gid, ModTime: h.ModTime.UTC()})
	}
}

func nopLogger() *log.Logger { return log.New(io.Discard, "", 0) }

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// emptyOCIIndex is an empty index with the OCI media type.
func emptyOCIIndex() v1.ImageIndex {
	return mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
}

// targetsOf resolves the images of cfg named (every image when none is)
// into targets as the planner does, each seeing info in its templates and
// carrying annotations(image) when annotations is set. Images whose base
// or platforms fail are left out; their errors are returned joined.
func targetsOf(ctx context.Context, cfg *config.Config, names []string, info config.BuildInfo, annotations func(string) map[string]string) ([]Target, error) {
	bases := NewBases(ctx, cfg.Root)
	var targets []Target
	var errs []error
	for _, img := range cfg.Images {
		if len(names) > 0 && !slices.Contains(names, img.Name) {
			continue
		}
		t, err := bases.Target(ctx, img, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("image %s: %w", img.Name, err))
			continue
		}
		t.Info = info
		t.Tags = img.Tags
		if annotations != nil {
			t.Annotations = annotations(img.Name)
		}
		targets = append(targets, t)
	}
	return targets, errors.Join(errs...)
}

// buildAll resolves every image of cfg with targetsOf (info: version) and
// builds them with a Builder of opts; it fails t when an image cannot be
// resolved.
func buildAll(t testing.TB, cfg *config.Config, version string, opts ...BuilderOption) ([]Result, error) {
	t.Helper()
	ctx := context.Background()
	targets, err := targetsOf(ctx, cfg, nil, config.BuildInfo{Version: version}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return NewBuilder(opts...).Build(ctx, targets)
}
