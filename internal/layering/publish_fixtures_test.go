package layering

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// fixedTime is the creation time of test artifacts.
var fixedTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fastBackoff keeps retries in tests short.
var fastBackoff = remote.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: 2}

// requestLog records the requests a test registry served.
type requestLog struct {
	mu   sync.Mutex
	reqs []string // "METHOD path"
	uas  []string
}

// add records r.
func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r.Method+" "+r.URL.Path)
	l.uas = append(l.uas, r.UserAgent())
}

// count returns how many recorded requests have method and a path
// containing part.
func (l *requestLog) count(method, part string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		m, p, _ := strings.Cut(r, " ")
		if m == method && strings.Contains(p, part) {
			n++
		}
	}
	return n
}

// reset forgets the recorded requests.
func (l *requestLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs, l.uas = nil, nil
}

// testRegistry starts ggcr's in-memory registry and returns its host:port
// and the log of its requests. fail, when set, may answer a request instead
// of the registry by returning true.
func testRegistry(t *testing.T, referrersAPI bool, fail func(w http.ResponseWriter, r *http.Request) bool) (string, *requestLog) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrersAPI))
	rl := &requestLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rl.add(r)
		if fail != nil && fail(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), rl
}

// testRegistryOptions are hermetic registry options for tests.
func testRegistryOptions() []RegistryOption {
	return []RegistryOption{
		WithRegistryKeychain(authn.NewMultiKeychain()),
		WithRegistryBackoff(fastBackoff),
	}
}

// testSBOM is a fake SBOM referrer of subject.
func testSBOM(t *testing.T, subject v1.Image) Referrer {
	t.Helper()
	desc, err := subjectDescriptor(subject)
	if err != nil {
		t.Fatal(err)
	}
	art, err := newArtifact([]byte(`{"spdxVersion":"SPDX-2.3","subject":"`+desc.Digest.String()+`"}`), SPDXMediaType, desc, fixedTime)
	if err != nil {
		t.Fatal(err)
	}
	return Referrer{Subject: desc.Digest, Artifact: art, FallbackTag: sbomFallbackTag(desc.Digest, SBOMSPDX, true)}
}

// testImageResult is a single-platform Result with one SBOM.
func testImageResult(t *testing.T, repo string) Result {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return Result{Name: repo, Repository: repo, Image: img, Referrers: []Referrer{testSBOM(t, img)}}
}

// testIndexResult is a linux/amd64 + linux/arm64 Result with an SBOM for
// each platform.
func testIndexResult(t *testing.T, repo string) Result {
	t.Helper()
	var adds []mutate.IndexAddendum
	var refs []Referrer
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
		refs = append(refs, testSBOM(t, img))
	}
	return Result{Name: repo, Repository: repo, Index: mutate.AppendManifests(empty.Index, adds...), Referrers: refs}
}

// digestOf returns the digest of a result's image or index.
func digestOf(t *testing.T, r Result) v1.Hash {
	t.Helper()
	_, d, err := topManifest(r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// artifactDigest returns the digest of a referrer's artifact.
func artifactDigest(t *testing.T, rf Referrer) v1.Hash {
	t.Helper()
	d, err := rf.Artifact.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}
