package testutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// toolTimeout bounds every skopeo, podman or git run.
const toolTimeout = 3 * time.Minute

// run runs a program and returns its output. err is non-nil when it could
// not start, timed out or exited non-zero.
func run(t testing.TB, dir string, env []string, prog string, args ...string) (Output, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := Output{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		out.ExitCode = exit.ExitCode()
	} else if err != nil {
		out.ExitCode = -1
	}
	return out, err
}

// skopeoTLSFlags are the flags, by subcommand, that let skopeo talk plain
// HTTP to the test registry.
var skopeoTLSFlags = map[string][]string{
	"inspect":   {"--tls-verify=false"},
	"list-tags": {"--tls-verify=false"},
	"delete":    {"--tls-verify=false"},
	"copy":      {"--src-tls-verify=false", "--dest-tls-verify=false"},
	"sync":      {"--src-tls-verify=false", "--dest-tls-verify=false"},
}

// SkopeoErr runs `skopeo [GLOBAL FLAGS] SUBCOMMAND ARGS...` with TLS
// verification off (the flags are inserted after the subcommand) and an
// accept-anything policy. It fails t only when skopeo is missing.
func SkopeoErr(t testing.TB, args ...string) (Output, error) {
	t.Helper()
	requireIsolatedHome(t, "skopeo")
	bin := lookTool(t, "skopeo", "skopeo")
	full := []string{"--insecure-policy"}
	for i, a := range args {
		if tls, ok := skopeoTLSFlags[a]; ok {
			full = append(full, args[:i+1]...)
			full = append(full, tls...)
			full = append(full, args[i+1:]...)
			break
		}
	}
	if len(full) == 1 {
		full = append(full, args...)
	}
	out, err := run(t, "", nil, bin, full...)
	if err != nil {
		return out, fmt.Errorf("skopeo %s: %w\n%s", strings.Join(args, " "), err, out.Stderr)
	}
	return out, nil
}

// Skopeo runs skopeo like SkopeoErr and returns its stdout, failing t when
// it exits non-zero.
func Skopeo(t testing.TB, args ...string) string {
	t.Helper()
	out, err := SkopeoErr(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out.Stdout
}

// PodmanStorage returns a new, short directory for Podman's storage
// (podman refuses a runroot longer than 50 characters, which t.TempDir
// paths often are), removed when the test ends.
func PodmanStorage(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pm")
	if err != nil {
		t.Fatalf("podman storage: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove podman storage: %v", err)
		}
	})
	return dir
}

// PodmanConf is containers.conf for the tests' podman runs (runc, lowered
// ulimits, cgroupfs), relative to the repository root; see the notes in it.
const PodmanConf = "internal/testutil/podman/containers.conf"

// Podman runs podman as root with its storage under storage (see
// PodmanStorage) and the repository's containers.conf (PodmanConf). It
// fails t when podman, runc or that file is missing; it returns the output
// and any error.
func Podman(t testing.TB, storage string, args ...string) (Output, error) {
	t.Helper()
	requireIsolatedHome(t, "podman")
	bin := lookTool(t, "podman", "podman")
	lookTool(t, "runc", "runc")
	conf := filepath.Join(RepoRoot(t), filepath.FromSlash(PodmanConf))
	if _, err := os.Stat(conf); err != nil {
		t.Fatalf("podman needs %s (runc runtime, lowered ulimits): %v", conf, err)
	}
	full := append([]string{
		"--root", filepath.Join(storage, "root"),
		"--runroot", filepath.Join(storage, "run"),
	}, args...)
	out, err := run(t, "", []string{"CONTAINERS_CONF=" + conf}, bin, full...)
	if err != nil {
		return out, fmt.Errorf("podman %s: %w\n%s", strings.Join(args, " "), err, out.Stderr)
	}
	return out, nil
}

// Git runs git in dir with a fixed identity, fixed dates and no user or
// system configuration, and returns its stdout; it fails t on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	bin := lookTool(t, "git", "git")
	env := []string{
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=gobake test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=gobake test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_AUTHOR_DATE=2024-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2024-01-02T03:04:05Z",
	}
	out, err := run(t, dir, env, bin, args...)
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.Stderr)
	}
	return out.Stdout
}

// GitInit makes dir a git repository on branch main with everything in it
// committed once, at a fixed date, so builds from it see a clean tree and a
// stable commit time.
func GitInit(t testing.TB, dir string) {
	t.Helper()
	Git(t, dir, "init", "-q", "-b", "main")
	Git(t, dir, "add", "-A")
	Git(t, dir, "commit", "-q", "-m", "sample")
}
