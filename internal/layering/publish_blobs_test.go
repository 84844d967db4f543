package layering

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/config"
)

// repoBlobs makes go-containerregistry's in-process registry keep blobs
// per repository, as real registries do (it keeps them globally): a blob
// is found in a repository only after it was uploaded or mounted there.
// It implements cross-repository mounts and counts uploads per digest.
type repoBlobs struct {
	mu      sync.Mutex
	has     map[string]map[string]bool // repository → digest → present
	uploads map[string]int             // digest → completed uploads
	mounts  int
}

var (
	blobPath   = regexp.MustCompile(`^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$`)
	uploadPath = regexp.MustCompile(`^/v2/(.+)/blobs/uploads/`)
)

func newRepoBlobsRegistry(t *testing.T) (string, *repoBlobs) {
	t.Helper()
	rb := &repoBlobs{has: map[string]map[string]bool{}, uploads: map[string]int{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := blobPath.FindStringSubmatch(r.URL.Path); m != nil && (r.Method == http.MethodHead || r.Method == http.MethodGet) {
			if !rb.present(m[1], m[2]) {
				http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`, http.StatusNotFound)
				return
			}
		}
		m := uploadPath.FindStringSubmatch(r.URL.Path)
		if m != nil && r.Method == http.MethodPost && r.URL.Query().Get("mount") != "" {
			d, from := r.URL.Query().Get("mount"), r.URL.Query().Get("from")
			if from != "" && rb.present(from, d) {
				rb.add(m[1], d, false)
				w.Header().Set("Location", "/v2/"+m[1]+"/blobs/"+d)
				w.Header().Set("Docker-Content-Digest", d)
				w.WriteHeader(http.StatusCreated)
				return
			}
		}
		rec := &statusRecorder{ResponseWriter: w}
		reg.ServeHTTP(rec, r)
		if m != nil && r.Method == http.MethodPut && rec.status == http.StatusCreated {
			rb.add(m[1], r.URL.Query().Get("digest"), true)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), rb
}

func (rb *repoBlobs) present(repo, d string) bool {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.has[repo][d]
}

func (rb *repoBlobs) add(repo, d string, upload bool) {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.has[repo] == nil {
		rb.has[repo] = map[string]bool{}
	}
	rb.has[repo][d] = true
	if upload {
		rb.uploads[d]++
	} else {
		rb.mounts++
	}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// TestRegistryPublisherUploadsEachBlobOnce builds two images for two
// platforms each (their data layers are the same, and so are the empty
// configs of their SBOMs) and publishes them at once to two repositories
// of a registry that keeps blobs per repository: every blob is uploaded
// exactly once, the shared ones mounted into the second repository.
func TestRegistryPublisherUploadsEachBlobOnce(t *testing.T) {
	ctx := context.Background()
	host, rb := newRepoBlobsRegistry(t)
	platforms := []string{"linux/amd64", "linux/arm64"}
	cfg := configFixture(t,
		config.Image{Name: "api", Settings: config.Settings{Platforms: platforms}},
		config.Image{Name: "web", Settings: config.Settings{Platforms: platforms}},
	)
	results, err := buildAll(t, cfg, "1.0.0", WithCompiler(&fakeCompiler{}), WithLayerCache("", 0), WithSBOMFormats())
	noErr(t, err)
	for i, r := range results { // fake binaries make no SBOM: fake SBOMs
		im, err := r.Index.IndexManifest()
		noErr(t, err)
		for _, desc := range im.Manifests {
			img, err := r.Index.Image(desc.Digest)
			noErr(t, err)
			results[i].Referrers = append(results[i].Referrers, testSBOM(t, img))
		}
	}

	p := NewRegistryPublisher(host+"/acme", testRegistryOptions()...)
	var eg errgroup.Group
	for _, r := range results {
		eg.Go(func() error {
			_, err := p.Publish(ctx, r, []string{"latest"})
			return err
		})
	}
	noErr(t, eg.Wait())

	want := map[string]int{}
	shared := 0
	for _, r := range results {
		blobs, err := resultBlobs(r, nil)
		noErr(t, err)
		for _, l := range blobs {
			d, err := l.Digest()
			noErr(t, err)
			if _, ok := want[d.String()]; ok {
				shared++
			}
			want[d.String()] = 1
		}
	}
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if diff := cmpUploads(want, rb.uploads); diff != "" {
		t.Errorf("uploads per blob (-want +got):\n%s", diff)
	}
	if shared == 0 || rb.mounts != shared {
		t.Errorf("%d mounts, want one per blob the images share (%d)", rb.mounts, shared)
	}
}

// cmpUploads lists the digests whose upload counts differ.
func cmpUploads(want, got map[string]int) string {
	var b strings.Builder
	for d, n := range want {
		if got[d] != n {
			fmt.Fprintf(&b, "- %s: %d\n+ %s: %d\n", d, n, d, got[d])
		}
	}
	for d, n := range got {
		if _, ok := want[d]; !ok {
			fmt.Fprintf(&b, "+ %s (not in the results): %d\n", d, n)
		}
	}
	return b.String()
}

// TestRegistryPublisherUnchanged publishes two multi-platform images with
// SBOMs and fallback tags, then the same again: the second publish only
// asks (HEAD) and writes nothing: no blob, manifest or tag. A new tag
// for the same image is still put, and the first publish's result and
// the second's are the same references.
func TestRegistryPublisherUnchanged(t *testing.T) {
	ctx := context.Background()
	reg := newBuildRegistry(t)
	platforms := []string{"linux/amd64", "linux/arm64"}
	cfg := configFixture(t,
		config.Image{Name: "api", Settings: config.Settings{Platforms: platforms}},
		config.Image{Name: "web", Settings: config.Settings{Platforms: platforms}},
	)
	results, err := buildAll(t, cfg, "1.0.0", WithCompiler(&fakeCompiler{}), WithLayerCache("", 0), WithSBOMFormats())
	noErr(t, err)
	for i, r := range results {
		im, err := r.Index.IndexManifest()
		noErr(t, err)
		for _, desc := range im.Manifests {
			img, err := r.Index.Image(desc.Digest)
			noErr(t, err)
			results[i].Referrers = append(results[i].Referrers, testSBOM(t, img))
		}
	}
	p := NewRegistryPublisher(reg.host+"/acme", testRegistryOptions()...)
	publish := func(tags ...string) []string {
		t.Helper()
		var refs []string
		for _, r := range results {
			d, err := p.Publish(ctx, r, tags)
			noErr(t, err)
			refs = append(refs, d.String())
		}
		return refs
	}
	first := publish("latest")
	if reg.count(http.MethodPut, "/manifests/") == 0 || reg.count(http.MethodPut, "/blobs/") == 0 {
		t.Fatal("the first publish put no manifest or blob")
	}

	reg.reset()
	p = NewRegistryPublisher(reg.host+"/acme", testRegistryOptions()...) // a new run
	second := publish("latest")
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("references (-first +second):\n%s", diff)
	}
	for _, m := range []string{http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		if n := reg.count(m, "/v2/"); n != 0 {
			t.Errorf("publishing unchanged images made %d %s requests", n, m)
		}
	}
	// One HEAD per tag (2 latest, 4 fallback tags of the SBOMs): each
	// names its manifest, which shows it there; no manifest is asked
	// about by digest, no blob at all, and the registry is pinged once.
	if n := reg.count(http.MethodHead, "/blobs/"); n != 0 {
		t.Errorf("%d HEAD requests for blobs, want none", n)
	}
	if n := reg.count(http.MethodHead, "/manifests/sha256:"); n != 0 {
		t.Errorf("%d HEAD requests for manifests by digest, want none", n)
	}
	if n := reg.count(http.MethodHead, "/manifests/"); n != 6 {
		t.Errorf("%d HEAD requests for tags, want 6", n)
	}
	if n := reg.requests(http.MethodGet, "/v2/"); n != 1 {
		t.Errorf("%d pings, want 1", n)
	}

	// A tag moved elsewhere is put back, with nothing uploaded.
	other, err := random.Image(64, 1)
	noErr(t, err)
	moved, err := name.ParseReference(reg.host + "/acme/" + results[0].Repository + ":latest")
	noErr(t, err)
	noErr(t, remote.Write(moved, other))
	reg.reset()
	if got := publish("latest"); !cmp.Equal(got, first) {
		t.Errorf("references %v, want %v", got, first)
	}
	if n := reg.count(http.MethodPut, "/manifests/latest"); n != 1 {
		t.Errorf("a moved tag: %d PUT requests of it, want 1", n)
	}
	if n := reg.count(http.MethodPut, "/blobs/") + reg.count(http.MethodPost, "/blobs/") + reg.count(http.MethodPatch, "/blobs/"); n != 0 {
		t.Errorf("a moved tag: %d blob uploads, want none", n)
	}
	desc, err := remote.Head(moved)
	noErr(t, err)
	if want := strings.TrimPrefix(first[0], reg.host+"/acme/"+results[0].Repository+"@"); desc.Digest.String() != want {
		t.Errorf("latest names %s, want %s", desc.Digest, want)
	}

	reg.reset()
	publish("v2")
	if n := reg.count(http.MethodPut, "/manifests/v2"); n != 2 {
		t.Errorf("a new tag: %d PUT requests of it, want 2", n)
	}
}

// TestRegistryPublisherNewImage publishes a one-platform image with an
// SBOM and a tag to an empty registry: its SBOM is not asked about (it
// refers to the image, which is not there), the tag is asked once (it
// could name the image already), and afterwards the image, its SBOM and
// both tags are there.
func TestRegistryPublisherNewImage(t *testing.T) {
	ctx := context.Background()
	reg := newBuildRegistry(t)
	cfg := configFixture(t, config.Image{Name: "api", Settings: config.Settings{Platforms: []string{"linux/amd64"}}})
	results, err := buildAll(t, cfg, "1.0.0", WithCompiler(&fakeCompiler{}), WithLayerCache("", 0), WithSBOMFormats())
	noErr(t, err)
	r := results[0]
	if r.Image == nil {
		t.Fatal("a one-platform build gave no image")
	}
	sbom := testSBOM(t, r.Image)
	r.Referrers = []Referrer{sbom}

	d, err := NewRegistryPublisher(reg.host+"/acme", testRegistryOptions()...).Publish(ctx, r, []string{"latest"})
	noErr(t, err)
	if n := reg.count(http.MethodHead, "/manifests/"+sbom.FallbackTag); n != 0 {
		t.Errorf("%d HEAD requests for the SBOM's fallback tag, want none", n)
	}
	if n := reg.count(http.MethodHead, "/manifests/latest"); n != 1 {
		t.Errorf("%d HEAD requests for latest, want 1", n)
	}
	for tag, want := range map[string]v1.Hash{"latest": sbom.Subject, sbom.FallbackTag: artifactDigest(t, sbom)} {
		desc, err := remote.Head(d.Context().Tag(tag))
		noErr(t, err)
		if desc.Digest != want {
			t.Errorf("%s names %s, want %s", tag, desc.Digest, want)
		}
	}
	if d.DigestStr() != sbom.Subject.String() {
		t.Errorf("published %s, want %s", d, sbom.Subject)
	}
}
