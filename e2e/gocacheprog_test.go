package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/testutil"
)

// goCacher is the GOCACHEPROG program the shared build cache test runs:
// go-cacher of github.com/bradfitz/go-tool-cache, by the author of the
// GOCACHEPROG proposal, kept up to date with the protocol (Go 1.24+). Its
// disk backend (--cache-dir) is the simplest shared cache there is, and
// the command's only dependency outside the standard library is
// github.com/pierrec/lz4, so installing it costs a few CPU-seconds.
// scripts/test.sh installs this version (and so puts its modules in the
// module cache); keep the two in step.
const goCacher = "github.com/bradfitz/go-tool-cache/cmd/go-cacher@v0.0.0-20260722201841-0bb331e19f64"

// toolLog is a -toolexec program: it appends the name of every compile
// and link that go build runs to $GOBAKE_TEST_TOOLLOG, leaving out the
// version queries (-V=full) go makes to key its cache, then runs the tool.
const toolLog = `#!/bin/sh
tool=$(basename "$1")
case "$tool" in
compile|link)
	for a in "$@"; do
		if [ "$a" = "-V=full" ]; then exec "$@"; fi
	done
	echo "$tool" >>"$GOBAKE_TEST_TOOLLOG" ;;
esac
exec "$@"
`

// TestGOCACHEPROGSharedCache installs a published GOCACHEPROG program
// with go install and builds a small repository on two "runners": each
// with its own checkout (at another path), its own empty GOCACHE and no
// gobake output cache, sharing only the program's cache directory. The
// first compiles; the second compiles nothing (every compile is a cache
// hit through the program: only the link runs, as go build -o always
// links) and gives the same image.
func TestGOCACHEPROGSharedCache(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	// Installed from the module cache, which scripts/test.sh fills (the
	// tests reach no network): the cache's download directory serves as
	// the module proxy; its modules were verified when downloaded.
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	install := exec.Command("go", "install", goCacher)
	install.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=", "GOSUMDB=off",
		"GOPROXY=file://"+filepath.Join(strings.TrimSpace(string(gomodcache)), "cache", "download"))
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install %s from the module cache (scripts/test.sh downloads it; or run go install %s): %v\n%s", goCacher, goCacher, err, out)
	}
	toolexec := filepath.Join(tmp, "toollog.sh")
	if err := os.WriteFile(toolexec, []byte(toolLog), 0o755); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(tmp, "shared-cache")
	src := writeHelloRepo(t, filepath.Join(tmp, "src"))

	type runner struct {
		stdout string
		tools  map[string]int // compile and link runs
	}
	build := func(name string) runner {
		t.Helper()
		dir := filepath.Join(tmp, name)
		if err := testutil.CopyDir(src, dir); err != nil {
			t.Fatal(err)
		}
		log := filepath.Join(tmp, name+".tools")
		env := []string{
			"GOCACHEPROG=" + filepath.Join(bin, "go-cacher") + " --cache-dir " + shared,
			"GOCACHE=" + filepath.Join(tmp, name+".gocache"),
			"GOBAKE_CACHE=off",
			"GOFLAGS=-toolexec=" + toolexec,
			"GOBAKE_TEST_TOOLLOG=" + log,
			"GOPROXY=off",
		}
		out := gobake.MustRun(t, dir, env, "build", "--oci-layout", filepath.Join(tmp, name+".oci"), "--sbom", "none")
		b, err := os.ReadFile(log)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		tools := map[string]int{}
		for _, l := range strings.Fields(string(b)) {
			tools[l]++
		}
		return runner{stdout: out.Stdout, tools: tools}
	}
	first := build("runner1")
	if first.tools["compile"] == 0 {
		t.Fatalf("the first runner compiled nothing (tools %v): is GOCACHE really empty, -toolexec honoured?", first.tools)
	}
	second := build("runner2")
	if diff := cmp.Diff(map[string]int{"link": 1}, second.tools); diff != "" {
		t.Errorf("second runner, same GOCACHEPROG cache: tools run (-want +got):\n%s\n(first runner ran %v)", diff, first.tools)
	}
	if first.stdout != second.stdout {
		t.Errorf("the runners built different images:\n%s\n%s", first.stdout, second.stdout)
	}
}

// writeHelloRepo writes a module with one image, hello, whose main
// imports a package of its own, into dir and returns dir.
func writeHelloRepo(t *testing.T, dir string) string {
	t.Helper()
	files := map[string]string{
		"go.mod":            "module example.com/hello\n\ngo 1.22\n",
		"greet/greet.go":    "package greet\n\n// Hello greets.\nfunc Hello() string { return \"hello\" }\n",
		"cmd/hello/main.go": "package main\n\nimport \"example.com/hello/greet\"\n\nfunc main() { println(greet.Hello()) }\n",
		"gobake.yaml":       "version: 1\ndefaults:\n  base: scratch\nimages:\n  hello:\n    main: ./cmd/hello\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
