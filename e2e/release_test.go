package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// releaseEnv is the world a release test works in: one registry behind a
// proxy that can be made to die, the sample as a git repository with a
// bare origin, and a bare GitOps repository.
type releaseEnv struct {
	reg    *testutil.Registry
	proxy  *flakyProxy
	prefix string // registry prefix in gobake.yaml: PROXY/acme
	src    string // the sample, a git repository
	origin string // its bare origin
	deploy string // the bare GitOps repository
}

// releaseReport is the part of --output the tests read.
type releaseReport struct {
	Released bool `json:"released"`
	Images   []struct {
		Image, Version, Digest, Reference, GitTag string
		Tags                                      []string
		Reused                                    bool
	} `json:"images"`
	GitTags []string `json:"gitTags"`
	GitOps  *struct {
		Commit string
		Pushed bool
	} `json:"gitops"`
}

// versions returns image → version of r.
func (r releaseReport) versions() map[string]string {
	out := map[string]string{}
	for _, img := range r.Images {
		out[img.Image] = img.Version
	}
	return out
}

func newReleaseEnv(t *testing.T) *releaseEnv {
	t.Helper()
	e := &releaseEnv{reg: testutil.StartRegistry(t)}
	base := e.reg.Host + "/bases/static:latest"
	if _, err := baseimage.Push(context.Background(), base); err != nil {
		t.Fatal(err)
	}
	e.proxy = startProxy(t, e.reg.Host)
	e.prefix = e.proxy.Addr + "/acme"

	// The GitOps repository: a kustomization (api, ctl), Helm values (web)
	// and a plain Deployment (worker).
	e.deploy = filepath.Join(t.TempDir(), "deploy.git")
	testutil.Git(t, "", "init", "-q", "--bare", "-b", "main", e.deploy)
	seed := t.TempDir()
	files := map[string]string{
		"kustomization.yaml": fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
images:
  - name: %[1]s/api
    newTag: "0.0.0"
  - name: %[1]s/ctl
    newTag: "0.0.0"
`, e.prefix),
		"values.yaml": fmt.Sprintf(`# web chart values
web:
  replicas: 2
  image:
    repository: %s/web
    tag: "0.0.0"
`, e.prefix),
		"deployment.yaml": fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      containers:
        - name: worker
          image: %s/worker:0.0.0
`, e.prefix),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(seed, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testutil.GitInit(t, seed)
	testutil.Git(t, seed, "push", "-q", e.deploy, "main")

	// The sample, pushing to the proxy, with a gitops stanza.
	e.src = testutil.CopySample(t)
	cfg := filepath.Join(e.src, "gobake.yaml")
	testutil.ReplaceInFile(t, cfg, "static: oci:bases/static", "static: "+base)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, `
registry: %s

gitops:
  repo: %s
  targets:
    - file: kustomization.yaml
    - file: values.yaml
      helm: {web: {repository: .web.image.repository, tag: .web.image.tag}}
    - file: deployment.yaml
`, e.prefix, e.deploy)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	testutil.GitInit(t, e.src)
	e.origin = filepath.Join(t.TempDir(), "origin.git")
	testutil.Git(t, "", "init", "-q", "--bare", "-b", "main", e.origin)
	testutil.Git(t, e.src, "remote", "add", "origin", e.origin)
	testutil.Git(t, e.src, "push", "-q", "origin", "main")
	return e
}

// release runs gobake release in dir with --output and returns the output
// and the report.
func (e *releaseEnv) release(t *testing.T, dir string, env []string, args ...string) (testutil.Output, releaseReport) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "release.json")
	res := gobake.Run(t, dir, env, append([]string{"release", "--output", out}, args...)...)
	var rep releaseReport
	if b, err := os.ReadFile(out); err == nil {
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("parse %s: %v\n%s", out, err, b)
		}
	}
	return res, rep
}

// commit changes file in dir (appending a line) and commits it as msg.
func commitChange(t *testing.T, dir, file, line, msg string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	appendLine(t, p, line)
	testutil.Git(t, dir, "add", "-A")
	testutil.Git(t, dir, "commit", "-q", "-m", msg)
}

// world is everything a release may change: registry repositories and
// their tags, the refs of the GitOps and source remotes, the local tags.
func (e *releaseEnv) world(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	var catalog struct{ Repositories []string }
	getJSON(t, "http://"+e.reg.Host+"/v2/_catalog?n=1000", &catalog)
	slices.Sort(catalog.Repositories)
	for _, repo := range catalog.Repositories {
		var tags struct{ Tags []string }
		getJSON(t, "http://"+e.reg.Host+"/v2/"+repo+"/tags/list", &tags)
		slices.Sort(tags.Tags)
		fmt.Fprintf(&b, "registry %s: %s\n", repo, strings.Join(tags.Tags, " "))
	}
	b.WriteString("deploy:\n" + testutil.Git(t, e.deploy, "for-each-ref"))
	b.WriteString("origin:\n" + testutil.Git(t, e.origin, "for-each-ref"))
	b.WriteString("local tags:\n" + testutil.Git(t, e.src, "tag", "-l"))
	return b.String()
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// deployFile returns file on branch of the GitOps repository.
func (e *releaseEnv) deployFile(t *testing.T, branch, file string) string {
	t.Helper()
	return testutil.Git(t, e.deploy, "show", branch+":"+file)
}

// checkReleased checks that every image of rep is in the registry under
// its digest and version tag, written to the main branch of the GitOps
// repository, and tagged in git locally and on origin.
func (e *releaseEnv) checkReleased(t *testing.T, dir string, rep releaseReport) {
	t.Helper()
	e.checkReleasedOn(t, dir, rep, "main")
}

// checkReleasedOn is checkReleased with the GitOps files read on branch.
func (e *releaseEnv) checkReleasedOn(t *testing.T, dir string, rep releaseReport, branch string) {
	t.Helper()
	all := e.deployFile(t, branch, "kustomization.yaml") + e.deployFile(t, branch, "values.yaml") + e.deployFile(t, branch, "deployment.yaml")
	localTags := testutil.Git(t, dir, "tag", "-l")
	originTags := testutil.Git(t, e.origin, "tag", "-l")
	for _, img := range rep.Images {
		direct := strings.Replace(img.Reference, e.proxy.Addr, e.reg.Host, 1)
		raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+direct)
		if got := "sha256:" + sha256Hex(raw); got != img.Digest {
			t.Errorf("%s: registry serves %s, released %s", img.Image, got, img.Digest)
		}
		repo, _, _ := strings.Cut(direct, "@")
		raw = testutil.Skopeo(t, "inspect", "--raw", "docker://"+repo+":"+img.Version)
		if got := "sha256:" + sha256Hex(raw); got != img.Digest {
			t.Errorf("%s: tag %s names %s, released %s", img.Image, img.Version, got, img.Digest)
		}
		if !strings.Contains(all, img.Digest) {
			t.Errorf("%s: digest %s is not in the GitOps files:\n%s", img.Image, img.Digest, all)
		}
		for _, tags := range []string{localTags, originTags} {
			if !slices.Contains(strings.Fields(tags), img.GitTag) {
				t.Errorf("%s: git tag %s missing from %q", img.Image, img.GitTag, tags)
			}
		}
	}
}

func TestRelease(t *testing.T) {
	parallelAfterWarmup(t)
	e := newReleaseEnv(t)

	t.Run("first release", func(t *testing.T) {
		ghOut := filepath.Join(t.TempDir(), "github_output")
		res, rep := e.release(t, e.src, []string{"GITHUB_OUTPUT=" + ghOut})
		if res.ExitCode != 0 {
			t.Fatalf("release: %s", res)
		}
		want := map[string]string{"api": "0.1.0", "ctl": "0.1.0", "web": "0.1.0", "worker": "0.1.0"}
		if got := rep.versions(); !mapsEqual(got, want) {
			t.Fatalf("versions = %v, want %v", got, want)
		}
		refs := parseRefs(t, res.Stdout, sampleImages)
		for _, img := range rep.Images {
			if refs[img.Image].Ref != img.Reference {
				t.Errorf("%s: stdout %s, report %s", img.Image, refs[img.Image].Ref, img.Reference)
			}
			if !slices.Contains(img.Tags, "latest") || !slices.Contains(img.Tags, "0.1.0") {
				t.Errorf("%s: tags %v, want 0.1.0 and latest", img.Image, img.Tags)
			}
		}
		e.checkReleased(t, e.src, rep)
		gh, err := os.ReadFile(ghOut)
		if err != nil || !strings.Contains(string(gh), "released=true") || !strings.Contains(string(gh), "images=[") {
			t.Errorf("$GITHUB_OUTPUT = %q (%v), want images= and released=true", gh, err)
		}
		if msg := testutil.Git(t, e.deploy, "log", "-1", "--format=%B", "main"); !strings.Contains(msg, "Gobake-Release: true") {
			t.Errorf("GitOps commit message lacks the release trailer:\n%s", msg)
		}
	})

	t.Run("versions follow the commits", func(t *testing.T) {
		tests := []struct {
			name, file, msg string
			want            map[string]string
		}{
			{"fix in a package of api and ctl", "internal/auth/auth.go", "fix: check token expiry", map[string]string{"api": "0.1.1", "ctl": "0.1.1"}},
			{"breaking change in web", "services/web/cmd/web/main.go", "feat!: new web routes", map[string]string{"web": "0.2.0"}},
			{"docs only", "docs/notes.md", "docs: release notes", map[string]string{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				line := "// " + tt.msg
				if strings.HasSuffix(tt.file, ".md") {
					line = tt.msg
				}
				commitChange(t, e.src, tt.file, line, tt.msg)
				before := e.world(t)
				res, rep := e.release(t, e.src, nil)
				if res.ExitCode != 0 {
					t.Fatalf("release: %s", res)
				}
				if got := rep.versions(); !mapsEqual(got, tt.want) {
					t.Fatalf("versions = %v, want %v\n%s", got, tt.want, res.Stderr)
				}
				if len(tt.want) == 0 {
					if res.Stdout != "" || rep.Released {
						t.Errorf("nothing to release, but stdout %q, released %v", res.Stdout, rep.Released)
					}
					if after := e.world(t); after != before {
						t.Errorf("nothing to release, but the world changed:\nbefore:\n%s\nafter:\n%s", before, after)
					}
					return
				}
				e.checkReleased(t, e.src, rep)
			})
		}
	})

	// A fix in a package every image uses, released in the next subtests.
	commitChange(t, e.src, "internal/greet/greet.go", "// fix: greet politely", "fix: greet politely")
	want := map[string]string{"api": "0.1.2", "ctl": "0.1.2", "web": "0.2.1", "worker": "0.1.1"}

	t.Run("dry run changes nothing", func(t *testing.T) {
		before := e.world(t)
		res, rep := e.release(t, e.src, nil, "--dry-run")
		if res.ExitCode != 0 {
			t.Fatalf("release --dry-run: %s", res)
		}
		if got := rep.versions(); !mapsEqual(got, want) {
			t.Errorf("versions = %v, want %v", got, want)
		}
		if !strings.Contains(res.Stderr, "@@") || !strings.Contains(res.Stderr, "+++ b/kustomization.yaml") {
			t.Errorf("no GitOps diff on stderr:\n%s", res.Stderr)
		}
		if res.Stdout != "" || rep.Released {
			t.Errorf("dry run: stdout %q, released %v", res.Stdout, rep.Released)
		}
		if after := e.world(t); after != before {
			t.Errorf("dry run changed the world:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	t.Run("registry dies mid-release", func(t *testing.T) {
		before := e.world(t)
		deployBefore := testutil.Git(t, e.deploy, "for-each-ref")
		e.proxy.dieAfter(256 << 10)
		res, _ := e.release(t, e.src, nil)
		if res.ExitCode == 0 || !e.proxy.died() {
			t.Fatalf("release through a dying registry: exit %d, proxy died %v\n%s", res.ExitCode, e.proxy.died(), res)
		}
		if !strings.Contains(res.Stderr, "no GitOps commit, no git tag") || !strings.Contains(res.Stderr, "push ") {
			t.Errorf("no failure summary on stderr:\n%s", res.Stderr)
		}
		if got := testutil.Git(t, e.deploy, "for-each-ref"); got != deployBefore {
			t.Errorf("GitOps repository changed by a failed release:\n%s", got)
		}
		after := e.world(t)
		for _, part := range []string{"deploy:", "origin:", "local tags:"} {
			if cut(before, part) != cut(after, part) {
				t.Errorf("%s changed by a failed release:\nbefore:\n%s\nafter:\n%s", part, before, after)
			}
		}

		e.reg.Stop()
		e.reg.Start()
		e.proxy.heal()
		res, rep := e.release(t, e.src, nil)
		if res.ExitCode != 0 {
			t.Fatalf("release again: %s", res)
		}
		if got := rep.versions(); !mapsEqual(got, want) {
			t.Errorf("versions = %v, want %v (not bumped twice)", got, want)
		}
		e.checkReleased(t, e.src, rep)
	})

	t.Run("GitOps failure after the tags moved", func(t *testing.T) {
		commitChange(t, e.src, "services/worker/cmd/worker/main.go", "// fix: worker", "fix: worker")
		away := e.deploy + ".away"
		if err := os.Rename(e.deploy, away); err != nil {
			t.Fatal(err)
		}
		res, _ := e.release(t, e.src, nil)
		if err := os.Rename(away, e.deploy); err != nil {
			t.Fatal(err)
		}
		if res.ExitCode == 0 {
			t.Fatalf("release with the GitOps repository gone succeeded:\n%s", res)
		}
		// The version was claimed (git tag on origin) before the tags moved:
		// the summary says so, and the re-run completes that claim.
		if tags := testutil.Git(t, e.origin, "tag", "-l", "worker/*"); !strings.Contains(tags, "worker/v0.1.2") {
			t.Errorf("claim worker/v0.1.2 not on origin after the tags moved: %s", tags)
		}
		if !strings.Contains(res.Stderr, "no GitOps commit, git tags worker/v0.1.2 claimed") {
			t.Errorf("failure summary does not say what happened:\n%s", res.Stderr)
		}
		res, rep := e.release(t, e.src, nil)
		if res.ExitCode != 0 {
			t.Fatalf("release again: %s", res)
		}
		if got := rep.versions(); !mapsEqual(got, map[string]string{"worker": "0.1.2"}) {
			t.Errorf("versions = %v, want worker 0.1.2", got)
		}
		if len(rep.Images) != 1 || !rep.Images[0].Reused {
			t.Errorf("the image pushed and tagged by the failed release was not reused: %+v", rep.Images)
		}
		e.checkReleased(t, e.src, rep)
	})

	t.Run("concurrent releases to one GitOps repository", func(t *testing.T) {
		for _, f := range []string{"services/api/cmd/api/main.go", "services/web/cmd/web/main.go"} {
			appendLine(t, filepath.Join(e.src, filepath.FromSlash(f)), "// fix: api and web")
		}
		testutil.Git(t, e.src, "commit", "-q", "-a", "-m", "fix: api and web")
		testutil.Git(t, e.src, "push", "-q", "origin", "main")
		headBefore := strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "main"))
		images := []string{"api", "web"}
		dirs := make([]string, len(images))
		for i := range images {
			dirs[i] = filepath.Join(t.TempDir(), "clone")
			testutil.Git(t, "", "clone", "-q", e.origin, dirs[i])
		}
		outs := make([]testutil.Output, len(images))
		reps := make([]releaseReport, len(images))
		var wg sync.WaitGroup
		for i, img := range images {
			wg.Go(func() { outs[i], reps[i] = e.release(t, dirs[i], nil, img) })
		}
		wg.Wait()
		want := []string{"0.1.3", "0.2.2"}
		for i, img := range images {
			if outs[i].ExitCode != 0 {
				t.Fatalf("release %s: %s", img, outs[i])
			}
			if got := reps[i].versions(); !mapsEqual(got, map[string]string{img: want[i]}) {
				t.Errorf("release %s: versions %v, want %s %s", img, got, img, want[i])
			}
			e.checkReleased(t, dirs[i], reps[i])
		}
		n := strings.TrimSpace(testutil.Git(t, e.deploy, "rev-list", "--count", headBefore+"..main"))
		if n != "2" {
			t.Errorf("GitOps repository got %s commits, want 2 (one per release)", n)
		}
	})

	// CI's default checkout: one commit, only the tags at it (api, web);
	// ctl and worker were released at older commits. Nothing to release,
	// and nothing "first release"d over the existing versions.
	t.Run("shallow clone", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "clone")
		testutil.Git(t, "", "clone", "-q", "--depth", "1", "file://"+e.origin, dir)
		before := e.world(t)
		res, rep := e.release(t, dir, nil)
		if res.ExitCode != 0 || len(rep.Images) != 0 || strings.Contains(res.Stderr, "first release") {
			t.Fatalf("release from a shallow clone of a released commit: exit %d, versions %v\n%s", res.ExitCode, rep.versions(), res.Stderr)
		}
		remotes := func(world string) string { r, _, _ := strings.Cut(world, "local tags:"); return r }
		if after := e.world(t); remotes(before) != remotes(after) {
			t.Errorf("the world changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})
}

// appendLine appends line to the file path.
func appendLine(t *testing.T, path, line string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, line)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// cut returns the part of a world description from header to the next
// header.
func cut(world, header string) string {
	_, rest, _ := strings.Cut(world, header)
	for _, h := range []string{"deploy:", "origin:", "local tags:"} {
		if i := strings.Index(rest, "\n"+h); i >= 0 {
			rest = rest[:i]
		}
	}
	return rest
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// flakyProxy forwards TCP connections on 127.0.0.1 to a registry and can
// be made to die after some bytes sent to it: it then cuts every
// connection and closes the new ones at once, until healed.
type flakyProxy struct {
	Addr   string
	target string
	ln     net.Listener

	mu      sync.Mutex
	budget  int64 // bytes clients may still send; < 0 means unlimited
	tripped bool
	conns   map[net.Conn]struct{}
}

// startProxy starts a proxy to target and closes it when the test ends.
func startProxy(t *testing.T, target string) *flakyProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &flakyProxy{Addr: ln.Addr().String(), target: target, ln: ln, budget: -1, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { ln.Close(); p.cutAll() })
	go p.serve()
	return p
}

// dieAfter makes the proxy die once clients have sent n more bytes.
func (p *flakyProxy) dieAfter(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.budget, p.tripped = n, false
}

// heal makes the proxy forward again, without limit.
func (p *flakyProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.budget, p.tripped = -1, false
}

// died reports whether the proxy cut the connections.
func (p *flakyProxy) died() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tripped
}

func (p *flakyProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *flakyProxy) handle(c net.Conn) {
	p.mu.Lock()
	if p.tripped {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		p.drop(c)
		return
	}
	p.mu.Lock()
	p.conns[u] = struct{}{}
	p.mu.Unlock()
	go func() {
		_, _ = io.Copy(c, u)
		p.drop(c)
		p.drop(u)
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 && !p.spend(int64(n)) {
			break
		}
		if n > 0 {
			if _, werr := u.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	p.drop(c)
	p.drop(u)
}

// spend takes n bytes from the budget; when it runs out, the proxy dies.
func (p *flakyProxy) spend(n int64) bool {
	p.mu.Lock()
	if p.tripped {
		p.mu.Unlock()
		return false
	}
	if p.budget >= 0 {
		p.budget -= n
		if p.budget < 0 {
			p.tripped = true
			p.mu.Unlock()
			p.cutAll()
			return false
		}
	}
	p.mu.Unlock()
	return true
}

func (p *flakyProxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *flakyProxy) cutAll() {
	p.mu.Lock()
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		p.drop(c)
	}
}
