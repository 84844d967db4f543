package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

// sharedFile is a package of the sample that api and web import, and
// ctl and worker do not.
const sharedFile = "internal/httpx/httpx.go"

// editedImages are the images using sharedFile.
var editedImages = []string{"api", "web"}

// planReport runs gobake plan --json with args, checks it against its
// schema and decodes it.
func planReport(t *testing.T, dir string, args ...string) graph.Report {
	t.Helper()
	out := gobake.MustRun(t, dir, nil, append([]string{"plan", "--json"}, args...)...)
	testutil.CheckSchema(t, "plan.schema.json", schema.Plan, []byte(out.Stdout))
	var r graph.Report
	if err := json.Unmarshal([]byte(out.Stdout), &r); err != nil {
		t.Fatalf("plan --json: %v\n%s", err, out.Stdout)
	}
	return r
}

// editShared appends a declaration to sharedFile in the sample copy dir.
func editShared(t *testing.T, dir string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, filepath.FromSlash(sharedFile)), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("\n// Edited is added by the e2e test.\nconst Edited = 1\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkChangedFlow checks plan, plan --exit-code and build --changed on a
// sample copy built once with target (the flags choosing the registry or
// layout) and printed first.
func checkChangedFlow(t *testing.T, dir string, target []string, first map[string]builtRef) {
	t.Run("plan after build says unchanged", func(t *testing.T) {
		for _, p := range planReport(t, dir, target...).Images {
			if p.Status != graph.StatusUnchanged {
				t.Errorf("%s: %s %v, want unchanged", p.Image, p.Status, p.Reasons)
			}
		}
		if out := gobake.Run(t, dir, nil, append([]string{"plan", "--exit-code"}, target...)...); out.ExitCode != 0 {
			t.Errorf("plan --exit-code with nothing changed: %s", out)
		}
	})

	editShared(t, dir)
	t.Run("plan names the edited file", func(t *testing.T) {
		for _, p := range planReport(t, dir, target...).Images {
			edited := slices.Contains(editedImages, p.Image)
			switch {
			case edited && p.Status != graph.StatusChanged:
				t.Errorf("%s: %s, want changed", p.Image, p.Status)
			case edited && !strings.Contains(strings.Join(p.Reasons, "; "), sharedFile):
				t.Errorf("%s: reasons %q do not name %s", p.Image, p.Reasons, sharedFile)
			case !edited && p.Status != graph.StatusUnchanged:
				t.Errorf("%s: %s %v, want unchanged", p.Image, p.Status, p.Reasons)
			}
		}
		out := gobake.Run(t, dir, nil, append([]string{"plan", "--exit-code"}, target...)...)
		if out.ExitCode != 3 || strings.Contains(out.Stderr, "gobake:") {
			t.Errorf("plan --exit-code with changes: want exit 3 and no error message, got %s", out)
		}
	})

	out := gobake.MustRun(t, dir, nil, append([]string{"build", "--changed"}, target...)...)
	t.Run("build --changed rebuilds only the edited images", func(t *testing.T) {
		again := parseRefs(t, out.Stdout, sampleImages)
		for _, img := range sampleImages {
			edited := slices.Contains(editedImages, img)
			moved := again[img].Digest != first[img].Digest
			if edited != moved {
				t.Errorf("%s: digest %s → %s; want it to move only for %v", img, first[img].Digest, again[img].Digest, editedImages)
			}
			built := strings.Contains(out.Stderr, "building "+img+" for ")
			if edited != built {
				t.Errorf("%s: built = %v, want %v:\n%s", img, built, edited, out.Stderr)
			}
			if !edited && !strings.Contains(out.Stderr, img+": unchanged") {
				t.Errorf("%s: stderr does not note it unchanged:\n%s", img, out.Stderr)
			}
			if !edited && again[img].Ref != first[img].Ref {
				t.Errorf("%s: printed %s, want the previous %s", img, again[img].Ref, first[img].Ref)
			}
		}
		for _, p := range planReport(t, dir, target...).Images {
			if p.Status != graph.StatusUnchanged {
				t.Errorf("after build --changed, %s: %s %v", p.Image, p.Status, p.Reasons)
			}
		}
	})
	again := parseRefs(t, out.Stdout, sampleImages)

	// The ldflags as written are an input, but go build gets the same
	// flags: the images are built, are the same, and say so.
	yaml := filepath.Join(dir, "gobake.yaml")
	b, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	split := strings.Replace(string(b), "    - -s -w\n", "    - -s\n    - -w\n", 1)
	if split == string(b) {
		t.Fatal("the sample's gobake.yaml has no ldflags item -s -w to split")
	}
	if err := os.WriteFile(yaml, []byte(split), 0o644); err != nil {
		t.Fatal(err)
	}
	out = gobake.MustRun(t, dir, nil, append([]string{"build", "--changed", "--json"}, target...)...)
	t.Run("split ldflags build the same images", func(t *testing.T) {
		testutil.CheckSchema(t, "build.schema.json", schema.Build, []byte(out.Stdout))
		var doc struct {
			Images []struct {
				Image, Digest string
				SameOutput    bool
			}
		}
		if err := json.Unmarshal([]byte(out.Stdout), &doc); err != nil {
			t.Fatalf("build --json: %v\n%s", err, out.Stdout)
		}
		got := doc.Images
		if len(got) != len(sampleImages) {
			t.Fatalf("build --json printed %d images, want %d:\n%s", len(got), len(sampleImages), out.Stdout)
		}
		for _, o := range got {
			if o.Digest != again[o.Image].Digest {
				t.Errorf("%s: digest %s, want the previous %s", o.Image, o.Digest, again[o.Image].Digest)
			}
			if !o.SameOutput {
				t.Errorf("%s: sameOutput = false, want true", o.Image)
			}
			if !strings.Contains(out.Stderr, o.Image+": inputs changed but the build is the baseline's image") {
				t.Errorf("%s: stderr does not say the build is the same image:\n%s", o.Image, out.Stderr)
			}
		}
		for _, p := range planReport(t, dir, target...).Images {
			if p.Status != graph.StatusUnchanged {
				t.Errorf("after the same images, %s: %s %v", p.Image, p.Status, p.Reasons)
			}
		}
	})
}

func TestPlanAndBuildChangedRegistry(t *testing.T) {
	parallelAfterWarmup(t)
	s := copyRegistrySample(t)
	target := []string{"--registry", s.prefix}

	t.Run("inputs referrer is readable", func(t *testing.T) {
		ctx := context.Background()
		refs := map[string]name.Reference{}
		for _, img := range sampleImages {
			r, err := imageref.Parse(imageref.Join(s.prefix, img)+":latest", false)
			if err != nil {
				t.Fatal(err)
			}
			refs[img] = r
		}
		prev, err := state.PreviousFromRegistry(ctx, refs, layering.RemoteOptions(ctx)...)
		if err != nil {
			t.Fatal(err)
		}
		plan := planReport(t, s.dir, target...)
		for _, p := range plan.Images {
			got := prev[p.Image]
			if got.Record == nil || got.Record.Digest != p.Digest || len(got.Record.Platforms) == 0 {
				t.Errorf("%s: record read back %+v, want the planned inputs %s with platforms", p.Image, got.Record, p.Digest)
			}
			if got.Digest.String() != s.refs[p.Image].Digest {
				t.Errorf("%s: latest is %s, build printed %s", p.Image, got.Digest, s.refs[p.Image].Digest)
			}
		}
		// A real registry lists the artifact by its type.
		d, err := name.NewDigest(s.refs["ctl"].Ref)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Referrers(d)
		if err != nil {
			t.Fatal(err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(im.Manifests, func(m v1.Descriptor) bool { return m.ArtifactType == graph.MediaType }) {
			t.Errorf("referrers of %s list no %s artifact: %+v", d, graph.MediaType, im.Manifests)
		}
	})

	checkChangedFlow(t, s.dir, target, s.refs)
}

func TestPlanAndBuildChangedLayout(t *testing.T) {
	parallelAfterWarmup(t)
	s := copyLayoutSample(t)
	dir, first := s.dir, s.refs

	t.Run("inputs referrer is readable", func(t *testing.T) {
		repos := map[string]string{}
		for _, img := range sampleImages {
			repos[img] = img
		}
		recs, err := state.FromLayout(filepath.Join(dir, ".gobake", "oci"), "latest", repos)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range planReport(t, dir).Images {
			if r := recs[p.Image]; r == nil || r.Digest != p.Digest || len(r.Platforms) == 0 {
				t.Errorf("%s: record read back %+v, want the planned inputs %s with platforms", p.Image, r, p.Digest)
			}
		}
	})

	checkChangedFlow(t, dir, nil, first)
}
