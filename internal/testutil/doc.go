// Package testutil is the harness of gobake's end-to-end tests: a real
// registry (Debian's docker-registry) on 127.0.0.1, skopeo and podman
// runners, the gobake binary built once per test binary, and copies of the
// sample monorepo under testdata/monorepo. Main gives a package's tests a
// temporary home, so nothing they run writes to the user's; Fixtures and
// Shared let tests that only read a build share one. Unit tests of
// several packages take from it an in-memory registry (InMemoryRegistry),
// a signing key (SigningKey) and the layers of a pushed artifact (Layer).
//
// Every helper that needs an external program fails the test, naming the
// Debian package to install, when the program is missing: nothing is
// skipped silently.
package testutil

import (
	"fmt"
	"os/exec"
	"testing"
)

// lookTool returns the path of the program name, failing t with the Debian
// package that provides it when it is not installed.
func lookTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required by this test but not installed (apt-get install -y %s, or run scripts/test.sh as root): %v", name, pkg, err)
	}
	return p
}

// Output is what a finished command wrote and how it exited.
type Output struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// String summarises o for failure messages.
func (o Output) String() string {
	return fmt.Sprintf("exit code %d\n--- stdout\n%s\n--- stderr\n%s", o.ExitCode, o.Stdout, o.Stderr)
}
