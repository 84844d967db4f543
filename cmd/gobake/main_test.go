package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gobake/gobake/internal/testutil"
)

// asMainEnv makes the test binary run gobake's main with its arguments
// after "--", so that tests can signal a real gobake process without
// building the binary.
const asMainEnv = "GOBAKE_TEST_AS_MAIN"

// TestMain gives the tests a temporary home (builds keep their binaries in
// the user cache directory, which must not be the user's), or runs
// gobake's main when asMainEnv is set.
func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"gobake"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		return
	}
	testutil.Main(m)
}

// gobakeProcess returns a command running gobake's main with args.
func gobakeProcess(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$", "--"}, args...)...)
	cmd.Env = append(append(os.Environ(), asMainEnv+"=1"), env...)
	return cmd
}

// TestSIGTERMStopsBuild sends SIGTERM to a gobake build while go build is
// compiling (an empty Go build cache makes it compile the runtime): gobake
// must exit within a few seconds, and no go, compile or link process it
// started may outlive it.
func TestSIGTERMStopsBuild(t *testing.T) {
	cfg := writeRepo(t)
	marker := fmt.Sprintf("GOBAKE_SIGNAL_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())
	cmd := gobakeProcess(t, []string{"GOCACHE=" + t.TempDir(), "GOBAKE_CACHE=off", marker},
		"--config", cfg, "build", "--oci-layout", filepath.Join(t.TempDir(), "oci"))
	stderr, err := cmd.StderrPipe()
	noErr(t, err)
	noErr(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// Wait until the build has started, then a little longer so that go
	// build is busy compiling.
	var log bytes.Buffer
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "building hello") {
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(2 * time.Minute):
		t.Fatalf("gobake never started building:\n%s", log.String())
	}
	for !hasProcess(marker, "compile") {
		time.Sleep(50 * time.Millisecond)
	}

	noErr(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("gobake exited 0 after SIGTERM mid-build")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("gobake still running 10s after SIGTERM:\n%s", log.String())
	}
	// The group was killed before gobake exited; give the kernel a moment
	// to reap it, not long enough for a compile to finish on its own.
	time.Sleep(300 * time.Millisecond)
	if hasProcess(marker, "") {
		t.Errorf("go build processes outlive gobake after SIGTERM")
	}
}

// hasProcess reports whether a process whose environment holds marker
// (KEY=VALUE) and whose command line contains name is running.
func hasProcess(marker, name string) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		env, err := os.ReadFile(filepath.Join(d, "environ"))
		if err != nil || !bytes.Contains(env, []byte(marker+"\x00")) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(d, "stat")); err == nil && bytes.Contains(stat, []byte(") Z ")) {
			continue // a zombie is already dead
		}
		cmdline, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		if strings.Contains(string(cmdline), name) {
			return true
		}
	}
	return false
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestKilledRunTempDirRemoved kills a gobake build with SIGKILL while it
// builds, so that nothing of it can clean up, then runs gobake again: the
// killed run's temporary directory (its gobake-* directories and go
// build's work) must be gone. The go command the killed run started must
// die with it rather than go on writing into that directory.
func TestKilledRunTempDirRemoved(t *testing.T) {
	cfg := writeRepo(t)
	tmp := t.TempDir()
	runs := filepath.Join(tmp, fmt.Sprintf("gobake-runs-%d", os.Getuid()))
	marker := fmt.Sprintf("GOBAKE_KILL_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())
	env := []string{"TMPDIR=" + tmp, "GOCACHE=" + t.TempDir(), "GOBAKE_CACHE=off", marker}
	cmd := gobakeProcess(t, env, "--config", cfg, "build", "--oci-layout", filepath.Join(t.TempDir(), "oci"))
	stderr, err := cmd.StderrPipe()
	noErr(t, err)
	noErr(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "building hello") {
	}
	// go build's command line ("go build -o OUT ..."), not gobake's.
	const goBuild = "build\x00-o\x00"
	for !hasProcess(marker, goBuild) {
		time.Sleep(20 * time.Millisecond)
	}
	noErr(t, cmd.Process.Kill())
	_ = cmd.Wait()
	killed, _ := filepath.Glob(filepath.Join(runs, "run-*"))
	if len(killed) == 0 {
		t.Fatalf("the killed run left nothing in %s: is its temporary directory elsewhere?", runs)
	}
	// The kernel kills go build with gobake; give it a moment to reap.
	waitGone := func(name string, limit time.Duration) bool {
		for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if !hasProcess(marker, name) {
				return true
			}
		}
		return false
	}
	if !waitGone(goBuild, 5*time.Second) {
		t.Errorf("go build outlives the gobake killed with SIGKILL")
	}
	// A compile go build had started may still finish its package.
	if !waitGone("", time.Minute) {
		t.Fatalf("processes of the killed run still running after a minute")
	}

	if out, err := gobakeProcess(t, env, "version").CombinedOutput(); err != nil {
		t.Fatalf("gobake version: %v\n%s", err, out)
	}
	if left, _ := filepath.Glob(filepath.Join(runs, "run-*")); len(left) != 0 {
		t.Errorf("after the next run, %s still holds %q", runs, left)
	}
}
