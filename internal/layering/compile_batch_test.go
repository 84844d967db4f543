package layering

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/platform"
)

func TestPlanUnits(t *testing.T) {
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 := v1.Platform{OS: "linux", Architecture: "arm64"}
	win := v1.Platform{OS: "windows", Architecture: "amd64"}
	req := func(main string, p v1.Platform, ldflags ...string) CompileRequest {
		return CompileRequest{Dir: "/repo", Main: main, Platform: p, Ldflags: ldflags, Output: "/out/" + filepath.Base(main) + "-bin"}
	}
	tests := []struct {
		name string
		reqs []CompileRequest
		want [][]compileUnit
	}{
		{
			name: "same settings share a command",
			reqs: []CompileRequest{req("./cmd/api", amd64, "-s"), req("./cmd/web", amd64, "-s")},
			want: [][]compileUnit{{{reqs: []int{0, 1}, names: []string{"api", "web"}}}},
		},
		{
			name: "platforms and ldflags split",
			reqs: []CompileRequest{req("./cmd/api", amd64, "-X a"), req("./cmd/api", arm64, "-X a"), req("./cmd/web", amd64, "-X b"), req("./cmd/ctl", arm64, "-X a")},
			want: [][]compileUnit{
				{{reqs: []int{0}, names: []string{"api"}}},
				{{reqs: []int{1, 3}, names: []string{"api", "ctl"}}},
				{{reqs: []int{2}, names: []string{"web"}}},
			},
		},
		{
			name: "same binary name goes to the next unit",
			reqs: []CompileRequest{req("./a/cmd/server", amd64), req("./b/cmd/server", amd64), req("./cmd/web", amd64)},
			want: [][]compileUnit{{
				{reqs: []int{0, 2}, names: []string{"server", "web"}},
				{reqs: []int{1}, names: []string{"server"}},
			}},
		},
		{
			name: "names go cannot be told from the path build alone",
			reqs: []CompileRequest{req(".", amd64), req("./cmd/tool/v2", amd64), req("./main.go", amd64), req("./cmd/...", amd64), req("./cmd/api", amd64)},
			want: [][]compileUnit{
				{{reqs: []int{0}, names: []string{".-bin"}}},
				{{reqs: []int{1}, names: []string{"v2-bin"}}},
				{{reqs: []int{2}, names: []string{"main.go-bin"}}},
				{{reqs: []int{3}, names: []string{"...-bin"}}},
				{{reqs: []int{4}, names: []string{"api"}}},
			},
		},
		{
			name: "windows binaries end in .exe",
			reqs: []CompileRequest{req("./cmd/api", win), req("./cmd/web", win)},
			want: [][]compileUnit{{{reqs: []int{0, 1}, names: []string{"api.exe", "web.exe"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planUnits(tt.reqs)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(compileUnit{})); diff != "" {
				t.Errorf("units (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGoCompilerCompileAll builds two good mains and a broken one with one
// configuration: the good binaries appear, the error names only the broken
// image, and a second run finds the cached binaries up to date.
func TestGoCompilerCompileAll(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		noErr(t, os.MkdirAll(filepath.Dir(p), 0o755))
		noErr(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("go.mod", "module example.com/m\n\ngo 1.22\n")
	write("cmd/good/main.go", "package main\n\nfunc main() { println(\"good\") }\n")
	write("cmd/also/main.go", "package main\n\nfunc main() { println(\"also\") }\n")
	write("cmd/bad/main.go", "package main\n\nfunc main() { undefinedThing() }\n")

	p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	out := t.TempDir()
	reqs := []CompileRequest{
		{Image: "good", Dir: dir, Main: "./cmd/good", Platform: p, Output: filepath.Join(out, "good")},
		{Image: "bad", Dir: dir, Main: "./cmd/bad", Platform: p, Output: filepath.Join(out, "bad")},
		{Image: "also", Dir: dir, Main: "./cmd/also", Platform: p, Output: filepath.Join(out, "also")},
	}
	cache := t.TempDir()
	c := NewGoCompiler(WithOutputCache(cache), WithCompileJobs(2))
	errs := c.CompileAll(context.Background(), reqs)
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("good mains failed: %v, %v", errs[0], errs[2])
	}
	if errs[1] == nil || !strings.Contains(errs[1].Error(), "go build bad for "+platform.Format(p)) ||
		!strings.Contains(errs[1].Error(), "undefined: undefinedThing") || strings.Contains(errs[1].Error(), "good") {
		t.Errorf("error of bad = %v", errs[1])
	}
	first, err := os.Stat(reqs[0].Output)
	noErr(t, err)

	reqs = []CompileRequest{reqs[0], reqs[2]}
	reqs[0].Output, reqs[1].Output = filepath.Join(t.TempDir(), "good"), filepath.Join(t.TempDir(), "also")
	for i, err := range c.CompileAll(context.Background(), reqs) {
		noErr(t, err)
		fi, err := os.Stat(reqs[i].Output)
		noErr(t, err)
		if i == 0 && !os.SameFile(first, fi) {
			t.Errorf("second build relinked %s instead of reusing the cached binary", reqs[i].Image)
		}
	}
	entries, err := os.ReadDir(cache)
	noErr(t, err)
	for _, e := range entries {
		if e.Name() != "bin" {
			t.Errorf("cache holds %s after the build", e.Name())
		}
	}
}
