package main

import (
	"bytes"
	"errors"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/gobake/gobake/internal/testutil"
)

// writeFiles writes files (path: content) under a new temporary directory
// and returns its gobake.yaml.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		noErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		noErr(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return filepath.Join(dir, "gobake.yaml")
}

// twoImages is a repository of two tiny images, hello and world, both
// importing the package lib whose source is libSource.
func twoImages(t *testing.T, libSource string) string {
	return writeFiles(t, map[string]string{
		"go.mod":            "module example.com/two\n\ngo 1.22\n",
		"lib/lib.go":        libSource,
		"cmd/hello/main.go": "package main\n\nimport \"example.com/two/lib\"\n\nfunc main() { println(lib.Name) }\n",
		"cmd/world/main.go": "package main\n\nimport \"example.com/two/lib\"\n\nfunc main() { println(lib.Name + \"!\") }\n",
		"gobake.yaml": "version: 1\ndefaults:\n  base: scratch\nimages:\n" +
			"  hello:\n    main: ./cmd/hello\n  world:\n    main: ./cmd/world\n",
	})
}

// runInTerminal runs gobake with args, its stdin and stderr a
// pseudo-terminal, and returns what it printed there, its stdout and its
// exit code.
func runInTerminal(t *testing.T, args ...string) (term, stdout string, code int) {
	t.Helper()
	cmd := gobakeProcess(t, nil, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 160})
	if err != nil {
		t.Fatalf("start gobake under a pseudo-terminal: %v", err)
	}
	defer tty.Close()
	var got bytes.Buffer
	_, err = io.Copy(&got, tty)
	if err != nil && !errors.Is(err, syscall.EIO) { // EIO: the terminal's last process exited
		t.Fatalf("read the pseudo-terminal: %v", err)
	}
	err = cmd.Wait()
	var exit interface{ ExitCode() int }
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("gobake: %v", err)
	}
	return got.String(), out.String(), cmd.ProcessState.ExitCode()
}

// escape matches the start of an ANSI escape sequence.
var escape = regexp.MustCompile("\x1b\\[")

// TestProgressTerminal runs gobake build under a pseudo-terminal: bars are
// drawn (escape sequences), the final table names every image with its
// platform and reference, and a compiler error shared by both images is
// shown once. With --progress=plain, the same terminal gets the plain
// lines and no escape sequence.
func TestProgressTerminal(t *testing.T) {
	host := testutil.InMemoryRegistry(t, registry.Logger(log.New(io.Discard, "", 0)))

	t.Run("bars and table", func(t *testing.T) {
		cfg := twoImages(t, "package lib\n\nconst Name = \"two\"\n")
		term, stdout, code := runInTerminal(t, "--config", cfg, "build", "--registry", host+"/acme", "--platform", "linux/amd64")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, term)
		}
		if !escape.MatchString(term) {
			t.Errorf("no escape sequence on the terminal, so no bars:\n%q", term)
		}
		if strings.Contains(term, "building hello for") {
			t.Errorf("plain lines among the bars:\n%s", term)
		}
		table := term[max(strings.LastIndex(term, "IMAGE"), 0):]
		for _, image := range []string{"hello", "world"} {
			row := regexp.MustCompile(`(?m)^` + image + ` +linux/amd64 +` + regexp.QuoteMeta(host+"/acme/"+image+"@sha256:") + `[0-9a-f]{64} +[0-9.]+m?s\r?$`)
			if !row.MatchString(table) {
				t.Errorf("the final table has no row for %s:\n%s", image, table)
			}
			if !strings.Contains(stdout, host+"/acme/"+image+"@sha256:") {
				t.Errorf("stdout does not name %s:\n%s", image, stdout)
			}
		}
		if !strings.Contains(term, "push") && !strings.Contains(term, "done") {
			t.Errorf("no phase shown:\n%s", term)
		}
	})

	t.Run("compiler error once", func(t *testing.T) {
		cfg := twoImages(t, "package lib\n\nconst Name = undefinedName\n")
		term, _, code := runInTerminal(t, "--config", cfg, "build", "--registry", host+"/acme", "--platform", "linux/amd64")
		if code == 0 {
			t.Fatalf("exit 0 on a compiler error:\n%s", term)
		}
		if n := strings.Count(term, "undefined: undefinedName"); n != 1 {
			t.Errorf("the compiler error is shown %d times, want once:\n%s", n, term)
		}
		table := term[max(strings.LastIndex(term, "IMAGE"), 0):]
		for _, image := range []string{"hello", "world"} {
			if !regexp.MustCompile(`(?m)^` + image + ` +linux/amd64 +failed `).MatchString(table) {
				t.Errorf("the final table does not show %s failed:\n%s", image, table)
			}
		}
	})

	t.Run("plain", func(t *testing.T) {
		cfg := twoImages(t, "package lib\n\nconst Name = \"plain\"\n")
		term, _, code := runInTerminal(t, "--config", cfg, "build", "--progress=plain", "--oci-layout", filepath.Join(t.TempDir(), "oci"))
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, term)
		}
		if escape.MatchString(term) {
			t.Errorf("escape sequences with --progress=plain:\n%q", term)
		}
		for _, line := range []string{"building hello for linux/amd64", "building world for linux/amd64", "published 2 image(s) to OCI layout"} {
			if !strings.Contains(term, line) {
				t.Errorf("no line %q:\n%s", line, term)
			}
		}
	})
}

// TestProgressForced runs gobake build in-process with stderr a buffer:
// --progress=tty draws bars there anyway and ends with the table, and
// --quiet wins over it.
func TestProgressForced(t *testing.T) {
	cfg := twoImages(t, "package lib\n\nconst Name = \"forced\"\n")
	for _, tc := range []struct {
		name      string
		args      []string
		wantTable bool
	}{
		{name: "tty", args: []string{"--progress=tty"}, wantTable: true},
		{name: "quiet", args: []string{"--progress=tty", "--quiet"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--config", cfg, "build", "--oci-layout", filepath.Join(t.TempDir(), "oci"), "--platform", "linux/amd64"}, tc.args...)
			if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			table := regexp.MustCompile(`(?m)^IMAGE +PLATFORMS +REFERENCE +TIME\n(hello|world) +linux/amd64 +(hello|world)@sha256:[0-9a-f]{64} +\S+\n(hello|world) `)
			if got := table.MatchString(stderr.String()); got != tc.wantTable {
				t.Errorf("table shown = %v, want %v:\n%s", got, tc.wantTable, stderr.String())
			}
			if !tc.wantTable && strings.Contains(stderr.String(), "hello") {
				t.Errorf("progress shown with --quiet:\n%s", stderr.String())
			}
			if strings.Contains(stderr.String(), "building hello") {
				t.Errorf("plain lines with --progress=tty:\n%s", stderr.String())
			}
		})
	}
}
