package layering

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestInputsPath: every setting a binary depends on besides its input
// digest changes the key it is kept under, and builds go cannot repeat
// from the key alone are not kept.
func TestInputsPath(t *testing.T) {
	dir := t.TempDir()
	noErr(t, os.MkdirAll(filepath.Join(dir, "cmd", "pgo"), 0o755))
	noErr(t, os.WriteFile(filepath.Join(dir, "cmd", "pgo", "default.pgo"), nil, 0o644))
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	base := CompileRequest{Image: "api", Dir: dir, Main: "./cmd/api", Platform: amd64,
		Env: []string{"A=1"}, Flags: []string{"-tags=x"}, Ldflags: []string{"-X main.version=1"},
		Output: "/tmp/a/api", Inputs: "sha256:aaaa"}
	environ := []string{"HOME=/root", "GOFLAGS=-mod=mod", "GOBAKE_REGISTRY=r1", "GOMAXPROCS=2"}
	c := NewGoCompiler(WithOutputCache(t.TempDir()), WithBuildEnviron(environ))
	key := c.inputsPath(base)
	if key == "" {
		t.Fatal("no key for a plain request")
	}
	if c.inputsPath(base) != key {
		t.Fatal("the key of one request varies")
	}

	same := []struct {
		name   string
		change func(r *CompileRequest, environ *[]string)
	}{
		{"image name", func(r *CompileRequest, _ *[]string) { r.Image = "other" }},
		{"output path", func(r *CompileRequest, _ *[]string) { r.Output = "/tmp/b/api" }},
		{"gobake's variables", func(_ *CompileRequest, e *[]string) { *e = append(*e, "GOBAKE_REGISTRY=r2") }},
		{"GOMAXPROCS", func(_ *CompileRequest, e *[]string) { *e = append(*e, "GOMAXPROCS=8") }},
		{"other variables", func(_ *CompileRequest, e *[]string) { *e = append(*e, "HOME=/home/x") }},
	}
	for _, tt := range same {
		r, env := base, append([]string(nil), environ...)
		tt.change(&r, &env)
		c := NewGoCompiler(WithOutputCache(c.cacheDir), WithBuildEnviron(env))
		if got := c.inputsPath(r); got != key {
			t.Errorf("%s changed the key", tt.name)
		}
	}

	changed := []struct {
		name   string
		change func(r *CompileRequest, environ *[]string)
	}{
		{"input digest", func(r *CompileRequest, _ *[]string) { r.Inputs = "sha256:bbbb" }},
		{"env", func(r *CompileRequest, _ *[]string) { r.Env = []string{"A=2"} }},
		{"flags", func(r *CompileRequest, _ *[]string) { r.Flags = []string{"-tags=y"} }},
		{"ldflags", func(r *CompileRequest, _ *[]string) { r.Ldflags = []string{"-X main.version=2"} }},
		{"ldflags split", func(r *CompileRequest, _ *[]string) { r.Ldflags = []string{"-X", "main.version=1"} }},
		{"main", func(r *CompileRequest, _ *[]string) { r.Main = "./cmd/web" }},
		{"dir", func(r *CompileRequest, _ *[]string) { r.Dir = filepath.Join(dir, "sub") }},
		{"architecture", func(r *CompileRequest, _ *[]string) { r.Platform.Architecture = "arm64" }},
		{"variant", func(r *CompileRequest, _ *[]string) {
			r.Platform = v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
		}},
		{"os version", func(r *CompileRequest, _ *[]string) { r.Platform.OSVersion = "10.0" }},
		{"GOFLAGS", func(_ *CompileRequest, e *[]string) { *e = append(*e, "GOFLAGS=-mod=vendor") }},
		{"GOAMD64", func(_ *CompileRequest, e *[]string) { *e = append(*e, "GOAMD64=v3") }},
		{"GOCACHE", func(_ *CompileRequest, e *[]string) { *e = append(*e, "GOCACHE=/elsewhere") }},
		{"GOEXPERIMENT", func(_ *CompileRequest, e *[]string) { *e = append(*e, "GOEXPERIMENT=jsonv2") }},
		{"CGO_CFLAGS", func(_ *CompileRequest, e *[]string) { *e = append(*e, "CGO_CFLAGS=-O3") }},
	}
	seen := map[string]string{key: "base"}
	for _, tt := range changed {
		r, env := base, append([]string(nil), environ...)
		tt.change(&r, &env)
		got := NewGoCompiler(WithOutputCache(c.cacheDir), WithBuildEnviron(env)).inputsPath(r)
		if got == "" {
			t.Errorf("%s: not kept", tt.name)
		} else if prev, ok := seen[got]; ok {
			t.Errorf("%s gives the key of %s", tt.name, prev)
		}
		seen[got] = tt.name
	}

	notKept := []struct {
		name   string
		change func(r *CompileRequest, environ *[]string)
	}{
		{"no input digest", func(r *CompileRequest, _ *[]string) { r.Inputs = "" }},
		{"cgo", func(r *CompileRequest, _ *[]string) { r.Env = []string{"CGO_ENABLED=1"} }},
		{"-a", func(r *CompileRequest, _ *[]string) { r.Flags = []string{"-a"} }},
		{"-a in GOFLAGS", func(_ *CompileRequest, e *[]string) { *e = append(*e, "GOFLAGS=-mod=mod -a") }},
		{"-toolexec", func(r *CompileRequest, _ *[]string) { r.Flags = []string{"-toolexec", "x"} }},
		{"-overlay", func(r *CompileRequest, _ *[]string) { r.Flags = []string{"-overlay=o.json"} }},
		{"-pgo file", func(r *CompileRequest, _ *[]string) { r.Flags = []string{"-pgo=cpu.pprof"} }},
		{"default.pgo", func(r *CompileRequest, _ *[]string) { r.Main = "./cmd/pgo" }},
	}
	for _, tt := range notKept {
		r, env := base, append([]string(nil), environ...)
		tt.change(&r, &env)
		c := NewGoCompiler(WithOutputCache(c.cacheDir), WithBuildEnviron(env))
		if got := c.inputsPath(r); got != "" {
			t.Errorf("%s: kept by inputs", tt.name)
		}
	}
	if NewGoCompiler(WithBuildEnviron(environ)).inputsPath(base) != "" {
		t.Error("no output cache: kept by inputs")
	}
	r := base
	r.Main, r.Flags = "./cmd/pgo", []string{"-pgo=off"}
	if c.inputsPath(r) == "" {
		t.Error("-pgo=off beside default.pgo: not kept")
	}
}

// TestGoCompilerReuse runs a real go (through a wrapper that counts its
// runs): a request whose inputs and settings were built before gets the
// same binary without go; a changed input digest or ldflags runs go and
// gives the new binary; cgo builds always run go; a slot keeps at most
// maxInputsPerSlot binaries.
func TestGoCompilerReuse(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	goBin, err := exec.LookPath("go")
	noErr(t, err)
	work := t.TempDir()
	count := filepath.Join(work, "count")
	wrapper := filepath.Join(work, "go")
	noErr(t, os.WriteFile(wrapper, []byte("#!/bin/sh\necho run >>"+count+"\nexec "+goBin+" \"$@\"\n"), 0o755))
	runs := func() int {
		b, _ := os.ReadFile(count)
		return bytes.Count(b, []byte("run"))
	}
	dir := writeMain(t, `package main

var version = "dev"

func main() { println(version) }
`)
	p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	c := NewGoCompiler(WithGoBinary(wrapper), WithOutputCache(filepath.Join(work, "cache")))
	build := func(inputs string, ldflags []string, env ...string) []byte {
		t.Helper()
		req := CompileRequest{Image: "app", Dir: dir, Main: ".", Platform: p, Env: env, Ldflags: ldflags,
			Output: filepath.Join(t.TempDir(), "app"), Inputs: inputs}
		for i, err := range c.CompileAll(context.Background(), []CompileRequest{req}) {
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		b, err := os.ReadFile(req.Output)
		noErr(t, err)
		return b
	}
	v1ld := []string{"-X main.version=1"}
	first := build("sha256:1", v1ld)
	if runs() != 1 {
		t.Fatalf("go ran %d times for the first build, want 1", runs())
	}
	if again := build("sha256:1", v1ld); runs() != 1 || !bytes.Equal(again, first) {
		t.Errorf("same inputs: go ran %d times in all (want 1), same binary %v", runs(), bytes.Equal(again, first))
	}
	// New inputs: go runs (and finds its slot binary up to date, as the
	// source did not really change here).
	if got := build("sha256:2", v1ld); runs() != 2 || !bytes.Equal(got, first) {
		t.Errorf("new inputs: go ran %d times in all (want 2), same binary %v", runs(), bytes.Equal(got, first))
	}
	second := build("sha256:2", []string{"-X main.version=2"})
	if runs() != 3 || bytes.Equal(second, first) || !bytes.Contains(second, []byte("2")) {
		t.Errorf("new ldflags: go ran %d times in all (want 3), binary changed %v", runs(), !bytes.Equal(second, first))
	}
	// Both versions are kept: switching back runs no go.
	if got := build("sha256:1", v1ld); runs() != 3 || !bytes.Equal(got, first) {
		t.Errorf("back to the first inputs: go ran %d times in all (want 3), first binary %v", runs(), bytes.Equal(got, first))
	}
	if got := build("sha256:2", []string{"-X main.version=2"}); runs() != 3 || !bytes.Equal(got, second) {
		t.Errorf("back to the second inputs: go ran %d times in all (want 3), second binary %v", runs(), bytes.Equal(got, second))
	}
	// cgo: never reused (go is left to check C files and compilers).
	build("sha256:1", v1ld, "CGO_ENABLED=1")
	build("sha256:1", v1ld, "CGO_ENABLED=1")
	if runs() != 5 {
		t.Errorf("cgo builds: go ran %d times in all, want 5", runs())
	}
	// Many versions: the slot keeps the newest few.
	for v := range maxInputsPerSlot + 2 {
		build("sha256:many", []string{"-X main.version=" + strings.Repeat("v", v+3)})
	}
	slots, err := os.ReadDir(filepath.Join(work, "cache", "bin"))
	noErr(t, err)
	for _, s := range slots {
		entries, err := os.ReadDir(filepath.Join(work, "cache", "bin", s.Name()))
		noErr(t, err)
		n := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), inputsPrefix) {
				n++
			} else if e.Name() != "app" {
				t.Errorf("slot %s holds %s", s.Name(), e.Name())
			}
		}
		if n > maxInputsPerSlot {
			t.Errorf("slot %s keeps %d binaries by inputs, want at most %d", s.Name(), n, maxInputsPerSlot)
		}
	}
}

// TestGoCompilerHandsOverEarly: of two binaries one go command links, the
// first is reported done while the command still runs. The go here is a
// script that links a, then waits for a's report (a file the test's done
// writes) before it links b, failing if the report does not come.
func TestGoCompilerHandsOverEarly(t *testing.T) {
	work := t.TempDir()
	signal := filepath.Join(work, "a-reported")
	script := `#!/bin/sh
out=
while [ $# -gt 0 ]; do [ "$1" = -o ] && out=$2; shift; done
[ -n "$GOTMPDIR" ] || { echo "no GOTMPDIR" >&2; exit 1; }
link() { printf 'binary %s' "$1" >"$GOTMPDIR/$1.tmp" && mv "$GOTMPDIR/$1.tmp" "$out$1"; }
link a
i=0
while [ ! -e ` + signal + ` ]; do
  i=$((i+1)); [ $i -gt 200 ] && { echo "a was not reported before go ended" >&2; exit 1; }
  sleep 0.1
done
link b
`
	goBin := filepath.Join(work, "go")
	noErr(t, os.WriteFile(goBin, []byte(script), 0o755))
	p := v1.Platform{OS: "linux", Architecture: "amd64"}
	out := t.TempDir()
	reqs := []CompileRequest{
		{Image: "a", Dir: work, Main: "./cmd/a", Platform: p, Output: filepath.Join(out, "a")},
		{Image: "b", Dir: work, Main: "./cmd/b", Platform: p, Output: filepath.Join(out, "b")},
	}
	c := NewGoCompiler(WithGoBinary(goBin), WithOutputCache(filepath.Join(work, "cache")))
	var order []string
	c.CompileEach(context.Background(), reqs, func(i int, err error) {
		noErr(t, err)
		b, err := os.ReadFile(reqs[i].Output)
		noErr(t, err)
		if want := "binary " + reqs[i].Image; string(b) != want {
			t.Errorf("%s: %q, want %q", reqs[i].Image, b, want)
		}
		order = append(order, reqs[i].Image)
		if i == 0 {
			noErr(t, os.WriteFile(signal, nil, 0o644))
		}
	})
	if diff := cmp.Diff([]string{"a", "b"}, order); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
}
