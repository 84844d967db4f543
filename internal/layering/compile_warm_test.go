package layering

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/testutil"
)

// TestWarm: after Warm of a library, the go build of a main importing it
// with the same settings (ldflags aside) compiles the main and not the
// library (go -x lists no compile of it), and Warm wrote no file; a
// package that does not build is an error naming it.
func TestWarm(t *testing.T) {
	dir := t.TempDir()
	nonce := fmt.Sprint(time.Now().UnixNano()) // a package no cache holds yet
	files := map[string]string{
		"go.mod":          "module example.com/warm\n\ngo 1.22\n",
		"lib/lib.go":      "package lib\n\nconst Nonce = \"" + nonce + "\"\n\nfunc Value() string { return Nonce }\n",
		"cmd/app/main.go": "package main\n\nimport \"example.com/warm/lib\"\n\nfunc main() { println(lib.Value()) }\n",
		"bad/bad.go":      "package bad\n\nfunc Broken() { undefined() }\n",
	}
	testutil.WriteFiles(t, dir, files)
	plat := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	req := CompileRequest{Image: "app", Dir: dir, Main: "./cmd/app", Platform: plat, Ldflags: []string{"-X main.version=1"}}
	stale := func() string {
		t.Helper()
		cmd := exec.Command("go", "list", "-trimpath", "-f", "{{.Stale}}", "example.com/warm/lib")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := stale(); got != "true" {
		t.Fatalf("lib stale before Warm: %s, want true", got)
	}
	c := NewGoCompiler(WithBuildEnviron(os.Environ()))
	if err := c.Warm(context.Background(), req, []string{"example.com/warm/lib"}); err != nil {
		t.Fatal(err)
	}
	if got := stale(); got != "false" {
		t.Errorf("lib stale after Warm: %s, want false (in the build cache)", got)
	}
	req.Output = filepath.Join(t.TempDir(), "app")
	cmd, err := c.command(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Args = slices.Insert(cmd.Args, 2, "-x") // go build -x …: every command go runs, on stderr
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build of the main: %v\n%s", err, out)
	}
	compiled := func(pkg string) bool {
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "/compile ") && strings.Contains(line, " -p "+pkg+" ") {
				return true
			}
		}
		return false
	}
	if !compiled("main") {
		t.Fatalf("go build -x shows no compile of the main: is -x output as expected?\n%s", out)
	}
	if compiled("example.com/warm/lib") {
		t.Errorf("the build of the main compiled lib again after Warm:\n%s", out)
	}
	var written []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if rel, _ := filepath.Rel(dir, p); files[filepath.ToSlash(rel)] == "" {
				written = append(written, rel)
			}
		}
		return nil
	})
	if len(written) > 0 {
		t.Errorf("Warm wrote %v", written)
	}
	err = c.Warm(context.Background(), req, []string{"example.com/warm/bad"})
	if err == nil || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("Warm of a broken package: %v, want go's error", err)
	}
	if err := c.Warm(context.Background(), req, nil); err != nil {
		t.Errorf("Warm of nothing: %v", err)
	}
}
