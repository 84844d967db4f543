package testutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// gobakeTimeout bounds one run of the gobake binary: a guard against a
// hang, not a speed check, below the 30 minutes scripts/test.sh gives a
// package. A cold build of the sample (the standard library compiled for
// two platforms from an empty GOCACHE) beside eight parallel e2e tests has
// taken over 12 minutes on two cores that other work kept busy.
const gobakeTimeout = 20 * time.Minute

// Gobake is the gobake binary of the repository under test, built at most
// once per test binary. Declare one in the test package and run the tests
// through Main, which gives them a temporary home and removes the binary
// afterwards:
//
//	var gobake testutil.Gobake
//
//	func TestMain(m *testing.M) { testutil.Main(m, gobake.Cleanup) }
type Gobake struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Path builds ./cmd/gobake on first use (go build -o into a temporary
// directory) and returns the binary's path.
func (g *Gobake) Path(t testing.TB) string {
	t.Helper()
	g.once.Do(func() {
		root, err := findRepoRoot()
		if err != nil {
			g.err = err
			return
		}
		g.dir, g.err = os.MkdirTemp("", "gobake-bin-")
		if g.err != nil {
			return
		}
		g.path = filepath.Join(g.dir, "gobake")
		// -trimpath, as the GitHub workflow test's `go install` builds
		// gobake: so that both share the compiled dependencies in the build
		// cache instead of compiling them twice on a cold machine.
		out, err := run(t, root, nil, "go", "build", "-trimpath", "-o", g.path, "./cmd/gobake")
		if err != nil {
			g.err = fmt.Errorf("go build ./cmd/gobake: %w\n%s", err, out.Stderr)
		}
	})
	if g.err != nil {
		t.Fatal(g.err)
	}
	return g.path
}

// Cleanup removes the built binary.
func (g *Gobake) Cleanup() {
	if g.dir != "" {
		os.RemoveAll(g.dir)
	}
}

// Run runs gobake with args in dir. The process inherits the environment
// minus GOBAKE_* and SOURCE_DATE_EPOCH, then env (KEY=VALUE, later wins);
// its binary cache is under the temporary home Main sets, shared by the
// package's tests. Run fails t when the package does not use Main.
// A non-zero exit is reported in the Output, not as a failure.
func (g *Gobake) Run(t testing.TB, dir string, env []string, args ...string) Output {
	t.Helper()
	return g.Start(t, dir, env, args...).Wait(t)
}

// Running is a gobake process started by Start.
type Running struct {
	cmd            *exec.Cmd
	args           []string
	start          time.Time
	stdout, stderr strings.Builder
	cancel         context.CancelFunc
	ctx            context.Context
	done           chan struct{}
	err            error
	out            Output
}

// Start starts gobake as Run runs it and returns at once: a test starts
// its longest run early, say, before it waits for its turn among the
// parallel tests. Wait for it with Wait; if the test ends first, the
// process is killed.
func (g *Gobake) Start(t testing.TB, dir string, env []string, args ...string) *Running {
	t.Helper()
	requireIsolatedHome(t, "gobake")
	bin := g.Path(t)
	r := &Running{args: args, done: make(chan struct{})}
	r.ctx, r.cancel = context.WithTimeout(context.Background(), gobakeTimeout)
	r.cmd = exec.CommandContext(r.ctx, bin, args...)
	r.cmd.Dir = dir
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GOBAKE_") || strings.HasPrefix(kv, "SOURCE_DATE_EPOCH=") {
			continue
		}
		r.cmd.Env = append(r.cmd.Env, kv)
	}
	r.cmd.Env = append(r.cmd.Env, env...)
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	r.start = time.Now()
	if err := r.cmd.Start(); err != nil {
		r.cancel()
		t.Fatalf("run gobake %s: %v", strings.Join(args, " "), err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.cancel() // kills it, if the test ended without waiting
		<-r.done
	})
	return r
}

// Wait waits for the run to end and returns what it wrote and how it
// exited, as Run does.
func (r *Running) Wait(t testing.TB) Output {
	t.Helper()
	<-r.done
	defer r.cancel()
	out := Output{Stdout: r.stdout.String(), Stderr: r.stderr.String()}
	if ps := r.cmd.ProcessState; ps != nil {
		// The CPU time covers the go builds gobake waited for: what a
		// test's gobake runs cost the suite (go test -v shows it).
		t.Logf("gobake %s: exit %d, %.1fs wall, %.1fs CPU", strings.Join(r.args, " "), ps.ExitCode(),
			time.Since(r.start).Seconds(), (ps.UserTime() + ps.SystemTime()).Seconds())
	}
	var exit *exec.ExitError
	switch {
	case errors.As(r.err, &exit):
		out.ExitCode = exit.ExitCode()
	case r.err != nil:
		t.Fatalf("run gobake %s: %v", strings.Join(r.args, " "), r.err)
	}
	if r.ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("gobake %s timed out after %s:\n%s", strings.Join(r.args, " "), gobakeTimeout, out)
	}
	return out
}

// MustRun is Run that fails t unless gobake exits 0.
func (g *Gobake) MustRun(t testing.TB, dir string, env []string, args ...string) Output {
	t.Helper()
	out := g.Run(t, dir, env, args...)
	if out.ExitCode != 0 {
		t.Fatalf("gobake %s: %s", strings.Join(args, " "), out)
	}
	return out
}
