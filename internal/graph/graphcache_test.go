package graph

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

// graphMutation is one change after which a plan with the stored graph
// must equal a plan that lists every package again.
type graphMutation struct {
	name   string
	setup  func(t *testing.T, root string, cfg *config.Config) // before the graph is stored
	apply  func(t *testing.T, root string, cfg *config.Config)
	reload bool // the stored graph must be dropped (else it must be used)
}

func graphMutations() []graphMutation {
	return []graphMutation{
		{
			name: "function body",
			apply: func(t *testing.T, root string, _ *config.Config) {
				edit(t, root, "internal/greet/greet.go", `"name: %s"`, `"name = %s"`)
			},
		},
		{
			name: "readme and test file",
			apply: func(t *testing.T, root string, _ *config.Config) {
				write(t, root, "README.md", "# mono\n")
				appendTo(t, root, "internal/greet/greet_test.go", "\n// more\n")
			},
		},
		{
			name: "new file",
			apply: func(t *testing.T, root string, _ *config.Config) {
				write(t, root, "internal/greet/extra.go", "package greet\n\nimport _ \"strings\"\n")
			},
			reload: true,
		},
		{
			name: "deleted file",
			apply: func(t *testing.T, root string, _ *config.Config) {
				if err := os.Remove(filepath.Join(root, "internal/greet/platform_windows.go")); err != nil {
					t.Fatal(err)
				}
			},
			reload: true,
		},
		{
			name: "renamed package directory",
			apply: func(t *testing.T, root string, _ *config.Config) {
				if err := os.Rename(filepath.Join(root, "internal/httpx"), filepath.Join(root, "internal/web")); err != nil {
					t.Fatal(err)
				}
				for _, f := range []string{"services/api/cmd/api/main.go", "services/web/cmd/web/main.go"} {
					edit(t, root, f, `"example.com/mono/internal/httpx"`, `httpx "example.com/mono/internal/web"`)
				}
			},
			reload: true,
		},
		{
			name: "changed import",
			apply: func(t *testing.T, root string, _ *config.Config) {
				edit(t, root, "services/worker/cmd/worker/main.go", `"fmt"`, `"fmt"; _ "example.com/mono/internal/auth"`)
			},
			reload: true,
		},
		{
			name: "changed go:build",
			apply: func(t *testing.T, root string, _ *config.Config) {
				edit(t, root, "internal/greet/platform_windows.go", "//go:build windows", "//go:build windows || arm64")
				edit(t, root, "internal/greet/platform_other.go", "//go:build !windows", "//go:build !windows && !arm64")
			},
			reload: true,
		},
		{
			name: "new go:embed match",
			apply: func(t *testing.T, root string, _ *config.Config) {
				write(t, root, "services/web/cmd/web/static/new.txt", "new\n")
			},
			reload: true,
		},
		{
			name: "new directory in an embedded tree",
			apply: func(t *testing.T, root string, _ *config.Config) {
				write(t, root, "services/web/cmd/web/static/img/logo.svg", "<svg/>\n")
			},
			reload: true,
		},
		{
			name: "new package in a directory that had no files",
			apply: func(t *testing.T, root string, _ *config.Config) {
				write(t, root, "services/services.go", "package services\n")
			},
			reload: true,
		},
		{
			name: "nested module",
			apply: func(t *testing.T, root string, _ *config.Config) {
				write(t, root, "internal/go.mod", "module example.com/mono/internal\n\ngo 1.26.0\n")
			},
			reload: true,
		},
		{
			name: "go.mod replace",
			apply: func(t *testing.T, root string, _ *config.Config) {
				write(t, root, "third_party/greeting2/go.mod", "module example.com/greeting\n\ngo 1.26.0\n")
				write(t, root, "third_party/greeting2/greeting.go", "package greeting\n\nimport \"strings\"\n\n// Hello greets.\nfunc Hello(name string) string { return strings.ToUpper(\"hey \" + name) }\n")
				edit(t, root, "go.mod", "=> ./third_party/greeting", "=> ./third_party/greeting2")
			},
			reload: true,
		},
		{
			name:   "go.work added",
			apply:  func(t *testing.T, root string, _ *config.Config) { write(t, root, "go.work", "go 1.26.0\n\nuse .\n") },
			reload: true,
		},
		{
			name:  "go.work edited",
			setup: func(t *testing.T, root string, _ *config.Config) { write(t, root, "go.work", "go 1.26.0\n\nuse .\n") },
			apply: func(t *testing.T, root string, _ *config.Config) {
				edit(t, root, "go.work", "use .", "use (\n\t.\n\t./third_party/greeting\n)")
			},
			reload: true,
		},
		{
			name: "image env",
			apply: func(_ *testing.T, _ string, cfg *config.Config) {
				cfg.Images[3].Env = []string{"GOFLAGS=-tags=gobakeextra"}
			},
			setup:  tagged,
			reload: true,
		},
	}
}

// tagged adds a file to worker that only the gobakeextra tag builds, and
// that brings in another package.
func tagged(t *testing.T, root string, _ *config.Config) {
	write(t, root, "services/worker/cmd/worker/extra.go", "//go:build gobakeextra\n\npackage main\n\nimport _ \"example.com/mono/internal/auth\"\n")
}

// TestGraphCacheMutations stores the sample's graph, applies each change
// and compares a plan that may use the stored graph with one that lists
// again.
func TestGraphCacheMutations(t *testing.T) {
	for _, m := range graphMutations() {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // each works on its own copy
			checkGraphMutation(t, m)
		})
	}
}

// TestGraphCacheEnvironment is TestGraphCacheMutations for changes of the
// process environment, one at a time.
func TestGraphCacheEnvironment(t *testing.T) {
	for _, m := range []graphMutation{
		{
			name:   "GOFLAGS",
			setup:  tagged,
			apply:  func(t *testing.T, _ string, _ *config.Config) { t.Setenv("GOFLAGS", "-tags=gobakeextra") },
			reload: true,
		},
		{
			name:   "GOEXPERIMENT",
			apply:  func(t *testing.T, _ string, _ *config.Config) { t.Setenv("GOEXPERIMENT", "nogreenteagc") },
			reload: true,
		},
		{
			name:   "toolchain",
			apply:  func(t *testing.T, _ string, _ *config.Config) { fakeToolchain(t, "go1.99.0") },
			reload: true,
		},
	} {
		t.Run(m.name, func(t *testing.T) { checkGraphMutation(t, m) })
	}
}

// fakeToolchain puts a go first on PATH that is the real one but reports
// another version.
func fakeToolchain(t *testing.T, version string) {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not installed: %v", err)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nif [ \"$1\" = env ]; then\n  \"" + real + "\" \"$@\" | sed 's/\"go1[^\"]*\"/\"" + version + "\"/'\n  exit\nfi\nexec \"" + real + "\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// amd64Targets is the targets of cfg on linux/amd64: one build
// configuration, one go list (these tests are about the graph, not about
// platforms).
func amd64Targets(t *testing.T, cfg *config.Config) []Target {
	var out []Target
	for _, tg := range (fakeBases{}).targets(t, cfg) {
		if tg.Platform == "linux/amd64" {
			out = append(out, tg)
		}
	}
	return out
}

func checkGraphMutation(t *testing.T, m graphMutation) {
	t.Helper()
	ctx := context.Background()
	root := copySample(t)
	cfg := sampleConfig(root)
	if m.setup != nil {
		m.setup(t, root, cfg)
	}
	store := filepath.Join(t.TempDir(), "graph")
	var loads atomic.Int32 // loads run concurrently
	opts := Options{
		Targets: amd64Targets(t, cfg), GraphCache: store, racy: time.Nanosecond,
		DigestCache: filepath.Join(t.TempDir(), "digests"),
		onLoad:      func(buildConfig, []string) { loads.Add(1) },
	}
	if _, err := Compute(ctx, cfg, opts); err != nil {
		t.Fatal(err)
	}
	stored := loads.Load()
	if stored == 0 {
		t.Fatal("the first plan listed nothing")
	}
	// Nothing changed: the stored graph is used.
	if _, err := Compute(ctx, cfg, opts); err != nil {
		t.Fatal(err)
	}
	if loads.Load() != stored {
		t.Fatalf("a plan with nothing changed listed %d times", loads.Load()-stored)
	}
	m.apply(t, root, cfg)
	opts.Targets = amd64Targets(t, cfg)
	cached, cerr := Compute(ctx, cfg, opts)
	if cerr == nil {
		checkDigests(t, cached)
	}
	reloaded := loads.Load() > stored
	if reloaded != m.reload {
		t.Errorf("listed again: %v, want %v", reloaded, m.reload)
	}
	if reloaded && cerr == nil {
		return // a full load already (the comparison would list a third time)
	}
	full, err := Compute(ctx, cfg, Options{Targets: opts.Targets})
	if err != nil || cerr != nil {
		if (err == nil) != (cerr == nil) {
			t.Fatalf("full load: %v; with the stored graph: %v", err, cerr)
		}
		return // both fail
	}
	if diff := cmp.Diff(full.Records, cached.Records); diff != "" {
		t.Errorf("plan with the stored graph differs from a full load (-full +stored):\n%s", diff)
	}
}

// TestGraphCacheRacy: a graph is not stored when a file it depends on was
// touched since shortly before go list started, as go list may have read
// the file before or after the change.
func TestGraphCacheRacy(t *testing.T) {
	ctx := context.Background()
	root := copySample(t)
	cfg := sampleConfig(root)
	store := filepath.Join(t.TempDir(), "graph")
	if _, err := Compute(ctx, cfg, Options{Targets: fakeBases{}.targets(t, cfg), GraphCache: store, racy: time.Hour}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(store)
	if len(entries) != 0 {
		t.Errorf("stored %d graphs of files just written, want none", len(entries))
	}
}

func TestSourceHeader(t *testing.T) {
	base := "//go:build linux\n\n// Package p.\npackage p\n\nimport (\n\t\"fmt\"\n\t_ \"embed\"\n)\n\n//go:embed a.txt\nvar a string\n\nfunc F() { fmt.Println(a) }\n"
	tests := []struct {
		name, src string
		same      bool
	}{
		{"body", strings.Replace(base, "fmt.Println(a)", "fmt.Print(a)", 1), true},
		{"comment after imports", base + "\n// more\n", true},
		{"build line", strings.Replace(base, "linux", "darwin", 1), false},
		{"import", strings.Replace(base, `"fmt"`, `"os"`, 1), false},
		{"embed pattern", strings.Replace(base, "a.txt", "b.txt", 1), false},
		{"package clause", strings.Replace(base, "package p", "package q", 1), false},
		{"broken start", strings.Replace(base, "import (", "import ((", 1), false},
	}
	want := sourceHeader("p.go", []byte(base))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sourceHeader("p.go", []byte(tt.src)) == want; got != tt.same {
				t.Errorf("same fingerprint: %v, want %v", got, tt.same)
			}
		})
	}
	if sourceHeader("a.s", []byte("// x\nTEXT ·f(SB)\n")) == sourceHeader("a.s", []byte("// x\nTEXT ·g(SB)\n")) {
		t.Error("an assembly file's fingerprint must cover its whole content")
	}
}
