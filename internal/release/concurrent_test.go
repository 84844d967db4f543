package release_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/planner"
	"github.com/gobake/gobake/internal/release"
)

// round holds the first want requests that match until all of them have
// arrived: it sees whether they were made at once. A request that waited
// longer than patience without the others marks the round missed and goes
// on (requests made one after another would otherwise wait forever).
type round struct {
	match    func(*http.Request) bool
	want     int
	mu       sync.Mutex
	seen     int
	full     chan struct{}
	missed   bool
	patience time.Duration
}

func newRound(want int, match func(*http.Request) bool) *round {
	return &round{match: match, want: want, full: make(chan struct{}), patience: 5 * time.Second}
}

// see is the registry hook's part of the round.
func (r *round) see(req *http.Request) {
	if !r.match(req) {
		return
	}
	r.mu.Lock()
	r.seen++
	n := r.seen
	if n == r.want {
		close(r.full)
	}
	r.mu.Unlock()
	if n > r.want {
		return
	}
	select {
	case <-r.full:
	case <-time.After(r.patience):
		r.mu.Lock()
		r.missed = true
		r.mu.Unlock()
	}
}

// TestCompletionRequests: completing claimed releases, the registry
// checks of adopt (is each claimed digest there) and of settle (do the
// version tags name it) are made for several images at once, not one
// after another, and the release's requests share their connections: the
// registry is pinged (GET /v2/) at most twice per repository (to pull and
// to push), not once per request. The release still completes every
// claim.
func TestCompletionRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	w.failTags.Store(true)
	if rep, err, log := w.run(t, c.Dir, release.Options{}); err == nil || len(rep.GitTags) != 2 {
		t.Fatalf("release with failing tag PUTs: %v, claims %v: want both images claimed, then a failure\n%s", err, rep.GitTags, log)
	}
	w.failTags.Store(false)

	head := func(manifest func(ref string) bool) func(*http.Request) bool {
		return func(req *http.Request) bool {
			_, ref, ok := strings.Cut(req.URL.Path, "/manifests/")
			return req.Method == http.MethodHead && ok && manifest(ref)
		}
	}
	get := func(manifest func(ref string) bool) func(*http.Request) bool {
		return func(req *http.Request) bool {
			repo, ref, ok := strings.Cut(req.URL.Path, "/manifests/")
			return req.Method == http.MethodGet && ok && !strings.HasPrefix(repo, "/v2/bases/") && manifest(ref)
		}
	}
	// adopt: a GET by digest per claimed image; settle: a HEAD per version tag.
	adopt := newRound(2, get(func(ref string) bool { return strings.HasPrefix(ref, "sha256:") }))
	settle := newRound(2, head(func(ref string) bool { return ref == "0.1.0" }))
	var mu sync.Mutex
	pings, requests := 0, 0
	repos := map[string]bool{}
	hook := func(req *http.Request) {
		mu.Lock()
		if req.URL.Path == "/v2/" {
			pings++
		} else if repo, _, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/manifests/"); ok {
			repos[repo] = true
			requests++
		} else if repo, _, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/blobs/"); ok {
			repos[repo] = true
			requests++
		} else {
			requests++
		}
		mu.Unlock()
		adopt.see(req)
		settle.see(req)
	}
	w.hook.Store(&hook)
	rep, err, log := w.run(t, c.Dir, release.Options{})
	w.hook.Store(nil)
	if err != nil || !rep.Released || len(rep.Images) != 2 {
		t.Fatalf("re-run: %v, released %t, images %v\n%s", err, rep.Released, versions(rep), log)
	}
	if adopt.missed || settle.missed {
		t.Errorf("registry checks one image at a time: adopt %t, settle %t (want both images' checks at once)", adopt.missed, settle.missed)
	}
	if pings > 2*len(repos) {
		t.Errorf("%d pings for %d requests to %d repositories %v: want at most 2 per repository", pings, requests, len(repos), repos)
	}
	w.check(t)
}

// manifestRequests counts the manifest requests a release makes to each
// image's repository, by kind ("GET digest", "HEAD tag", "PUT tag", …):
// install it as the world's hook.
type manifestRequests struct {
	mu    sync.Mutex
	count map[string]map[string]int // repository → kind → requests
}

func (m *manifestRequests) see(req *http.Request) {
	repo, ref, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/manifests/")
	if !ok || !strings.HasPrefix(repo, "acme/") || repo == "acme/"+release.ShardRepository {
		return
	}
	kind := "tag"
	if strings.HasPrefix(ref, "sha256:") {
		kind = "digest"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.count == nil {
		m.count = map[string]map[string]int{}
	}
	if m.count[repo] == nil {
		m.count[repo] = map[string]int{}
	}
	m.count[repo][req.Method+" "+kind]++
}

// TestTagRequests pins the registry requests per image of a release's
// tag steps, so that they cannot grow back: each manifest is read once by
// digest (the check that it is there, its bytes checked against the
// digest, and the body of every tag PUT), each version tag is looked up
// once (by reuse before the claim, or by settle when completing one), and
// each tag is one PUT. Finalize of a sharded release: the version tag's
// GET (reuse, absent), the manifest's GET, the PUTs of latest and 0.1.0;
// 7 requests before (a HEAD by digest, a GET for each tag PUT, a HEAD of
// the version tag). Completing a claimed release: the manifest's GET
// (adopt), the version tag's HEAD (settle), the two PUTs, and the GET
// of the claimed version's tag by decide (which takes it for the last
// release, to compare inputs with); 9 before.
func TestTagRequests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, w *world) release.Options
		want  map[string]int
	}{
		{"finalize", func(t *testing.T, w *world) release.Options {
			for k := 1; k <= 2; k++ {
				if _, err, log := w.run(t, w.clone(t).Dir, release.Options{Shard: planner.Shard{K: k, N: 2}}); err != nil {
					t.Fatalf("shard %d/2: %v\n%s", k, err, log)
				}
			}
			return release.Options{Finalize: true}
		}, map[string]int{"GET tag": 1, "GET digest": 1, "PUT tag": 2}},
		{"completion", func(t *testing.T, w *world) release.Options {
			w.failTags.Store(true)
			defer w.failTags.Store(false)
			if rep, err, log := w.run(t, w.clone(t).Dir, release.Options{}); err == nil || len(rep.GitTags) != 2 {
				t.Fatalf("release with failing tag PUTs: %v, claims %v: want both images claimed, then a failure\n%s", err, rep.GitTags, log)
			}
			return release.Options{}
		}, map[string]int{"GET tag": 1, "GET digest": 1, "HEAD tag": 1, "PUT tag": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			opts := tc.setup(t, w)
			var m manifestRequests
			hook := m.see
			w.hook.Store(&hook)
			rep, err, log := w.run(t, w.clone(t).Dir, opts)
			w.hook.Store(nil)
			if err != nil || !rep.Released || len(rep.Images) != 2 {
				t.Fatalf("release: %v, released %t, images %v\n%s", err, rep.Released, versions(rep), log)
			}
			want := map[string]map[string]int{"acme/api": tc.want, "acme/web": tc.want}
			if diff := cmp.Diff(want, m.count); diff != "" {
				t.Errorf("manifest requests per image (-want +got):\n%s", diff)
			}
			w.check(t)
		})
	}
}

// TestFinalizeReadsAhead: finalize reads the manifests the shards pushed
// by digest while it decides the versions, not after: the version tags'
// GETs of the decision are held until a GET by digest arrives, which
// without the read ahead would only come after them. Each manifest is
// still read once (TestTagRequests).
func TestFinalizeReadsAhead(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for k := 1; k <= 2; k++ {
		if _, err, log := w.run(t, w.clone(t).Dir, release.Options{Shard: planner.Shard{K: k, N: 2}}); err != nil {
			t.Fatalf("shard %d/2: %v\n%s", k, err, log)
		}
	}
	byDigest := make(chan struct{})
	var once sync.Once
	var missed atomic.Bool
	hook := func(req *http.Request) {
		repo, ref, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/manifests/")
		if !ok || req.Method != http.MethodGet || (repo != "acme/api" && repo != "acme/web") {
			return
		}
		if strings.HasPrefix(ref, "sha256:") {
			once.Do(func() { close(byDigest) })
			return
		}
		select {
		case <-byDigest:
		case <-time.After(10 * time.Second):
			missed.Store(true)
		}
	}
	w.hook.Store(&hook)
	rep, err, log := w.run(t, w.clone(t).Dir, release.Options{Finalize: true})
	w.hook.Store(nil)
	if err != nil || !rep.Released || len(rep.Images) != 2 {
		t.Fatalf("finalize: %v, released %t, images %v\n%s", err, rep.Released, versions(rep), log)
	}
	if missed.Load() {
		t.Errorf("finalize read no manifest by digest while it decided (a version tag's GET waited 10 s for one)")
	}
	w.check(t)
}
