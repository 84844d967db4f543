package gitops

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

// runGit runs git in dir, failing the test on error.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(context.Background(), dir, nil, append([]string{"-c", "user.name=test", "-c", "user.email=test@example.com"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newRemote makes a bare repository whose main branch holds the fixtures
// under deploy paths, and returns its path.
func newRemote(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required by this test (apt-get install git)")
	}
	remote := filepath.Join(t.TempDir(), "deploy.git")
	runGit(t, t.TempDir(), "init", "--quiet", "--bare", "--initial-branch=main", remote)
	seed := t.TempDir()
	runGit(t, seed, "init", "--quiet", "--initial-branch=main")
	for dst, src := range map[string]string{
		"apps/prod/kustomization.yaml": "kustomization.yaml",
		"charts/api/values-prod.yaml":  "values.yaml",
		"clusters/prod/manifests.yaml": "manifests.yaml",
		"clusters/prod/separated.yaml": "separated.yaml",
		"clusters/prod/unrelated.yaml": "unrelated.yaml",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(seed, filepath.FromSlash(dst))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runGit(t, seed, "add", ".")
	runGit(t, seed, "commit", "--quiet", "-m", "seed")
	runGit(t, seed, "push", "--quiet", remote, "main")
	return remote
}

// show returns a file of a commit of the remote.
func show(t *testing.T, remote, rev, path string) string {
	t.Helper()
	return runGit(t, remote, "show", rev+":"+path) + "\n"
}

// testOptions writes api and worker to every target of the remote.
func testOptions(remote string) Options {
	return Options{
		Repo: remote,
		Pin:  config.PinTagDigest,
		Targets: []config.GitOpsTarget{
			{File: "apps/prod/kustomization.yaml"},
			{File: "charts/api/values-prod.yaml", Helm: map[string]config.HelmPaths{"api": {Repository: ".image.repository", Tag: ".image.tag"}}},
			{File: "clusters/prod/*.yaml"},
		},
		Updates: testUpdates(),
		Backoff: 10 * time.Millisecond,
	}
}

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	remote := newRemote(t)
	before := runGit(t, remote, "rev-parse", "main")
	res, err := Apply(ctx, testOptions(remote))
	if err != nil {
		t.Fatal(err)
	}
	head := runGit(t, remote, "rev-parse", "main")
	if !res.Pushed || res.Commit != head || head == before {
		t.Fatalf("result %+v, remote main %s (was %s)", res, head, before)
	}
	if parent := runGit(t, remote, "rev-parse", "main^"); parent != before {
		t.Errorf("parent of the release commit = %s, want %s", parent, before)
	}
	if diff := cmp.Diff(golden(t, "kustomize_tag+digest.yaml"), show(t, remote, "main", "apps/prod/kustomization.yaml")); diff != "" {
		t.Errorf("kustomization differs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(golden(t, "separated_tag+digest.yaml"), show(t, remote, "main", "clusters/prod/separated.yaml")); diff != "" {
		t.Errorf("separated.yaml differs (-want +got):\n%s", diff)
	}
	msg := runGit(t, remote, "log", "-1", "--format=%B", "main")
	want := "release: api 1.1.0, worker 1.1.0\n\n" +
		"api: ghcr.io/acme/api:1.0.0, ghcr.io/acme/api:1.0.0@" + digest0 + ", ghcr.io/acme/api@" + digest0 + " → ghcr.io/acme/api:1.1.0@" + digestA + "\n" +
		"worker: ghcr.io/acme/worker:1.0.0@" + digest1 + ", registry.old.example/worker:0.9.0, 0.9.0 → ghcr.io/acme/worker:1.1.0@" + digestB + "\n\n" +
		"Gobake-Release: true"
	if diff := cmp.Diff(want, msg); diff != "" {
		t.Errorf("commit message differs (-want +got):\n%s", diff)
	}
	files := runGit(t, remote, "diff", "--name-only", before, "main")
	if diff := cmp.Diff("apps/prod/kustomization.yaml\ncharts/api/values-prod.yaml\nclusters/prod/manifests.yaml\nclusters/prod/separated.yaml", files); diff != "" {
		t.Errorf("changed files differ (-want +got):\n%s", diff)
	}

	t.Run("again changes nothing", func(t *testing.T) {
		res, err := Apply(ctx, testOptions(remote))
		if err != nil {
			t.Fatal(err)
		}
		if res.Pushed || runGit(t, remote, "rev-parse", "main") != head {
			t.Errorf("pushed again: %+v", res)
		}
	})
}

// TestPrepare: Prepare commits without touching the remote; Push pushes
// that commit, making another round when a push landed in between; a
// Pending closed without Push leaves the remote as it was.
func TestPrepare(t *testing.T) {
	ctx := context.Background()
	remote := newRemote(t)
	refs := runGit(t, remote, "show-ref")

	p, err := Prepare(ctx, testOptions(remote))
	if err != nil {
		t.Fatal(err)
	}
	dir := p.dir
	prepared := p.Result()
	if got := runGit(t, remote, "show-ref"); got != refs || prepared.Pushed || prepared.Commit == "" {
		t.Fatalf("Prepare changed the remote or made no commit: %+v\n%s", prepared, got)
	}
	p.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left the work tree %s: %v", dir, err)
	}
	if got := runGit(t, remote, "show-ref"); got != refs {
		t.Errorf("a Pending closed without Push changed the remote:\n%s", got)
	}

	// Another push lands between Prepare and Push: Push makes a new round
	// on it, keeping both.
	o := testOptions(remote)
	o.Targets = []config.GitOpsTarget{{File: "apps/prod/kustomization.yaml"}, {File: "clusters/prod/manifests.yaml"}}
	o.Updates = testUpdates()[:1]
	p, err = Prepare(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	o.Updates = testUpdates()[1:]
	if res, err := Apply(ctx, o); err != nil || !res.Pushed {
		t.Fatalf("Apply in between: %+v, %v", res, err)
	}
	between := runGit(t, remote, "rev-parse", "main")
	res, err := p.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	head := runGit(t, remote, "rev-parse", "main")
	if !res.Pushed || res.Commit != head || res.Attempts != 2 || runGit(t, remote, "rev-parse", "main^") != between {
		t.Errorf("Push did not land on the push in between: %+v, main %s, main^ should be %s", res, head, between)
	}
	if diff := cmp.Diff(golden(t, "kustomize_tag+digest.yaml"), show(t, remote, "main", "apps/prod/kustomization.yaml")); diff != "" {
		t.Errorf("kustomization lost an update (-want +got):\n%s", diff)
	}
}

// TestRefreshAfterHead: Refresh reads the claims after the head to edit
// is read, so a newer release that claims and pushes just after Refresh
// read makes the push fail; the next attempt's Refresh sees its claim
// and drops the update: the deployment is not taken back.
func TestRefreshAfterHead(t *testing.T) {
	ctx := context.Background()
	remote := newRemote(t)
	targets := []config.GitOpsTarget{{File: "apps/prod/kustomization.yaml"}, {File: "clusters/prod/manifests.yaml"}}
	newer := testOptions(remote)
	newer.Targets = targets
	newer.Updates = []Update{{Image: "api", Repository: "ghcr.io/acme/api", Version: "1.2.0", Tag: "1.2.0", Digest: digestB}}
	claimed := false // the newer release's claim, as the release's tags say
	o := testOptions(remote)
	o.Targets = targets
	o.Updates = testUpdates()[:1] // api 1.1.0
	o.Refresh = func(ctx context.Context, updates []Update) ([]Update, error) {
		if claimed {
			return nil, nil // api 1.2.0 owns the deployment
		}
		// Read: no newer claim. Then the newer release claims and pushes.
		claimed = true
		if res, err := Apply(ctx, newer); err != nil || !res.Pushed {
			t.Fatalf("the newer release: %+v, %v", res, err)
		}
		return updates, nil
	}
	res, err := Apply(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pushed || res.Attempts != 2 {
		t.Errorf("pushed %t after %d attempts: want no push, after 2 attempts", res.Pushed, res.Attempts)
	}
	if got := show(t, remote, "main", "apps/prod/kustomization.yaml"); !strings.Contains(got, "1.2.0@"+digestB) {
		t.Errorf("the deployment was taken back from api 1.2.0:\n%s", got)
	}
}

func TestApplyConcurrent(t *testing.T) {
	ctx := context.Background()
	remote := newRemote(t)
	before := runGit(t, remote, "rev-parse", "main")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	results := make([]Result, 2)
	for i, u := range testUpdates() {
		wg.Go(func() {
			o := testOptions(remote)
			o.Targets = []config.GitOpsTarget{{File: "apps/prod/kustomization.yaml"}, {File: "clusters/prod/manifests.yaml"}}
			o.Updates = []Update{u}
			results[i], errs[i] = Apply(ctx, o)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Apply %d: %v", i, err)
		}
	}
	t.Logf("attempts: %d and %d", results[0].Attempts, results[1].Attempts)
	if n := runGit(t, remote, "rev-list", "--count", before+"..main"); n != "2" {
		t.Errorf("%s commits landed, want 2", n)
	}
	if diff := cmp.Diff(golden(t, "kustomize_tag+digest.yaml"), show(t, remote, "main", "apps/prod/kustomization.yaml")); diff != "" {
		t.Errorf("kustomization lost an update (-want +got):\n%s", diff)
	}
	manifests := show(t, remote, "main", "clusters/prod/manifests.yaml")
	for _, want := range []string{"ghcr.io/acme/api:1.1.0@" + digestA, "ghcr.io/acme/worker:1.1.0@" + digestB} {
		if !strings.Contains(manifests, want) {
			t.Errorf("manifests lost %s:\n%s", want, manifests)
		}
	}
}

func TestApplyBranch(t *testing.T) {
	ctx := context.Background()
	remote := newRemote(t)
	main := runGit(t, remote, "rev-parse", "main")
	o := testOptions(remote)
	o.PushBranch = "gobake/release-1.1.0"
	res, err := Apply(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, remote, "rev-parse", "main"); got != main {
		t.Errorf("main moved to %s", got)
	}
	if got := runGit(t, remote, "rev-parse", o.PushBranch); got != res.Commit || !res.Pushed {
		t.Errorf("branch at %s, result %+v", got, res)
	}
	if parent := runGit(t, remote, "rev-parse", o.PushBranch+"^"); parent != main {
		t.Errorf("branch starts at %s, want main %s", parent, main)
	}
	if got := show(t, remote, o.PushBranch, "apps/prod/kustomization.yaml"); got != golden(t, "kustomize_tag+digest.yaml") {
		t.Errorf("kustomization on the branch:\n%s", got)
	}
}

func TestPlan(t *testing.T) {
	ctx := context.Background()
	remote := newRemote(t)
	refs := runGit(t, remote, "show-ref")
	res, err := Plan(ctx, testOptions(remote))
	if err != nil {
		t.Fatal(err)
	}
	if got := runGit(t, remote, "show-ref"); got != refs {
		t.Errorf("Plan changed the remote:\n%s", got)
	}
	for _, want := range []string{
		"--- a/apps/prod/kustomization.yaml\n+++ b/apps/prod/kustomization.yaml\n",
		"-    newTag: \"1.0.0\"   # bumped by gobake\n+    newTag: \"1.1.0@" + digestA + "\"   # bumped by gobake\n",
		"-  tag: \"1.0.0\"\n+  tag: \"1.1.0@" + digestA + "\"\n",
	} {
		if !strings.Contains(res.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, res.Diff)
		}
	}
	if strings.Contains(res.Diff, "unrelated.yaml") || !strings.HasSuffix(res.Message, "\n\nGobake-Release: true\n") {
		t.Errorf("diff or message wrong:\n%s\n%s", res.Diff, res.Message)
	}
}

func TestApplyErrors(t *testing.T) {
	ctx := context.Background()
	remote := newRemote(t)
	refs := runGit(t, remote, "show-ref")
	for _, tc := range []struct {
		name    string
		targets []config.GitOpsTarget
		branch  string
		want    string
	}{
		{"no image", []config.GitOpsTarget{{File: "apps/prod/kustomization.yaml"}, {File: "clusters/prod/unrelated.yaml"}}, "",
			"target clusters/prod/unrelated.yaml: none of the images (api, worker) appears in 1 file(s)"},
		{"no file", []config.GitOpsTarget{{File: "apps/staging/*.yaml"}}, "",
			"target apps/staging/*.yaml: no such file in the deployment repository"},
		{"no branch", []config.GitOpsTarget{{File: "apps/prod/kustomization.yaml"}}, "prod",
			"no branch prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(remote)
			o.Targets, o.Branch = tc.targets, tc.branch
			_, err := Apply(ctx, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if got := runGit(t, remote, "show-ref"); got != refs {
				t.Errorf("the remote changed:\n%s", got)
			}
		})
	}
}
