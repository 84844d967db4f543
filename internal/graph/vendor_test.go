package graph

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
)

// vendoredTree is a vendored module with two third-party modules: image
// one links example.com/a, image two links example.com/b.
var vendoredTree = map[string]string{
	"go.mod": "module example.com/v\n\ngo 1.22\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n)\n",
	"vendor/modules.txt": "# example.com/a v1.0.0\n## explicit; go 1.22\nexample.com/a\n" +
		"# example.com/b v1.0.0\n## explicit; go 1.22\nexample.com/b\n",
	"vendor/example.com/a/a.go": "package a\n\nfunc Name() string { return \"a\" }\n",
	"vendor/example.com/b/b.go": "package b\n\nfunc Name() string { return \"b\" }\n",
	"cmd/one/main.go":           "package main\n\nimport \"example.com/a\"\n\nfunc main() { println(a.Name()) }\n",
	"cmd/two/main.go":           "package main\n\nimport \"example.com/b\"\n\nfunc main() { println(b.Name()) }\n",
}

var vendoredImages = []mmImage{
	{name: "one", main: "./cmd/one"},
	{name: "two", main: "./cmd/two"},
}

// bumpB bumps example.com/b to v1.1.0 with the new code s in go.mod,
// vendor/modules.txt and its vendored file, as go mod vendor would.
func bumpB(t *testing.T, root, s string) {
	t.Helper()
	edit(t, root, "go.mod", "example.com/b v1.0.0", "example.com/b v1.1.0")
	edit(t, root, "vendor/modules.txt", "# example.com/b v1.0.0", "# example.com/b v1.1.0")
	edit(t, root, "vendor/example.com/b/b.go", `"b"`, `"`+s+`"`)
}

// TestVendoredMutations applies changes to a vendored module and checks
// the plan against ground truth (real builds, as TestMutations does): a
// bump of a module that only one image links flags only that image. Before,
// the whole vendor/modules.txt was an input of every vendored package, so
// the bump flagged both.
func TestVendoredMutations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every image twice per mutation")
	}
	ctx := context.Background()
	baseRoot := writeTree(t, vendoredTree)
	baseCfg := mmConfig(baseRoot, vendoredImages)
	var linked linkedBinaries
	baseTruth := groundTruth(t, baseRoot, baseCfg, fakeBases{}, &linked)
	// The plan before any mutation, computed once (inputs do not depend on
	// where the tree is).
	before, err := Compute(ctx, baseCfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []mutation{
		{
			name: "bump of a module one image links",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				bumpB(t, root, "b2")
			},
			want:   []string{"two linux/amd64"},
			reason: "example.com/b v1.0.0 → v1.1.0 (vendor/modules.txt)",
		},
		{
			name: "new module no image links",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				edit(t, root, "go.mod", "\texample.com/b v1.0.0\n", "\texample.com/b v1.0.0\n\texample.com/c v1.0.0\n")
				appendTo(t, root, "vendor/modules.txt", "# example.com/c v1.0.0\n## explicit; go 1.22\nexample.com/c\n")
				write(t, root, "vendor/example.com/c/c.go", "package c\n")
			},
		},
		{
			name: "go line of a linked module",
			apply: func(t *testing.T, root string, _ *config.Config, _ fakeBases) {
				edit(t, root, "vendor/modules.txt", "## explicit; go 1.22\nexample.com/a\n", "## explicit; go 1.21\nexample.com/a\n")
			},
			// The language version a package compiles with need not change
			// its bytes: the plan keeps it as written.
			conservative: true,
			reason:       "example.com/a v1.0.0: explicit; go 1.22 → explicit; go 1.21 (vendor/modules.txt)",
		},
	} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel() // each works on its own tree
			root := writeTree(t, vendoredTree)
			cfg := mmConfig(root, vendoredImages)
			m.apply(t, root, cfg, fakeBases{})
			after, err := Compute(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			truth := groundTruth(t, root, cfg, fakeBases{}, &linked)
			var gotTruth, gotPlan []string
			for _, k := range sortedKeys(truth) {
				if truth[k] != baseTruth[k] {
					gotTruth = append(gotTruth, k)
				}
				img, plat, _ := strings.Cut(k, " ")
				if before.Records[img].Platform(plat).Digest != after.Records[img].Platform(plat).Digest {
					gotPlan = append(gotPlan, k)
				}
			}
			if diff := cmp.Diff(m.want, gotTruth); diff != "" {
				t.Fatalf("ground truth differs from the mutation's expectation (-want +got):\n%s", diff)
			}
			for _, k := range gotTruth {
				if !slices.Contains(gotPlan, k) {
					t.Errorf("miss: %s changed but the plan says unchanged", k)
				}
			}
			if m.conservative && len(gotPlan) == 0 {
				t.Errorf("plan flags nothing, want the image linking the module whose go line changed")
			}
			if !m.conservative {
				for _, k := range gotPlan {
					if !slices.Contains(gotTruth, k) {
						t.Errorf("false alarm: %s flagged but its output cannot have changed", k)
					}
				}
			}
			if m.reason != "" {
				img := "one"
				if len(m.want) > 0 {
					img, _, _ = strings.Cut(m.want[0], " ")
				}
				for _, p := range Plan(after, before.Records) {
					if p.Image == img && !containsReason(p.Changes, m.reason) {
						t.Errorf("%s: reasons %q lack %q", img, reasons(p.Changes), m.reason)
					}
				}
			}
		})
	}
}
