package e2e

import (
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

// gitHTTPBackend is git's own smart HTTP server (git-http-backend), run as
// a CGI program.
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// gitServer serves the bare repositories under root over HTTP on loopback,
// to clients that authenticate as user:password; refuse makes it answer
// every request with a 503.
type gitServer struct {
	URL    string // http://127.0.0.1:PORT
	refuse atomic.Bool
}

// startGitServer serves root until the test ends.
func startGitServer(t *testing.T, root, user, password string) *gitServer {
	t.Helper()
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		t.Fatalf("%s is required by this test (apt-get install git): %v", gitHTTPBackend, err)
	}
	s := &gitServer{}
	backend := &cgi.Handler{
		Path: gitHTTPBackend,
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_GLOBAL=/dev/null"},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.refuse.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="deploy"`)
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	s.URL = "http://" + l.Addr().String()
	return s
}

// TestReleaseRedactsSecrets releases with a token in the GitOps URL and a
// secret written literally in env:, through a dry run, a release and a
// failed release, and checks that neither secret is in any output, in the
// report files or in anything the registry stored.
func TestReleaseRedactsSecrets(t *testing.T) {
	parallelAfterWarmup(t)
	const token = "tok3n-s3cret-81d4f0"
	const envSecret = "env-s3cret-7a2c95"
	e := newReleaseEnv(t)

	// Serve the GitOps repository over HTTP, behind the token.
	testutil.Git(t, e.deploy, "config", "http.receivepack", "true")
	srv := startGitServer(t, filepath.Dir(e.deploy), "x", token)
	url := strings.Replace(srv.URL, "http://", "http://x:"+token+"@", 1) + "/" + filepath.Base(e.deploy)
	cfg := filepath.Join(e.src, "gobake.yaml")
	testutil.ReplaceInFile(t, cfg, "  repo: "+e.deploy, "  repo: "+url)
	testutil.ReplaceInFile(t, cfg, "    main: ./services/api/cmd/api\n", "    main: ./services/api/cmd/api\n    env: [API_KEY="+envSecret+"]\n")
	testutil.Git(t, e.src, "commit", "-q", "-am", "feat: deploy over HTTP")

	files := t.TempDir()
	var outputs []string // files and streams to search
	run := func(name string, wantExit int, args ...string) {
		t.Helper()
		ghOut := filepath.Join(files, name+".github-output")
		summary := filepath.Join(files, name+".step-summary")
		report := filepath.Join(files, name+".json")
		env := []string{"GITHUB_OUTPUT=" + ghOut, "GITHUB_STEP_SUMMARY=" + summary}
		res := gobake.Run(t, e.src, env, append([]string{"release", "--output", report}, args...)...)
		if (res.ExitCode == 0) != (wantExit == 0) {
			t.Fatalf("%s: exit %d, want %d:\n%s", name, res.ExitCode, wantExit, res)
		}
		for stream, text := range map[string]string{"stdout": res.Stdout, "stderr": res.Stderr} {
			p := filepath.Join(files, name+"."+stream)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		outputs = append(outputs, name+".stdout", name+".stderr", name+".json", name+".github-output", name+".step-summary")
		// The URL is there, redacted, where a URL is shown.
		if !strings.Contains(res.Stderr, "http://***@127.0.0.1") {
			t.Errorf("%s: the GitOps URL is not shown redacted on stderr:\n%s", name, res.Stderr)
		}
	}
	run("dry-run", 0, "--dry-run")
	run("release", 0)
	if got := e.deployFile(t, "main", "deployment.yaml"); !strings.Contains(got, "@sha256:") {
		t.Fatalf("the release did not reach the GitOps repository over HTTP:\n%s", got)
	}
	commitChange(t, e.src, "services/worker/cmd/worker/main.go", "// more", "fix(worker): more")
	srv.refuse.Store(true)
	run("failed", 1)

	for _, name := range outputs {
		b, err := os.ReadFile(filepath.Join(files, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, secret := range []string{token, envSecret} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s holds the secret %q:\n%s", name, secret, b)
			}
		}
	}
	var blobs int
	err := filepath.WalkDir(e.reg.Storage, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		blobs++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, secret := range []string{token, envSecret} {
			if strings.Contains(string(b), secret) {
				t.Errorf("the registry stored the secret %q in %s", secret, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if blobs < 10 {
		t.Fatalf("the registry stored only %d files under %s", blobs, e.reg.Storage)
	}
}
