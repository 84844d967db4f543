package testutil

import (
	"context"
	"os"
	"slices"
	"sync"
	"testing"
)

// Fixtures are values built at most once per test binary, each by the
// first test that asks for it (see Shared), and shared by every test that
// only reads them: one sample build pushed to one registry, say, instead
// of one per test. What a fixture's build makes lives until Cleanup,
// called from TestMain:
//
//	var fixtures testutil.Fixtures
//
//	func TestMain(m *testing.M) { testutil.Main(m, fixtures.Cleanup) }
//
// A test that changes what it is given (pushes, edits files, stops the
// registry) must build its own instead.
type Fixtures struct {
	mu       sync.Mutex
	dir      string // parent of the fixtures' temporary directories
	cleanups []func()
	byName   map[string]*fixture
}

// fixture is one value of Fixtures.
type fixture struct {
	mu       sync.Mutex
	built    bool
	value    any
	failedIn string // the test whose build of the fixture failed
}

// Shared returns the fixture called name in fs, building it with build on
// first use. build runs in the calling test, so its failures fail that
// test; the tests asking for the fixture later fail too, naming it. The
// testing.TB given to build hands out temporary directories and runs
// cleanups that outlive the test, until fs.Cleanup. Tests asking at the
// same time wait for one build.
func Shared[T any](t testing.TB, fs *Fixtures, name string, build func(t testing.TB) T) T {
	t.Helper()
	f := fs.entry(name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.built && f.failedIn == "" {
		func() {
			ok := false
			defer func() {
				if !ok {
					f.failedIn = t.Name()
				}
			}()
			f.value = build(&fixtureTB{TB: t, fs: fs})
			ok = true
		}()
		f.built = true
	}
	if f.failedIn != "" {
		t.Fatalf("shared fixture %q could not be built (see %s)", name, f.failedIn)
	}
	v, ok := f.value.(T)
	if !ok {
		t.Fatalf("shared fixture %q is a %T, asked for as a %T", name, f.value, v)
	}
	return v
}

// Cleanup runs the cleanups the fixtures' builds registered, last first,
// and removes their temporary directories.
func (fs *Fixtures) Cleanup() {
	fs.mu.Lock()
	cleanups, dir := fs.cleanups, fs.dir
	fs.cleanups, fs.dir, fs.byName = nil, "", nil
	fs.mu.Unlock()
	for _, c := range slices.Backward(cleanups) {
		c()
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
}

func (fs *Fixtures) entry(name string) *fixture {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.byName == nil {
		fs.byName = map[string]*fixture{}
	}
	f := fs.byName[name]
	if f == nil {
		f = &fixture{}
		fs.byName[name] = f
	}
	return f
}

func (fs *Fixtures) tempDir() (string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.dir == "" {
		dir, err := os.MkdirTemp("", "gobake-fixtures-")
		if err != nil {
			return "", err
		}
		fs.dir = dir
	}
	return os.MkdirTemp(fs.dir, "")
}

// fixtureTB is the testing.TB a fixture is built with: the asking test's,
// but with temporary directories and cleanups that last until
// Fixtures.Cleanup.
type fixtureTB struct {
	testing.TB
	fs *Fixtures
}

// TempDir returns a new directory removed by Fixtures.Cleanup.
func (f *fixtureTB) TempDir() string {
	f.Helper()
	dir, err := f.fs.tempDir()
	if err != nil {
		f.Fatalf("fixture temporary directory: %v", err)
	}
	return dir
}

// Cleanup registers fn to run at Fixtures.Cleanup.
func (f *fixtureTB) Cleanup(fn func()) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	f.fs.cleanups = append(f.fs.cleanups, fn)
}

// Setenv fails: a fixture outlives the test, its environment would not.
func (f *fixtureTB) Setenv(key, value string) {
	f.Helper()
	f.Fatalf("a shared fixture cannot set $%s: it would be reset when %s ends", key, f.Name())
}

// Chdir fails for the same reason as Setenv.
func (f *fixtureTB) Chdir(dir string) {
	f.Helper()
	f.Fatalf("a shared fixture cannot change directory to %s", dir)
}

// Context returns a context that is never cancelled: the test's is
// cancelled when the test ends, the fixture lives on.
func (f *fixtureTB) Context() context.Context { return context.Background() }
