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

func TestGoCompilerCommand(t *testing.T) {
	amd64 := v1.Platform{OS: "linux", Architecture: "amd64"}
	tests := []struct {
		name     string
		req      CompileRequest
		wantArgs []string
		wantEnv  []string // suffix after the base environment
	}{
		{
			name:     "defaults",
			req:      CompileRequest{Main: "./cmd/api", Platform: amd64, Output: "/tmp/x/api"},
			wantArgs: []string{"go", "build", "-o", "/tmp/x/api", "-trimpath", "-buildvcs=false", "./cmd/api"},
			wantEnv:  []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"},
		},
		{
			name: "user flags, ldflags, env and variant",
			req: CompileRequest{
				Main: ".", Output: "o", Platform: v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"},
				Flags:   []string{"-buildvcs=true", "-tags=netgo", "--trimpath=false"},
				Ldflags: []string{"-s", "-w", "-X main.version=1.2.3"},
				Env:     []string{"CGO_ENABLED=1", "FOO=bar"},
			},
			wantArgs: []string{"go", "build", "-o", "o", "-buildvcs=true", "-tags=netgo", "--trimpath=false", "-ldflags", "-s -w -X main.version=1.2.3", "."},
			wantEnv:  []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7", "CGO_ENABLED=1", "FOO=bar"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewGoCompiler(WithBuildEnviron([]string{"HOME=/root"}))
			cmd, err := c.command(context.Background(), tt.req)
			noErr(t, err)
			if diff := cmp.Diff(tt.wantArgs, cmd.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(append([]string{"HOME=/root"}, tt.wantEnv...), cmd.Env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

// writeMain writes a module with a main package to a new directory.
func writeMain(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	noErr(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.22\n"), 0o644))
	noErr(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(body), 0o644))
	return dir
}

func TestGoCompilerError(t *testing.T) {
	dir := writeMain(t, "package main\n\nfunc main() { undefinedThing() }\n")
	p := v1.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	err := NewGoCompiler().Compile(context.Background(), CompileRequest{
		Image: "api", Dir: dir, Main: ".", Platform: p, Output: filepath.Join(t.TempDir(), "api"),
	})
	if err == nil {
		t.Fatal("Compile of broken code succeeded")
	}
	for _, want := range []string{"api", platform.Format(p), "undefined: undefinedThing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
