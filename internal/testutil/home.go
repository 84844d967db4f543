package testutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// IsolatedHomeEnv names the temporary home set by IsolateHome; helpers
// that start programs which would otherwise write to the user's home
// (gobake's binary cache, podman, skopeo, ko) check that it is set.
const IsolatedHomeEnv = "TESTUTIL_ISOLATED_HOME"

// goPinned are the Go settings IsolateHome keeps as they were: Go's own
// build and module caches, which go test itself uses, and the user's go
// env file. Without them, every go command under a new HOME would start
// from an empty cache.
var goPinned = []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"}

// userEnv are unset by IsolateHome: they point programs at the user's
// credentials or caches, wherever the home is.
var userEnv = []string{"DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "KOCACHE"}

// IsolateHome points HOME and the XDG base directories (cache, config,
// data, state, runtime) at a new temporary directory, so that whatever the
// tests run, gobake's binary cache (os.UserCacheDir), podman, skopeo, ko and
// git included, writes there and reads no user configuration or
// credentials. GOCACHE, GOMODCACHE, GOPATH and GOENV are set to the values
// go reported before, so go commands keep sharing the caches go test
// itself uses. GOBAKE_* variables are unset, as a user's would change what
// gobake does. restore puts the environment back and removes the directory.
//
// Call it from TestMain through Main; it changes the process environment,
// so it must not run beside tests.
func IsolateHome() (restore func(), err error) {
	pinned, err := goEnv(goPinned...)
	if err != nil {
		return nil, err
	}
	home, err := os.MkdirTemp("", "gobake-test-home-")
	if err != nil {
		return nil, fmt.Errorf("isolate home: %w", err)
	}
	set := map[string]string{
		"HOME":            home,
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_RUNTIME_DIR": filepath.Join(home, "run"),
		IsolatedHomeEnv:   home,
	}
	for k, v := range pinned {
		if v != "" && v != "off" {
			set[k] = v
		}
	}
	if err := os.Mkdir(set["XDG_RUNTIME_DIR"], 0o700); err != nil {
		os.RemoveAll(home)
		return nil, fmt.Errorf("isolate home: %w", err)
	}
	unset := append([]string(nil), userEnv...)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "GOBAKE_") {
			unset = append(unset, k)
		}
	}

	saved := map[string]*string{}
	save := func(k string) {
		if _, done := saved[k]; done {
			return
		}
		if v, ok := os.LookupEnv(k); ok {
			saved[k] = &v
		} else {
			saved[k] = nil
		}
	}
	for k, v := range set {
		save(k)
		os.Setenv(k, v)
	}
	for _, k := range unset {
		save(k)
		os.Unsetenv(k)
	}
	return func() {
		for k, v := range saved {
			if v == nil {
				os.Unsetenv(k)
			} else {
				os.Setenv(k, *v)
			}
		}
		// Go marks module cache files read-only; make them removable in
		// case a test downloaded into the temporary home anyway.
		_ = filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = os.Chmod(p, 0o700)
			}
			return nil
		})
		os.RemoveAll(home)
	}, nil
}

// Main runs the tests of a package with a temporary home (IsolateHome),
// then cleanups, and exits with the tests' exit code:
//
//	func TestMain(m *testing.M) { testutil.Main(m, gobake.Cleanup) }
//
// The tests run without $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY: run on
// GitHub Actions, the gobake runs of the tests must not write into the
// step's files (a test that wants them sets its own).
func Main(m *testing.M, cleanups ...func()) {
	os.Unsetenv("GITHUB_OUTPUT")
	os.Unsetenv("GITHUB_STEP_SUMMARY")
	restore, err := IsolateHome()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testutil.Main:", err)
		os.Exit(2)
	}
	untouched := sourceTreeUntouched()
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	restore()
	if err := untouched(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, "testutil.Main:", err)
		code = 1
	}
	os.Exit(code)
}

// sourceTreeUntouched returns a check that the tests did not write
// gobake's directory (.gobake: caches, OCI layouts) into the repository's
// own tree: tests write only to temporary directories. When the
// directory is there before the tests (a developer's own runs), it
// checks nothing.
func sourceTreeUntouched() func() error {
	root, err := findRepoRoot()
	if err != nil {
		return func() error { return nil }
	}
	dir := filepath.Join(root, ".gobake")
	if _, err := os.Lstat(dir); err == nil {
		return func() error { return nil }
	}
	return func() error {
		if _, err := os.Lstat(dir); err == nil {
			return fmt.Errorf("the tests wrote %s: a test ran gobake in the source tree instead of a copy (testutil.CopyDir)", dir)
		}
		return nil
	}
}

// requireIsolatedHome fails t unless the process runs with IsolateHome:
// what the caller starts would write to the user's home otherwise.
func requireIsolatedHome(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(IsolatedHomeEnv) == "" {
		t.Fatalf("%s would write to the user's home: call testutil.Main from this package's TestMain", what)
	}
}

// goEnv returns the values go env reports for names.
func goEnv(names ...string) (map[string]string, error) {
	out, err := exec.Command("go", append([]string{"env", "-json"}, names...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return nil, fmt.Errorf("go env: %w (Go 1.26 is required)", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	for _, k := range names {
		if m[k] == "" && k != "GOENV" {
			return nil, fmt.Errorf("go env: %s is empty", k)
		}
	}
	return m, nil
}
