package layering

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// headDigest returns the digest ref points at in the registry, or an error.
func headDigest(ref string) (v1.Hash, error) {
	r, err := imageref.Parse(ref, false)
	if err != nil {
		return v1.Hash{}, err
	}
	desc, err := remote.Head(r)
	if err != nil {
		return v1.Hash{}, err
	}
	return desc.Digest, nil
}

func TestRegistryPublisherPublish(t *testing.T) {
	for _, tc := range []struct {
		name         string
		referrersAPI bool
		index        bool
	}{
		{name: "image, referrers API", referrersAPI: true},
		{name: "image, fallback tag", referrersAPI: false},
		{name: "index, referrers API", referrersAPI: true, index: true},
		{name: "index, fallback tag", referrersAPI: false, index: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			host, rl := testRegistry(t, tc.referrersAPI, nil)
			r := testImageResult(t, "api")
			if tc.index {
				r = testIndexResult(t, "api")
			}
			want := digestOf(t, r)
			p := NewRegistryPublisher(host+"/acme/", testRegistryOptions()...)

			got, err := p.Publish(ctx, r, []string{"latest", "v1.2.3"})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			rl.mu.Lock()
			uas := rl.uas
			rl.mu.Unlock()
			for _, ua := range uas {
				if !strings.Contains(ua, UserAgent) {
					t.Errorf("User-Agent %q does not name %s", ua, UserAgent)
					break
				}
			}
			if diff := cmp.Diff(host+"/acme/api@"+want.String(), got.String()); diff != "" {
				t.Errorf("returned reference (-want +got):\n%s", diff)
			}
			for _, tag := range []string{"latest", "v1.2.3"} {
				d, err := headDigest(host + "/acme/api:" + tag)
				if err != nil {
					t.Fatalf("tag %s: %v", tag, err)
				}
				if d != want {
					t.Errorf("tag %s = %s, want %s", tag, d, want)
				}
			}
			for _, rf := range r.Referrers {
				ad := artifactDigest(t, rf)
				d, err := headDigest(host + "/acme/api:" + rf.FallbackTag)
				if err != nil || d != ad {
					t.Errorf("tag %s = %s, %v; want %s", rf.FallbackTag, d, err, ad)
				}
				subj, err := name.NewDigest(host+"/acme/api@"+rf.Subject.String(), name.Insecure)
				if err != nil {
					t.Fatal(err)
				}
				idx, err := remote.Referrers(subj)
				if err != nil {
					t.Fatalf("Referrers(%s): %v", subj, err)
				}
				im, err := idx.IndexManifest()
				if err != nil {
					t.Fatal(err)
				}
				// ggcr's test registry derives artifactType from the config
				// media type, so only the digest is compared.
				var found []v1.Hash
				for _, m := range im.Manifests {
					found = append(found, m.Digest)
				}
				if diff := cmp.Diff([]v1.Hash{ad}, found); diff != "" {
					t.Errorf("referrers of %s (-want +got):\n%s", rf.Subject, diff)
				}
			}

			// A second publish uploads no blob.
			rl.reset()
			if _, err := p.Publish(ctx, r, []string{"latest"}); err != nil {
				t.Fatalf("second Publish: %v", err)
			}
			if n := rl.count(http.MethodPost, "/blobs/uploads/"); n != 0 {
				t.Errorf("second publish started %d blob uploads, want 0", n)
			}
		})
	}
}

func TestRegistryPublisherSkipsExistingBlobs(t *testing.T) {
	ctx := context.Background()
	host, rl := testRegistry(t, true, nil)
	p := NewRegistryPublisher(host+"/acme", testRegistryOptions()...)
	first := testImageResult(t, "api")
	if _, err := p.Publish(ctx, first, nil); err != nil {
		t.Fatal(err)
	}
	// The same image with one more layer on top shares all other blobs.
	second := testImageResult(t, "api")
	layers, err := first.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	extra, err := second.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(first.Image, extra[0])
	if err != nil {
		t.Fatal(err)
	}
	second = Result{Name: "api", Repository: "api", Image: img}
	rl.reset()
	if _, err := p.Publish(ctx, second, []string{"latest"}); err != nil {
		t.Fatal(err)
	}
	// One new layer and one new config.
	if got, want := rl.count(http.MethodPost, "/blobs/uploads/"), 2; got != want {
		t.Errorf("blob uploads = %d, want %d (base has %d layers)", got, want, len(layers))
	}
}

func TestRegistryPublisherFailureMovesNoTag(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(r Result, req *http.Request) bool
	}{{
		name: "top manifest",
		fail: func(r Result, req *http.Request) bool {
			return req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/manifests/"+digestString(r))
		},
	}, {
		name: "platform manifest",
		fail: func(r Result, req *http.Request) bool {
			return req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/manifests/sha256:") &&
				!strings.HasSuffix(req.URL.Path, digestString(r))
		},
	}, {
		name: "blob upload",
		fail: func(r Result, req *http.Request) bool {
			return req.Method == http.MethodPatch || (req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/blobs/"))
		},
	}, {
		name: "referrer",
		fail: func(r Result, req *http.Request) bool {
			for _, rf := range r.Referrers {
				d, _ := rf.Artifact.Digest()
				if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/manifests/"+d.String()) {
					return true
				}
			}
			return false
		},
	}, {
		name: "sbom tag",
		fail: func(r Result, req *http.Request) bool {
			return req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, ".sbom")
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var next Result
			var armed atomic.Bool
			host, _ := testRegistry(t, true, func(w http.ResponseWriter, req *http.Request) bool {
				if armed.Load() && tc.fail(next, req) {
					http.Error(w, `{"errors":[{"code":"DENIED","message":"injected failure"}]}`, http.StatusForbidden)
					return true
				}
				return false
			})
			p := NewRegistryPublisher(host+"/acme", testRegistryOptions()...)
			old := testImageResult(t, "api")
			if _, err := p.Publish(ctx, old, []string{"latest"}); err != nil {
				t.Fatal(err)
			}

			next = testIndexResult(t, "api")
			armed.Store(true)
			_, err := p.Publish(ctx, next, []string{"latest", "v2"})
			if err == nil {
				t.Fatal("Publish succeeded despite the injected failure")
			}
			t.Logf("error: %v", err)
			wantPrefix := "push api (" + host + "/acme/api): "
			if !strings.HasPrefix(err.Error(), wantPrefix) {
				t.Errorf("error %q does not start with %q", err, wantPrefix)
			}
			armed.Store(false)
			if d, err := headDigest(host + "/acme/api:latest"); err != nil || d != digestOf(t, old) {
				t.Errorf("latest = %s, %v; want it unmoved at %s", d, err, digestOf(t, old))
			}
			var terr *transport.Error
			if _, err := headDigest(host + "/acme/api:v2"); !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
				t.Errorf("v2: got %v, want 404", err)
			}
		})
	}
}

// digestString is the digest of r's image or index, as a string.
func digestString(r Result) string {
	_, d, err := topManifest(r)
	if err != nil {
		return "unknown"
	}
	return d.String()
}

func TestRegistryPublisherUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more: connection refused

	p := NewRegistryPublisher(addr+"/acme", WithRegistryKeychain(authn.NewMultiKeychain()))
	start := time.Now()
	_, err = p.Publish(context.Background(), testImageResult(t, "api"), []string{"latest"})
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Publish to a closed port succeeded")
	}
	msg := err.Error()
	t.Logf("error after %s: %s", elapsed, msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, want := range []string{"push api (" + addr + "/acme/api): ", "registry " + addr + " is unreachable", "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if elapsed > 5*time.Second {
		t.Errorf("Publish took %s to give up, want a few seconds at most", elapsed)
	}
}

func TestRegistryPublisherInvalidTag(t *testing.T) {
	host, rl := testRegistry(t, true, nil)
	p := NewRegistryPublisher(host+"/acme", testRegistryOptions()...)
	_, err := p.Publish(context.Background(), testImageResult(t, "api"), []string{"bad tag!"})
	if err == nil || !strings.Contains(err.Error(), `tag "bad tag!"`) {
		t.Errorf("Publish with an invalid tag: got %v", err)
	}
	if n := rl.count(http.MethodPut, "/"); n != 0 {
		t.Errorf("invalid tag still led to %d PUTs", n)
	}
}
