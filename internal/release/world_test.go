package release_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/gitexec"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/release"
	"github.com/gobake/gobake/internal/release/gitrepo/gittest"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// world is what a release test releases into: an in-process registry that
// can be told to fail tag PUTs, a bare source remote holding a tiny
// two-image module, and a bare GitOps repository.
type world struct {
	host     string      // the registry, 127.0.0.1:PORT
	failTags atomic.Bool // answer 503 to every manifest PUT by tag (not the sha256-… tags of referrers)
	// hook, when set, sees every request before the registry does (and
	// may hold it).
	hook atomic.Pointer[func(*http.Request)]
	// refuse, when set, sees every request after hook (and may hold it):
	// those it returns true for are answered 503.
	refuse atomic.Pointer[func(*http.Request) bool]
	origin string // bare source remote
	deploy string // bare GitOps repository
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if hook := w.hook.Load(); hook != nil {
			(*hook)(req)
		}
		if refuse := w.refuse.Load(); refuse != nil && (*refuse)(req) {
			http.Error(rw, "injected failure", http.StatusServiceUnavailable)
			return
		}
		if w.failTags.Load() && req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/manifests/") &&
			!strings.Contains(req.URL.Path, "/manifests/sha256") {
			http.Error(rw, "injected failure", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(rw, req)
	}))
	t.Cleanup(s.Close)
	w.host = strings.TrimPrefix(s.URL, "http://")
	if _, err := baseimage.Push(context.Background(), w.host+"/bases/static:latest"); err != nil {
		t.Fatal(err)
	}

	w.deploy = gittest.NewBare(t)
	d := gittest.Clone(t, w.deploy)
	d.Commit("deploy", map[string]string{"deployment.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: api
          image: %[1]s/acme/api:0.0.0
        - name: web
          image: %[1]s/acme/web:0.0.0
`, w.host)})
	d.Git("push", "--quiet", "origin", "main")

	w.origin = gittest.NewBare(t)
	src := gittest.Clone(t, w.origin)
	main := "package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n"
	src.Commit("feat: api and web", map[string]string{
		".gitignore":  ".gobake/\n",
		"go.mod":      "module example.com/m\n\ngo 1.22\n",
		"api/main.go": main,
		"web/main.go": main,
		"gobake.yaml": fmt.Sprintf(`version: 1
registry: %[1]s/acme
bases:
  static: %[1]s/bases/static:latest
defaults:
  base: static
  platforms: [linux/amd64]
  ldflags: ["-s -w -X main.version={{.Version}}"]
images:
  api:
    main: ./api
  web:
    main: ./web
gitops:
  repo: %[2]s
  targets:
    - file: deployment.yaml
`, w.host, w.deploy),
	})
	src.Git("push", "--quiet", "origin", "main")
	return w
}

// clone clones the source remote (with git clone flags args).
func (w *world) clone(t *testing.T, args ...string) *gittest.Repo {
	t.Helper()
	return gittest.Clone(t, "file://"+w.origin, args...)
}

// run releases the checkout dir and returns the report, the error and
// the progress log (which o.Log, when set, sees too).
func (w *world) run(t *testing.T, dir string, o release.Options) (*release.Report, error, string) {
	t.Helper()
	cfg, err := config.Load(filepath.Join(dir, "gobake.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var logb bytes.Buffer
	if o.Log != nil {
		o.Log = io.MultiWriter(&logb, o.Log)
	} else {
		o.Log = &logb
	}
	o.SBOMFormats = []layering.SBOMFormat{}
	o.Environ = append(os.Environ(), "GOBAKE_CACHE=off")
	rep, err := release.Run(context.Background(), cfg, o)
	return rep, err, logb.String()
}

// tag returns the digest tag names in the registry, "" when absent.
func (w *world) tag(t *testing.T, repo, tag string) string {
	t.Helper()
	ref, err := name.NewTag(w.host + "/acme/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref)
	if err != nil {
		return ""
	}
	return desc.Digest.String()
}

// putRandom puts a random image at repo:tag and returns its digest.
func (w *world) putRandom(t *testing.T, repo, tag string) string {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(w.host + "/acme/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// remoteTags returns the tags of the bare repository dir: name → commit.
func remoteTags(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	b, err := gitexec.Runner{Dir: dir}.Run(context.Background(), "for-each-ref", "--format=%(refname:strip=2) %(*objectname)%(objectname)", "refs/tags/")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b), "\n") {
		if n, c, ok := strings.Cut(line, " "); ok {
			out[n] = c[:40]
		}
	}
	return out
}

// versions returns image → version of rep.
func versions(rep *release.Report) map[string]string {
	out := map[string]string{}
	for _, img := range rep.Images {
		out[img.Image] = img.Version
	}
	return out
}

// gitShow returns git show rev in dir.
func gitShow(t *testing.T, dir, rev string) string {
	t.Helper()
	out, err := gitexec.Runner{Dir: dir}.Run(context.Background(), "show", rev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// check asserts the contract on the world after releases that all
// succeeded: every version claimed on the source remote is in the
// registry under its version tag with the digest its claim names, and
// the deployment names the newest version of each image.
func (w *world) check(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	newest := map[string]*semver.Version{}
	digest := map[string]string{}
	for tag := range remoteTags(t, w.origin) {
		img, v, _ := strings.Cut(tag, "/v")
		ver := semver.MustParse(v)
		msg, err := gitexec.Runner{Dir: w.origin}.Run(ctx, "for-each-ref", "--format=%(contents)", "refs/tags/"+tag)
		if err != nil {
			t.Fatal(err)
		}
		_, d, ok := strings.Cut(msg, "@")
		if !ok {
			t.Errorf("claim %s names no digest: %q", tag, msg)
			continue
		}
		if got := w.tag(t, img, v); got != strings.TrimSpace(d) {
			t.Errorf("%s:%s names %q, its claim %s names %s", img, v, got, tag, d)
		}
		if newest[img] == nil || ver.GreaterThan(newest[img]) {
			newest[img], digest[img] = ver, strings.TrimSpace(d)
		}
	}
	deployed := gitShow(t, w.deploy, "main:deployment.yaml")
	for img, d := range digest {
		if !strings.Contains(deployed, d) {
			t.Errorf("deployment does not name %s %s (%s):\n%s", img, newest[img], d, deployed)
		}
		if got := w.tag(t, img, "latest"); got != d {
			t.Errorf("%s:latest names %s, not the newest %s (%s)", img, got, newest[img], d)
		}
	}
}
