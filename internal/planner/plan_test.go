package planner

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
)

// writeRepo writes a one-image repository on scratch with the given
// platforms and tags and loads its gobake.yaml.
func writeRepo(t *testing.T, platforms, tags string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/hello\n\ngo 1.22\n",
		"cmd/hello/main.go": "package main\n\nfunc main() { println(\"hello\") }\n",
		"gobake.yaml": "version: 1\ndefaults:\n  base: scratch\n  platforms: " + platforms + "\ntags: " + tags +
			"\nimages:\n  hello:\n    main: ./cmd/hello\n",
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
	cfg, err := config.Load(filepath.Join(dir, "gobake.yaml"), config.WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestPlanTargets checks that a plan holds, for every image × platform,
// the Go environment go build and go list both get, the base digest and
// the inputs; no annotation records the inputs, and tags are rendered.
// linux/arm64/v8.2 is the variant graph once spelled GOARM64=8.2.
func TestPlanTargets(t *testing.T) {
	ctx := context.Background()
	cfg := writeRepo(t, "[linux/arm64/v8.2, linux/amd64/v3]", `["v{{.Version}}", latest]`)
	p, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{Info: config.BuildInfo{Version: "1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 1 {
		t.Fatalf("%d targets, want 1", len(p.Targets))
	}
	tg := p.Targets[0]
	type platformGot struct {
		Platform, Base string
		GoEnv          []string
	}
	var got []platformGot
	for _, pt := range tg.Platforms {
		got = append(got, platformGot{pt.Platform, pt.BaseDigest, pt.GoEnv})
	}
	want := []platformGot{
		{"linux/arm64/v8.2", "scratch", []string{"GOOS=linux", "GOARCH=arm64", "GOARM64=v8.2"}},
		{"linux/amd64/v3", "scratch", []string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v3"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
	rec := p.Snapshot.Records["hello"]
	if rec == nil || len(rec.Platforms) != 2 {
		t.Fatalf("record = %+v, want two platforms", rec)
	}
	// What the builder writes around the binary is an input: a gobake
	// that lays images out differently must not keep the old ones.
	for _, pr := range rec.Platforms {
		if got := pr.Inputs["layout"]; got != layering.LayoutVersion {
			t.Errorf("%s: layout input = %q, want %q", pr.Platform, got, layering.LayoutVersion)
		}
	}
	if len(tg.Annotations) != 0 {
		t.Errorf("annotations = %v, want none: the inputs live in the referrer, not the image", tg.Annotations)
	}
	if diff := cmp.Diff([]string{"v1.2.3", "latest"}, tg.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if err := p.SetVersion("hello", "2.0.0"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"v2.0.0", "latest"}, p.Targets[0].Tags); diff != "" {
		t.Errorf("tags after SetVersion (-want +got):\n%s", diff)
	}
}

// TestPlanBuildRecordsInputs checks that every result of Plan.Build
// carries its inputs in the inputs artifact referring to it, and that
// neither the index nor its manifests carry them.
func TestPlanBuildRecordsInputs(t *testing.T) {
	ctx := context.Background()
	cfg := writeRepo(t, "[linux/amd64, linux/arm64]", "[latest]")
	p, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	fake := layering.CompilerFunc(func(_ context.Context, req layering.CompileRequest) error {
		return os.WriteFile(req.Output, []byte("binary of "+req.Image), 0o755)
	})
	results, err := p.Build(ctx, layering.NewBuilder(layering.WithCompiler(fake), layering.WithSBOMFormats()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Index == nil {
		t.Fatalf("results = %+v, want one index", results)
	}
	im, err := results[0].Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := im.Annotations[graph.AnnotationKey]; ok {
		t.Errorf("index annotation %s = %q, want none", graph.AnnotationKey, got)
	}
	for _, d := range im.Manifests {
		img, err := results[0].Index.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := m.Annotations[graph.AnnotationKey]; ok {
			t.Errorf("%s annotation %s = %q, want none", d.Platform, graph.AnnotationKey, got)
		}
	}
	var inputs int
	for _, rf := range results[0].Referrers {
		if IsInputs(rf) {
			inputs++
		}
	}
	if inputs != 1 {
		t.Errorf("%d inputs referrers, want 1", inputs)
	}
	if _, err := p.Build(ctx, layering.NewBuilder(layering.WithCompiler(fake)), []string{"nope"}); err == nil {
		t.Error("Build of an image not planned succeeded")
	}
}

// TestSameOutputSameImage checks that a build whose inputs changed but
// whose output did not (a comment edit; the fake compiler's binary does
// not depend on the source) publishes the same image digest, that the
// baseline then reads the new record, and that a plan after it says
// unchanged. Before, the inputs digest was a manifest annotation and the
// second build gave a new image.
func TestSameOutputSameImage(t *testing.T) {
	ctx := context.Background()
	cfg := writeRepo(t, "[linux/amd64, linux/arm64]", "[latest]")
	dir := filepath.Join(t.TempDir(), "oci")
	b := Baseline{Layout: dir, Tag: "latest"}
	fake := layering.CompilerFunc(func(_ context.Context, req layering.CompileRequest) error {
		return os.WriteFile(req.Output, []byte("binary of "+req.Image), 0o755)
	})
	build := func() (string, *graph.Record) {
		t.Helper()
		p, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{})
		if err != nil {
			t.Fatal(err)
		}
		results, err := p.Build(ctx, layering.NewBuilder(layering.WithCompiler(fake), layering.WithSBOMFormats()), nil)
		if err != nil {
			t.Fatal(err)
		}
		refs, err := Publish(ctx, layering.NewLayoutPublisher(dir), results, 1)
		if err != nil {
			t.Fatal(err)
		}
		return refs[0].DigestStr(), p.Snapshot.Records["hello"]
	}
	planStatus := func() graph.Status {
		t.Helper()
		p, err := New(ctx, cfg, layering.NewBases(ctx, cfg.Root), Options{})
		if err != nil {
			t.Fatal(err)
		}
		prev, err := b.Read(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		return graph.Plan(p.Snapshot, state.Records(prev))[0].Status
	}

	first, rec1 := build()
	main := filepath.Join(cfg.Root, "cmd/hello/main.go")
	if err := os.WriteFile(main, []byte("package main\n\n// A comment.\nfunc main() { println(\"hello\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := planStatus(); got != graph.StatusChanged {
		t.Fatalf("plan after the comment edit = %s, want %s", got, graph.StatusChanged)
	}
	second, rec2 := build()
	if rec1.Digest == rec2.Digest {
		t.Fatalf("inputs digest %s did not change with the source", rec1.Digest)
	}
	if second != first {
		t.Errorf("second build published %s, want the first image %s", second, first)
	}
	prev, err := b.Read(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := prev["hello"].Record.Digest; got != rec2.Digest {
		t.Errorf("baseline record = %s, want the second build's %s", got, rec2.Digest)
	}
	if got := planStatus(); got != graph.StatusUnchanged {
		t.Errorf("plan after the second build = %s, want %s", got, graph.StatusUnchanged)
	}
}
