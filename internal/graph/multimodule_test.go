package graph

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

// The multi-module fixtures use go lines no newer than go1.26.0 and
// toolchain lines no newer than go1.26.0, so that any go1.26 toolchain
// loads them without switching toolchains.

// workspaceTree is a repository with a go.work using svc, lib and other;
// svc imports lib, other does not. tool is a module outside the
// workspace, built with GOWORK=off, and unrelated is a module that no
// image uses.
var workspaceTree = map[string]string{
	"go.work":                "go 1.26.0\n\nuse (\n\t./lib\n\t./other\n\t./svc\n)\n",
	"lib/go.mod":             "module example.com/lib\n\ngo 1.25.0\n",
	"lib/lib.go":             "package lib\n\nfunc Name() string { return \"lib\" }\n",
	"lib/lib_test.go":        "package lib\n\nimport \"testing\"\n\nfunc TestName(t *testing.T) {}\n",
	"svc/go.mod":             "module example.com/svc\n\ngo 1.25.0\n",
	"svc/cmd/x/main.go":      "package main\n\nimport \"example.com/lib\"\n\nfunc main() { println(lib.Name()) }\n",
	"other/go.mod":           "module example.com/other\n\ngo 1.25.0\n",
	"other/cmd/y/main.go":    "package main\n\nfunc main() { println(\"y\") }\n",
	"other/unused/unused.go": "package unused\n",
	"tool/go.mod":            "module example.com/tool\n\ngo 1.25.0\n",
	"tool/cmd/z/main.go":     "package main\n\nfunc main() { println(\"z\") }\n",
	"unrelated/go.mod":       "module example.com/unrelated\n\ngo 1.25.0\n",
	"unrelated/u.go":         "package unrelated\n",
}

// workspaceImages: x is built in svc, xroot builds the same package from
// the workspace root, y is in other, z in tool outside the workspace.
var workspaceImages = []mmImage{
	{name: "x", dir: "svc", main: "./cmd/x"},
	{name: "xroot", dir: ".", main: "./svc/cmd/x"},
	{name: "y", dir: "other", main: "./cmd/y"},
	{name: "z", dir: "tool", main: "./cmd/z", env: []string{"GOWORK=off"}},
}

// modulesTree is a repository of modules without go.work: a (two mains)
// and b; a uses shared through a local replace.
var modulesTree = map[string]string{
	"a/go.mod":         "module example.com/a\n\ngo 1.25.0\n\nrequire example.com/shared v0.0.0\n\nreplace example.com/shared => ../shared\n",
	"a/cmd/a1/main.go": "package main\n\nimport \"example.com/shared\"\n\nfunc main() { println(shared.S) }\n",
	"a/cmd/a2/main.go": "package main\n\nfunc main() { println(\"a2\") }\n",
	"b/go.mod":         "module example.com/b\n\ngo 1.25.0\n",
	"b/cmd/b/main.go":  "package main\n\nfunc main() { println(\"b\") }\n",
	"shared/go.mod":    "module example.com/shared\n\ngo 1.25.0\n",
	"shared/shared.go": "package shared\n\nconst S = \"shared\"\n",
}

var modulesImages = []mmImage{
	{name: "a1", dir: "a", main: "./cmd/a1"},
	{name: "a2", dir: "a", main: "./cmd/a2"},
	{name: "b", dir: "b", main: "./cmd/b"},
}

// mmImage is an image of a multi-module fixture, dir relative to the root.
type mmImage struct {
	name, dir, main string
	env, flags      []string
	plats           []string
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for f, text := range files {
		write(t, root, f, text)
	}
	return root
}

func mmConfig(root string, images []mmImage) *config.Config {
	cfg := &config.Config{Path: filepath.Join(root, config.FileName), Root: root}
	for _, m := range images {
		plats := m.plats
		if plats == nil {
			plats = []string{"linux/amd64"}
		}
		cfg.Images = append(cfg.Images, config.Image{
			Name: m.name, Main: m.main, Dir: filepath.Join(root, m.dir), Binary: "app", Repository: m.name,
			BaseRef:  "scratch",
			Settings: config.Settings{Base: "scratch", Platforms: plats, Env: m.env, Flags: m.flags},
		})
	}
	return cfg
}

// loadLog records the loads of a Compute.
type loadLog struct {
	mu    sync.Mutex
	loads []string // "dir-relative-to-root env flags: mains", sorted by loads()
}

func (l *loadLog) hook(root string) func(buildConfig, []string) {
	return func(b buildConfig, mains []string) {
		m := append([]string(nil), mains...)
		sort.Strings(m)
		s := rel(root, b.Dir) + " " + strings.Join(b.Env, ",") + " [" + strings.Join(b.Flags, ",") + "]: " + strings.Join(m, " ")
		l.mu.Lock()
		l.loads = append(l.loads, s)
		l.mu.Unlock()
	}
}

func (l *loadLog) sorted() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.loads)
	sort.Strings(out)
	return out
}

// computeDigests computes cfg and returns every image's digest and the
// loads it made.
func computeDigests(t *testing.T, cfg *config.Config) (map[string]string, *Snapshot, []string) {
	t.Helper()
	var log loadLog
	s, err := Compute(context.Background(), cfg, Options{onLoad: log.hook(cfg.Root)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, r := range s.Records {
		out[name] = r.Digest
	}
	return out, s, log.sorted()
}

// changed lists the images whose digest differs between before and after.
func changed(before, after map[string]string) []string {
	var out []string
	for _, name := range sortedKeys(after) {
		if before[name] != after[name] {
			out = append(out, name)
		}
	}
	return out
}

// mmCase is one change to a copy of a multi-module fixture.
type mmCase struct {
	name   string
	apply  func(t *testing.T, root string)
	want   []string // the images whose digest changes, sorted
	reason string   // a reason Plan must give for the first wanted image
}

// TestMultiModule applies changes to fresh copies of a multi-module fixture
// and checks which images' digests change. Digests do not depend on where
// the repository is, so the unchanged fixture is computed once.
func TestMultiModule(t *testing.T) {
	fixtures := []struct {
		name   string
		tree   map[string]string
		images []mmImage
		cases  []mmCase
	}{
		{
			name: "go.work", tree: workspaceTree, images: workspaceImages,
			cases: []mmCase{
				{
					name:   "lib file",
					apply:  func(t *testing.T, root string) { edit(t, root, "lib/lib.go", `"lib"`, `"LIB"`) },
					want:   []string{"x", "xroot"},
					reason: "lib/lib.go changed",
				},
				{
					name:   "file added to lib",
					apply:  func(t *testing.T, root string) { write(t, root, "lib/more.go", "package lib\n\nvar More = 1\n") },
					want:   []string{"x", "xroot"},
					reason: "lib/more.go added",
				},
				{
					name: "lib test file",
					apply: func(t *testing.T, root string) {
						appendTo(t, root, "lib/lib_test.go", "\nfunc TestMore(t *testing.T) {}\n")
					},
				},
				{
					name: "go.work use added",
					apply: func(t *testing.T, root string) {
						edit(t, root, "go.work", "\t./svc\n", "\t./svc\n\t./unrelated\n")
					},
					want:   []string{"x", "xroot", "y"},
					reason: "go.work changed",
				},
				{
					name:   "go.work godebug line",
					apply:  func(t *testing.T, root string) { appendTo(t, root, "go.work", "\ngodebug panicnil=1\n") },
					want:   []string{"x", "xroot", "y"},
					reason: "go.work changed",
				},
				{
					name:   "go.work go line",
					apply:  func(t *testing.T, root string) { edit(t, root, "go.work", "go 1.26.0", "go 1.25.0") },
					want:   []string{"x", "xroot", "y"},
					reason: "go.work changed",
				},
				{
					name: "go.work.sum added",
					apply: func(t *testing.T, root string) {
						write(t, root, "go.work.sum", "example.com/m v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
					},
				},
				{
					name:   "svc go line",
					apply:  func(t *testing.T, root string) { edit(t, root, "svc/go.mod", "go 1.25.0", "go 1.26.0") },
					want:   []string{"x", "xroot"},
					reason: "svc/go.mod go 1.25.0 → 1.26.0",
				},
				{
					name:   "lib toolchain line",
					apply:  func(t *testing.T, root string) { appendTo(t, root, "lib/go.mod", "\ntoolchain go1.26.0\n") },
					want:   []string{"x", "xroot"},
					reason: "lib/go.mod toolchain (none) → go1.26.0",
				},
				{
					name:   "other godebug line",
					apply:  func(t *testing.T, root string) { appendTo(t, root, "other/go.mod", "\ngodebug panicnil=1\n") },
					want:   []string{"y"},
					reason: "other/go.mod godebug (none) → panicnil=1",
				},
				{
					name:   "module outside the workspace",
					apply:  func(t *testing.T, root string) { edit(t, root, "tool/go.mod", "go 1.25.0", "go 1.26.0") },
					want:   []string{"z"},
					reason: "tool/go.mod go 1.25.0 → 1.26.0",
				},
				{
					name: "file added to an unrelated module",
					apply: func(t *testing.T, root string) {
						write(t, root, "unrelated/more.go", "package unrelated\n\nvar X = 1\n")
					},
				},
				{
					name:  "unrelated module's go.mod",
					apply: func(t *testing.T, root string) { appendTo(t, root, "unrelated/go.mod", "\ngodebug panicnil=1\n") },
				},
				{
					name: "unused package of an image's module",
					apply: func(t *testing.T, root string) {
						write(t, root, "other/unused/more.go", "package unused\n\nvar X = 1\n")
					},
				},
			},
		},
		{
			name: "modules without go.work", tree: modulesTree, images: modulesImages,
			cases: []mmCase{
				{
					name:   "a go line",
					apply:  func(t *testing.T, root string) { edit(t, root, "a/go.mod", "go 1.25.0", "go 1.26.0") },
					want:   []string{"a1", "a2"},
					reason: "a/go.mod go 1.25.0 → 1.26.0",
				},
				{
					name:   "a toolchain line",
					apply:  func(t *testing.T, root string) { appendTo(t, root, "a/go.mod", "\ntoolchain go1.26.0\n") },
					want:   []string{"a1", "a2"},
					reason: "a/go.mod toolchain (none) → go1.26.0",
				},
				{
					name:   "a godebug line",
					apply:  func(t *testing.T, root string) { appendTo(t, root, "a/go.mod", "\ngodebug panicnil=1\n") },
					want:   []string{"a1", "a2"},
					reason: "a/go.mod godebug (none) → panicnil=1",
				},
				{
					name:   "b go line",
					apply:  func(t *testing.T, root string) { edit(t, root, "b/go.mod", "go 1.25.0", "go 1.26.0") },
					want:   []string{"b"},
					reason: "b/go.mod go 1.25.0 → 1.26.0",
				},
				{
					name: "b toolchain and godebug block",
					apply: func(t *testing.T, root string) {
						appendTo(t, root, "b/go.mod", "\ntoolchain go1.26.0\n\ngodebug (\n\tpanicnil=1\n)\n")
					},
					want:   []string{"b"},
					reason: "b/go.mod godebug (none) → panicnil=1",
				},
				{
					name:   "locally replaced module's go line",
					apply:  func(t *testing.T, root string) { edit(t, root, "shared/go.mod", "go 1.25.0", "go 1.24.0") },
					want:   []string{"a1"},
					reason: "shared/go.mod go 1.25.0 → 1.24.0",
				},
				{
					name:   "locally replaced module's file",
					apply:  func(t *testing.T, root string) { edit(t, root, "shared/shared.go", `"shared"`, `"SHARED"`) },
					want:   []string{"a1"},
					reason: "shared/shared.go changed",
				},
				{
					name:  "file added to b outside the closure",
					apply: func(t *testing.T, root string) { write(t, root, "b/internal/x/x.go", "package x\n") },
				},
			},
		},
	}
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel() // every fixture and case works on its own tree
			baseRoot := writeTree(t, fx.tree)
			before, beforeSnap, _ := computeDigests(t, mmConfig(baseRoot, fx.images))
			for _, c := range fx.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					root := writeTree(t, fx.tree)
					c.apply(t, root)
					after, afterSnap, _ := computeDigests(t, mmConfig(root, fx.images))
					if diff := cmp.Diff(c.want, changed(before, after)); diff != "" {
						t.Errorf("changed images (-want +got):\n%s", diff)
					}
					if c.reason == "" {
						return
					}
					for _, p := range Plan(afterSnap, beforeSnap.Records) {
						if p.Image == c.want[0] && !containsReason(p.Changes, c.reason) {
							t.Errorf("%s: reasons %q lack %q", p.Image, reasons(p.Changes), c.reason)
						}
					}
				})
			}
		})
	}
}

// TestMultiModuleInputs checks the inputs of the workspace fixture: the
// same package built from a module or from the workspace root has the same
// inputs, go.work is an input only of images built under it, and every
// module's go.mod lines are keyed by its path.
func TestMultiModuleInputs(t *testing.T) {
	root := writeTree(t, workspaceTree)
	write(t, root, "svc/go.mod", "module example.com/svc\n\ngo 1.25.0\n\ntoolchain go1.26.0\n\ngodebug (\n\tpanicnil=1\n\tasynctimerchan=1\n)\n")
	_, s, _ := computeDigests(t, mmConfig(root, workspaceImages))
	in := func(image string) map[string]string { return s.Records[image].Platforms[0].Inputs }
	if diff := cmp.Diff(in("x"), in("xroot")); diff != "" {
		t.Errorf("x and xroot build the same package in the same workspace, inputs differ (-x +xroot):\n%s", diff)
	}
	tests := []struct {
		image, key, want string // want "" means absent
	}{
		{"x", "gomod:svc/go.mod:go", "1.25.0"},
		{"x", "gomod:svc/go.mod:toolchain", "go1.26.0"},
		{"x", "gomod:svc/go.mod:godebug", "panicnil=1,asynctimerchan=1"},
		{"x", "gomod:lib/go.mod:go", "1.25.0"},
		{"x", "gomod:other/go.mod:go", ""},
		{"x", "pkg:example.com/lib", "local lib "},
		{"x", "main", "example.com/svc/cmd/x"},
		{"y", "gomod:other/go.mod:go", "1.25.0"},
		{"y", "gomod:svc/go.mod:go", ""},
		{"y", "gomod:lib/go.mod:go", ""},
		{"y", "pkg:example.com/lib", ""},
		{"z", "gomod:tool/go.mod:go", "1.25.0"},
		{"z", "file:go.work", ""},
	}
	for _, tt := range tests {
		got, ok := in(tt.image)[tt.key]
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s: %s = %q, want absent", tt.image, tt.key, got)
		case tt.want != "" && !strings.HasPrefix(got, tt.want):
			t.Errorf("%s: %s = %q, want %q", tt.image, tt.key, got, tt.want)
		}
	}
	for _, image := range []string{"x", "xroot", "y"} {
		if in(image)["file:go.work"] == "" {
			t.Errorf("%s: go.work is not an input", image)
		}
	}

	hits := map[string][]string{}
	for _, target := range []string{"go.work", "lib", "lib/lib.go", "svc/go.mod", "tool", "unrelated", "example.com/lib"} {
		for _, h := range s.Affected([]string{target}) {
			hits[target] = append(hits[target], h.Image)
		}
	}
	wantHits := map[string][]string{
		"go.work":         {"x", "xroot", "y"},
		"lib":             {"x", "xroot"},
		"lib/lib.go":      {"x", "xroot"},
		"svc/go.mod":      {"x", "xroot"},
		"tool":            {"z"},
		"example.com/lib": {"x", "xroot"},
	}
	if diff := cmp.Diff(wantHits, hits); diff != "" {
		t.Errorf("affected (-want +got):\n%s", diff)
	}
}

// TestLoadsPerBuildConfig checks that Compute runs one go list per distinct
// build configuration (dir, platform, selection flags, env) and that
// images sharing one share its load.
func TestLoadsPerBuildConfig(t *testing.T) {
	const (
		amd64 = "CGO_ENABLED=0,GOARCH=amd64,GOOS=linux"
		arm64 = "CGO_ENABLED=0,GOARCH=arm64,GOOS=linux"
	)
	tests := []struct {
		name   string
		tree   map[string]string
		images []mmImage
		want   []string
	}{
		{
			name:   "two modules, two images in one",
			tree:   modulesTree,
			images: modulesImages,
			want: []string{
				"a " + amd64 + " []: ./cmd/a1 ./cmd/a2",
				"b " + amd64 + " []: ./cmd/b",
			},
		},
		{
			name: "flags that do not select files share a load",
			tree: modulesTree,
			images: []mmImage{
				{name: "a1", dir: "a", main: "./cmd/a1", flags: []string{"-trimpath"}},
				{name: "a2", dir: "a", main: "./cmd/a2", flags: []string{"-ldflags=-s"}},
			},
			want: []string{"a " + amd64 + " []: ./cmd/a1 ./cmd/a2"},
		},
		{
			name: "same package, two images",
			tree: modulesTree,
			images: []mmImage{
				{name: "a1", dir: "a", main: "./cmd/a1"},
				{name: "a1-again", dir: "a", main: "./cmd/a1"},
			},
			want: []string{"a " + amd64 + " []: ./cmd/a1"},
		},
		{
			name: "tags, env and platform split loads",
			tree: modulesTree,
			images: []mmImage{
				{name: "a1", dir: "a", main: "./cmd/a1", plats: []string{"linux/amd64", "linux/arm64"}},
				{name: "a2", dir: "a", main: "./cmd/a2", plats: []string{"linux/arm64"}},
				{name: "a1-tags", dir: "a", main: "./cmd/a1", flags: []string{"-tags", "x"}},
				{name: "a2-cgo", dir: "a", main: "./cmd/a2", env: []string{"CGO_ENABLED=1"}},
			},
			want: []string{
				"a " + amd64 + " [-tags=x]: ./cmd/a1",
				"a " + amd64 + " []: ./cmd/a1",
				"a " + arm64 + " []: ./cmd/a1 ./cmd/a2",
				"a CGO_ENABLED=1,GOARCH=amd64,GOOS=linux []: ./cmd/a2",
			},
		},
		{
			name:   "workspace: one load per dir",
			tree:   workspaceTree,
			images: append(slices.Clone(workspaceImages), mmImage{name: "x2", dir: "svc", main: "./cmd/x"}),
			want: []string{
				". " + amd64 + " []: ./svc/cmd/x",
				"other " + amd64 + " []: ./cmd/y",
				"svc " + amd64 + " []: ./cmd/x",
				"tool " + amd64 + ",GOWORK=off []: ./cmd/z",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.tree)
			digests, _, loads := computeDigests(t, mmConfig(root, tt.images))
			want := slices.Sorted(slices.Values(tt.want))
			if diff := cmp.Diff(want, loads); diff != "" {
				t.Errorf("loads (-want +got):\n%s", diff)
			}
			if len(digests) != len(tt.images) {
				t.Errorf("%d records, want %d", len(digests), len(tt.images))
			}
		})
	}
}

// TestReadGoModLines checks that the go, toolchain and godebug lines are
// read (modfile.ParseLax drops the last two), and that a go.mod only the
// lax parser accepts, like a replacement's from a newer Go, still yields
// its go line.
func TestReadGoModLines(t *testing.T) {
	tests := []struct {
		name, gomod string
		want        map[string]string
	}{
		{
			name:  "go only",
			gomod: "module m\n\ngo 1.25.0\n",
			want:  map[string]string{"gomod:go.mod:go": "1.25.0"},
		},
		{
			name:  "toolchain and godebug",
			gomod: "module m\n\ngo 1.25.0\n\ntoolchain go1.26.0\n\ngodebug panicnil=1\n",
			want: map[string]string{
				"gomod:go.mod:go":        "1.25.0",
				"gomod:go.mod:toolchain": "go1.26.0",
				"gomod:go.mod:godebug":   "panicnil=1",
			},
		},
		{
			name:  "godebug block",
			gomod: "module m\n\ngo 1.25.0\n\ngodebug (\n\tpanicnil=1\n\tasynctimerchan=0\n)\n",
			want: map[string]string{
				"gomod:go.mod:go":      "1.25.0",
				"gomod:go.mod:godebug": "panicnil=1,asynctimerchan=0",
			},
		},
		{
			name:  "unknown directive",
			gomod: "module m\n\ngo 1.25.0\n\nfuturedirective x\n",
			want:  map[string]string{"gomod:go.mod:go": "1.25.0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			write(t, root, "go.mod", tt.gomod)
			got, err := readGoModLines(root, filepath.Join(root, "go.mod"), os.ReadFile)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}
