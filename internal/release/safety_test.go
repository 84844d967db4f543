package release_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/release"
)

// TestDirtyTreeRefused: a release from a work tree with uncommitted
// changes is refused, also while the tags are fetched at the same time,
// and nothing visible changes: no git tag, no image tag, no GitOps commit.
func TestDirtyTreeRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	if err := os.WriteFile(filepath.Join(c.Dir, "api", "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deployed := gitShow(t, w.deploy, "main")
	rep, err, log := w.run(t, c.Dir, release.Options{})
	if err == nil || !strings.Contains(err.Error(), "has uncommitted changes") || rep.Released {
		t.Fatalf("release of a dirty work tree: %v, released %t\n%s", err, rep.Released, log)
	}
	if tags := remoteTags(t, w.origin); len(tags) != 0 {
		t.Errorf("git tags on origin: %v", tags)
	}
	if got := w.tag(t, "api", "0.1.0"); got != "" {
		t.Errorf("api:0.1.0 names %s", got)
	}
	if got := gitShow(t, w.deploy, "main"); got != deployed {
		t.Errorf("GitOps commit pushed:\n%s", got)
	}
}

// TestShallowClones: a release from a shallow clone, tagless or with tags
// but shallow history, recognises the releases on the source remote: it
// neither calls a released image's next version a first release nor
// moves a version tag.
func TestShallowClones(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	full := w.clone(t)
	rep, err, log := w.run(t, full.Dir, release.Options{})
	if err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	first := map[string]string{"api": "0.1.0", "web": "0.1.0"}
	if diff := cmp.Diff(first, versions(rep)); diff != "" {
		t.Fatalf("first release (-want +got):\n%s", diff)
	}
	api010 := w.tag(t, "api", "0.1.0")
	// A commit after the release, so that a shallow clone of main holds no
	// tag.
	full.Commit("docs: readme", map[string]string{"README.md": "hi\n"})
	full.Git("push", "--quiet", "origin", "main")

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string
	}{
		{"depth 1, no tags", func(t *testing.T) string { return w.clone(t, "--depth", "1").Dir }},
		{"tags, shallow history", func(t *testing.T) string {
			c := w.clone(t, "--depth", "1")
			c.Git("fetch", "--quiet", "--depth", "1", "origin", "refs/tags/*:refs/tags/*")
			return c.Dir
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.setup(t)
			rep, err, log := w.run(t, dir, release.Options{})
			if err != nil {
				t.Fatalf("release: %v\n%s", err, log)
			}
			if len(rep.Images) != 0 || strings.Contains(log, "first release") {
				t.Errorf("released %v from a clone of a released commit:\n%s", versions(rep), log)
			}
			if got := w.tag(t, "api", "0.1.0"); got != api010 {
				t.Errorf("api:0.1.0 moved from %s to %s", api010, got)
			}
		})
	}

	t.Run("next release from a shallow clone", func(t *testing.T) {
		c := w.clone(t, "--depth", "1")
		c.Commit("fix(api): politer", map[string]string{"api/main.go": "package main\n\nvar version = \"dev\"\n\nfunc main() { println(\"hi\", version) }\n"})
		rep, err, log := w.run(t, c.Dir, release.Options{})
		if err != nil {
			t.Fatalf("release: %v\n%s", err, log)
		}
		if diff := cmp.Diff(map[string]string{"api": "0.1.1"}, versions(rep)); diff != "" {
			t.Errorf("versions (-want +got):\n%s\n%s", diff, log)
		}
		if got := w.tag(t, "api", "0.1.0"); got != api010 {
			t.Errorf("api:0.1.0 moved from %s to %s", api010, got)
		}
	})
}

// editAPI returns a new api/main.go printing s.
func editAPI(s string) map[string]string {
	return map[string]string{"api/main.go": "package main\n\nvar version = \"dev\"\n\nfunc main() { println(\"" + s + "\", version) }\n"}
}

// TestVersionTagPublishedOnce: a version tag that exists with another
// digest is an error, never overwritten.
func TestVersionTagPublishedOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	if _, err, log := w.run(t, c.Dir, release.Options{Images: []string{"api"}}); err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	squatter := w.putRandom(t, "api", "0.1.1")
	latest := w.tag(t, "api", "latest")
	c.Commit("fix(api): one", editAPI("one"))
	rep, err, log := w.run(t, c.Dir, release.Options{Images: []string{"api"}})
	if err == nil || !strings.Contains(err.Error(), "already names "+squatter) {
		t.Fatalf("release over a taken version tag: %v, want an error naming %s\n%s", err, squatter, log)
	}
	if got := w.tag(t, "api", "0.1.1"); got != squatter {
		t.Errorf("api:0.1.1 moved from %s to %s", squatter, got)
	}
	if rep.Released || rep.Images[0].Tagged {
		t.Errorf("report says released %v, tagged %v", rep.Released, rep.Images[0].Tagged)
	}
	_ = latest
}

// TestVersionTagTakenDuringBuild: a version tag put by someone else while
// the release builds (after its lookup of the tag, before its claim) is
// not overwritten: an answer older than a build is asked again.
func TestVersionTagTakenDuringBuild(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	var started atomic.Bool
	var squatter atomic.Value // string
	hook := func(req *http.Request) {
		// The first blob upload of api: its build is done, its push begins
		// (putRandom's own uploads come back here and pass).
		if req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, "/v2/acme/api/blobs/uploads") && started.CompareAndSwap(false, true) {
			squatter.Store(w.putRandom(t, "api", "0.1.0"))
		}
	}
	w.hook.Store(&hook)
	rep, err, log := w.run(t, c.Dir, release.Options{Images: []string{"api"}})
	w.hook.Store(nil)
	squatted, _ := squatter.Load().(string)
	if squatted == "" {
		t.Fatalf("no push of api seen:\n%s", log)
	}
	if err == nil || !strings.Contains(err.Error(), "already names "+squatted) {
		t.Fatalf("release over a version tag taken during its build: %v, want an error naming %s\n%s", err, squatted, log)
	}
	if got := w.tag(t, "api", "0.1.0"); got != squatted {
		t.Errorf("api:0.1.0 moved from %s to %s", squatted, got)
	}
	// Refused before any tag moved: latest does not name an image that
	// failed to be released.
	if got := w.tag(t, "api", "latest"); got != "" {
		t.Errorf("api:latest moved to %s by a release refused over its version tag", got)
	}
	if rep.Released {
		t.Errorf("report says released")
	}
}

// TestTagMovesFail: a release whose tag PUTs fail leaves its versions
// claimed; a later commit takes the next version, a re-run of the failed
// commit completes it without rebuilding and without taking the floating
// tags or the deployment back, and no version tag ever names two digests.
func TestTagMovesFail(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	if _, err, log := w.run(t, c.Dir, release.Options{}); err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	c.Commit("fix(api): one", editAPI("one"))
	c.Git("push", "--quiet", "origin", "main")
	failed := c.Git("rev-parse", "HEAD")

	w.failTags.Store(true)
	rep, err, log := w.run(t, c.Dir, release.Options{})
	w.failTags.Store(false)
	if err == nil {
		t.Fatalf("release with failing tag PUTs succeeded:\n%s", log)
	}
	claimed := rep.Images[0].Digest
	if got := w.tag(t, "api", "0.1.1"); got != "" {
		t.Errorf("api:0.1.1 names %s after failed tag PUTs", got)
	}
	if diff := cmp.Diff([]string{"api/v0.1.1"}, rep.GitTags); diff != "" || remoteTags(t, w.origin)["api/v0.1.1"] != failed {
		t.Errorf("claim api/v0.1.1 not reported (%s) or not on origin: %v", diff, remoteTags(t, w.origin))
	}
	var sum strings.Builder
	rep.WriteSummary(&sum)
	if !strings.Contains(sum.String(), "git tags api/v0.1.1 claimed") || !strings.Contains(sum.String(), "no GitOps commit") {
		t.Errorf("summary does not say what happened:\n%s", sum.String())
	}

	// Re-run at the same commit: completes 0.1.1 with the claimed digest.
	rep, err, log = w.run(t, c.Dir, release.Options{})
	if err != nil {
		t.Fatalf("re-run: %v\n%s", err, log)
	}
	if len(rep.Images) != 1 || !rep.Images[0].Reused || rep.Images[0].Digest != claimed || !rep.Released {
		t.Fatalf("re-run did not complete the claimed release: %+v\n%s", rep.Images, log)
	}
	if got := w.tag(t, "api", "0.1.1"); got != claimed {
		t.Errorf("api:0.1.1 names %s, claimed %s", got, claimed)
	}
	// Once more: nothing left to do.
	rep, err, log = w.run(t, c.Dir, release.Options{})
	if err != nil || len(rep.Images) != 0 {
		t.Fatalf("third run: %v, images %v\n%s", err, versions(rep), log)
	}

	// Fail again, then release a later commit before re-running.
	c.Commit("fix(api): two", editAPI("two"))
	c.Git("push", "--quiet", "origin", "main")
	w.failTags.Store(true)
	rep, err, log = w.run(t, c.Dir, release.Options{})
	w.failTags.Store(false)
	if err == nil || versions(rep)["api"] != "0.1.2" {
		t.Fatalf("second failing release: %v %v\n%s", err, versions(rep), log)
	}
	claimed012 := rep.Images[0].Digest
	unfinished := c.Git("rev-parse", "HEAD")
	c.Commit("fix(api): three", editAPI("three"))
	rep, err, log = w.run(t, c.Dir, release.Options{})
	if err != nil {
		t.Fatalf("later commit: %v\n%s", err, log)
	}
	if diff := cmp.Diff(map[string]string{"api": "0.1.3"}, versions(rep)); diff != "" {
		t.Errorf("later commit reused a claimed version (-want +got):\n%s\n%s", diff, log)
	}
	latest := w.tag(t, "api", "latest")
	deployed := gitShow(t, w.deploy, "main:deployment.yaml")

	// Now complete the unfinished 0.1.2: version tag only.
	c.Git("checkout", "--quiet", unfinished)
	rep, err, log = w.run(t, c.Dir, release.Options{})
	if err != nil {
		t.Fatalf("completing 0.1.2: %v\n%s", err, log)
	}
	if got := w.tag(t, "api", "0.1.2"); got != claimed012 {
		t.Errorf("api:0.1.2 names %s, claimed %s", got, claimed012)
	}
	if got := w.tag(t, "api", "latest"); got != latest {
		t.Errorf("completing 0.1.2 moved latest back from %s to %s", latest, got)
	}
	if got := gitShow(t, w.deploy, "main:deployment.yaml"); got != deployed {
		t.Errorf("completing 0.1.2 took the deployment back:\n%s", got)
	}
}

// TestGitOpsPushedAfterEveryTag: the GitOps commit is made while the
// image tags are put, and pushed only once every tag is in place: when
// the tag PUTs of one image fail (held until the commit is made, then
// refused), the deployment repository is left as it was and the report
// says so; a re-run completes the release, GitOps commit included.
func TestGitOpsPushedAfterEveryTag(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	deployed := gitShow(t, w.deploy, "main")

	made := &lineWatch{want: "gitops: commit ", seen: make(chan struct{})}
	var held atomic.Bool
	refuse := func(req *http.Request) bool {
		repo, ref, ok := strings.Cut(strings.TrimPrefix(req.URL.Path, "/v2/"), "/manifests/")
		if req.Method != http.MethodPut || !ok || repo != "acme/web" || strings.HasPrefix(ref, "sha256") {
			return false
		}
		select {
		case <-made.seen:
		case <-time.After(30 * time.Second):
			held.Store(true)
		}
		return true
	}
	w.refuse.Store(&refuse)
	rep, err, log := w.run(t, c.Dir, release.Options{Log: made})
	w.refuse.Store(nil)
	if err == nil || !strings.Contains(err.Error(), "release of web") {
		t.Fatalf("release with web's tag PUTs refused: %v, want web's failure\n%s", err, log)
	}
	if held.Load() {
		t.Errorf("the GitOps commit was not made while the tags were put (web's tag PUT waited 30 s for it)\n%s", log)
	}
	if got := gitShow(t, w.deploy, "main"); got != deployed {
		t.Errorf("the GitOps commit was pushed although web's tags failed:\n%s", got)
	}
	var sum strings.Builder
	rep.WriteSummary(&sum)
	if rep.GitOps != nil || !strings.Contains(sum.String(), "no GitOps commit") {
		t.Errorf("report says a GitOps commit (%+v):\n%s", rep.GitOps, sum.String())
	}
	if got := w.tag(t, "api", "0.1.0"); got == "" || got != rep.Images[0].Digest {
		t.Errorf("api:0.1.0 names %q, want %s: the other image's tags are put", got, rep.Images[0].Digest)
	}

	rep, err, log = w.run(t, c.Dir, release.Options{})
	if err != nil || !rep.Released || rep.GitOps == nil || !rep.GitOps.Pushed {
		t.Fatalf("re-run: %v, released %t, gitops %+v\n%s", err, rep.Released, rep.GitOps, log)
	}
	w.check(t)
}

// lineWatch is a progress log that closes seen once a line holding want
// is written.
type lineWatch struct {
	want string
	seen chan struct{}
	once sync.Once
}

func (l *lineWatch) Write(p []byte) (int, error) {
	if strings.Contains(string(p), l.want) {
		l.once.Do(func() { close(l.seen) })
	}
	return len(p), nil
}

// TestRacingClones: two clones, one commit apart, release at once, a few
// rounds: each change is released once, no version twice, and the world
// agrees with the contract after each round.
func TestRacingClones(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	base := w.clone(t)
	if _, err, log := w.run(t, base.Dir, release.Options{}); err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	for round := range 2 {
		base.Git("pull", "--quiet", "--ff-only", "origin", "main")
		x := base.Commit(fmt.Sprintf("fix(api): round %d", round), editAPI(fmt.Sprintf("a%d", round)))
		base.Commit(fmt.Sprintf("fix: round %d", round), map[string]string{
			"api/main.go": editAPI(fmt.Sprintf("b%d", round))["api/main.go"],
			"web/main.go": editAPI(fmt.Sprintf("w%d", round))["api/main.go"],
		})
		base.Git("push", "--quiet", "origin", "main")
		a, b := w.clone(t), w.clone(t)
		a.Git("checkout", "--quiet", x)
		var wg sync.WaitGroup
		reps := make([]*release.Report, 2)
		errs := make([]error, 2)
		logs := make([]string, 2)
		for i, dir := range []string{a.Dir, b.Dir} {
			wg.Go(func() { reps[i], errs[i], logs[i] = w.run(t, dir, release.Options{}) })
		}
		wg.Wait()
		for i := range reps {
			if errs[i] != nil {
				t.Fatalf("round %d, clone %d: %v\n%s", round, i, errs[i], logs[i])
			}
		}
		va, vb := versions(reps[0]), versions(reps[1])
		if va["api"] != "" && va["api"] == vb["api"] {
			t.Errorf("round %d: both released api %s\nA:\n%s\nB:\n%s", round, va["api"], logs[0], logs[1])
		}
		if vb["api"] == "" || vb["web"] == "" {
			t.Errorf("round %d: the later clone released %v, want api and web\n%s", round, vb, logs[1])
		}
		w.check(t)
	}
}

// TestRacingOneClone: two releases at once in one clone both succeed,
// release each version once and leave every tag in place.
func TestRacingOneClone(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	if _, err, log := w.run(t, c.Dir, release.Options{}); err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	for round := range 2 {
		c.Commit(fmt.Sprintf("fix(api): one clone %d", round), editAPI(fmt.Sprintf("c%d", round)))
		var wg sync.WaitGroup
		reps := make([]*release.Report, 2)
		errs := make([]error, 2)
		logs := make([]string, 2)
		for i := range 2 {
			wg.Go(func() { reps[i], errs[i], logs[i] = w.run(t, c.Dir, release.Options{}) })
		}
		wg.Wait()
		for i := range reps {
			if errs[i] != nil {
				t.Fatalf("round %d, run %d: %v\n%s", round, i, errs[i], logs[i])
			}
		}
		want := fmt.Sprintf("0.1.%d", round+1)
		for tag, commit := range remoteTags(t, w.origin) {
			if local := c.Git("rev-parse", "refs/tags/"+tag+"^{commit}"); local != commit {
				t.Errorf("round %d: local tag %s names %s, origin %s", round, tag, local, commit)
			}
		}
		if _, ok := remoteTags(t, w.origin)["api/v"+want]; !ok {
			t.Errorf("round %d: api/v%s not on origin\n%s\n%s", round, want, logs[0], logs[1])
		}
		w.check(t)
	}
}

// editWeb returns a new web/main.go printing s.
func editWeb(s string) map[string]string {
	return map[string]string{"web/main.go": editAPI(s)["api/main.go"]}
}

// TestLaterCommitCompletesClaims: a release whose tag PUTs failed leaves
// api and web claimed; the next release comes from a later commit that
// changes only api. It completes both claims (version tags put with the
// claimed digests, web deployed and tagged latest at its claimed
// version, since nothing newer exists), releases api's next version, and
// says so; a claim whose digest is gone from the registry is a clear
// error.
func TestLaterCommitCompletesClaims(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	if _, err, log := w.run(t, c.Dir, release.Options{}); err != nil {
		t.Fatalf("first release: %v\n%s", err, log)
	}
	c.Commit("fix: both", map[string]string{"api/main.go": editAPI("one")["api/main.go"], "web/main.go": editWeb("one")["web/main.go"]})
	c.Git("push", "--quiet", "origin", "main")
	w.failTags.Store(true)
	rep, err, log := w.run(t, c.Dir, release.Options{})
	w.failTags.Store(false)
	if err == nil {
		t.Fatalf("release with failing tag PUTs succeeded:\n%s", log)
	}
	claimed := map[string]string{}
	for _, img := range rep.Images {
		claimed[img.Image+" "+img.Version] = img.Digest
	}
	if diff := cmp.Diff([]string{"api/v0.1.1", "web/v0.1.1"}, rep.GitTags); diff != "" {
		t.Fatalf("claims (-want +got):\n%s\n%s", diff, log)
	}

	c.Commit("fix(api): two", editAPI("two"))
	c.Git("push", "--quiet", "origin", "main")
	rep, err, log = w.run(t, c.Dir, release.Options{})
	if err != nil {
		t.Fatalf("release of the later commit: %v\n%s", err, log)
	}
	type row struct {
		Image, Version string
		Completed      bool
		Digest         string
	}
	var got []row
	for _, img := range rep.Images {
		d := img.Digest
		if !img.Completed {
			d = "(built)"
		}
		got = append(got, row{img.Image, img.Version, img.Completed, d})
	}
	want := []row{
		{"api", "0.1.1", true, claimed["api 0.1.1"]},
		{"api", "0.1.2", false, "(built)"},
		{"web", "0.1.1", true, claimed["web 0.1.1"]},
	}
	if diff := cmp.Diff(want, got); diff != "" || !rep.Released {
		t.Errorf("report of the later commit, released %t (-want +got):\n%s\n%s", rep.Released, diff, log)
	}
	if diff := cmp.Diff([]string{"api/v0.1.2"}, rep.GitTags); diff != "" {
		t.Errorf("git tags reported (-want +got):\n%s", diff)
	}
	var sum strings.Builder
	rep.WriteSummary(&sum)
	if !strings.Contains(sum.String(), "completing web/v0.1.1") {
		t.Errorf("summary does not say web/v0.1.1 was completed:\n%s", sum.String())
	}
	w.check(t) // every claim in the registry with its digest; latest and the deployment on the newest

	// A claim whose digest is not in the registry cannot be completed.
	c.Commit("fix(web): three", editWeb("three"))
	c.Git("push", "--quiet", "origin", "main")
	w.failTags.Store(true)
	rep, err, log = w.run(t, c.Dir, release.Options{Images: []string{"web"}})
	w.failTags.Store(false)
	if err == nil || len(rep.Images) != 1 {
		t.Fatalf("release of web with failing tag PUTs: %v %v\n%s", err, versions(rep), log)
	}
	gone := rep.Images[0].Digest
	ref, err := name.NewDigest(w.host + "/acme/web@" + gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Delete(ref); err != nil {
		t.Fatal(err)
	}
	c.Commit("docs: readme", map[string]string{"README.md": "hi\n"})
	_, err, log = w.run(t, c.Dir, release.Options{Images: []string{"web"}})
	if err == nil || !strings.Contains(err.Error(), "web/v0.1.2, claimed at") || !strings.Contains(err.Error(), "not in the registry") {
		t.Errorf("completing a claim whose digest is gone: %v, want an error saying so\n%s", err, log)
	}
}
