package importcheck

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module path of the repository.
const module = "github.com/gobake/gobake"

// ground is the rank of the ground floor: plumbing that every layer may
// use and that uses nothing above it. Ground-floor packages may import
// each other (Go forbids cycles).
const ground = 0

// ranks places every package of the repository on a floor: a package may
// import only packages on a lower floor, or, on the ground floor, other
// ground-floor packages. A new package gets a floor here.
var ranks = map[string]int{
	"internal/errlines":    ground,
	"internal/redact":      ground,
	"internal/platform":    ground,
	"internal/dotdir":      ground,
	"internal/ociartifact": ground,
	"internal/runtmp":      ground,
	"internal/gitexec":     ground,
	"internal/imageref":    ground,
	"internal/gitinfo":     ground,
	"internal/reltag":      ground,
	"internal/ciout":       ground, // CI step outputs, summaries, matrices
	"internal/engine":      ground, // drives podman or docker
	"internal/evict":       ground, // what a size-bounded cache removes
	"internal/pingcache":   ground, // pings each registry once
	"internal/yamldoc":     ground, // YAML streams of many documents as nodes
	"schema":               ground, // the JSON Schema of gobake.yaml, embedded

	"internal/config":   10,
	"internal/kocompat": 11, // reads .ko.yaml into config
	"internal/scaffold": 12, // writes a first gobake.yaml

	"internal/graph":                 20,
	"internal/graph/state":           21,
	"internal/graph/synth":           21,
	"internal/graph/synth/cmd/synth": 22,

	"internal/layering": 30,
	"internal/signing":  35, // signs pushed images, attests their provenance

	"internal/planner": 40,

	"internal/release/gitrepo": 50,
	"internal/release/gitops":  50,
	"internal/release/version": 51,
	"internal/release":         55,
	"internal/resolve":         55,

	"cmd/gobake": 60,

	// Test harnesses, imported only by tests.
	"internal/release/gitrepo/gittest":       90,
	"internal/testutil":                      90,
	"internal/testutil/baseimage":            90,
	"internal/testutil/baseimage/cmd/mkbase": 91,
	"internal/importcheck":                   90,
}

// repoRoot is the repository root: this package is internal/importcheck.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// packages returns the directories under internal/ and cmd/ (relative to
// root, slash-separated) that hold Go files, testdata left out.
func packages(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".go") {
				return nil
			}
			rel, err := filepath.Rel(root, filepath.Dir(p))
			if err != nil {
				return err
			}
			if rel = filepath.ToSlash(rel); !slices.Contains(out, rel) {
				out = append(out, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// TestImportsFlowOneWay checks every package's imports (test files left
// out) against ranks: none reaches back up. internal/config importing
// internal/release/version was such a reach.
func TestImportsFlowOneWay(t *testing.T) {
	root := repoRoot(t)
	for _, pkg := range packages(t, root) {
		t.Run(pkg, func(t *testing.T) {
			rank, ok := ranks[pkg]
			if !ok {
				t.Fatalf("%s has no floor: add it to ranks in %s", pkg, "internal/importcheck/importcheck_test.go")
			}
			bp, err := build.Default.ImportDir(filepath.Join(root, filepath.FromSlash(pkg)), 0)
			if err != nil {
				if _, noGo := err.(*build.NoGoError); noGo {
					return // test files only
				}
				t.Fatal(err)
			}
			for _, imp := range bp.Imports {
				dep, ok := strings.CutPrefix(imp, module+"/")
				if !ok {
					continue
				}
				depRank, known := ranks[dep]
				switch {
				case !known:
					t.Errorf("imports %s, which has no floor", dep)
				case rank == ground && depRank == ground:
				case depRank >= rank:
					t.Errorf("imports %s (floor %d) from floor %d: data flows config → graph → layering → planner → release/resolve → cmd", dep, depRank, rank)
				}
			}
		})
	}
}

// TestReadmeMapsEveryPackage checks that the package map under the
// README's "Development" heading names every package directory.
func TestReadmeMapsEveryPackage(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, dev, ok := strings.Cut(string(b), "\n## Development\n")
	if !ok {
		t.Fatal("README.md has no ## Development section")
	}
	mapped := map[string]bool{}
	for _, line := range strings.Split(dev, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasSuffix(f[0], "/") {
			mapped[strings.TrimSuffix(f[0], "/")] = true
		}
	}
	for _, pkg := range packages(t, root) {
		if !mapped[pkg] {
			t.Errorf("README.md's package map does not name %s/", pkg)
		}
	}
}
