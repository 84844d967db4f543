package state_test

import (
	"context"
	"io"
	"log"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/testutil"
)

// record returns a sealed record of image with one input.
func record(image, file string) *graph.Record {
	r := &graph.Record{Image: image, Platforms: []graph.PlatformRecord{
		{Platform: "linux/amd64", Inputs: map[string]string{"file:main.go": file, "base": "scratch"}},
	}}
	r.Seal()
	return r
}

// stored is how one test image is published, and what reading it back gives.
type stored struct {
	repo       string
	annotate   *graph.Record // record whose digest is annotated (as gobake did before 0.x); nil for none
	artifact   *graph.Record // record stored as the inputs artifact; nil for none
	rebuilt    *graph.Record // record of a second build giving the same image; nil for none
	index      bool          // a two-platform index instead of an image
	unpushed   bool          // not published at all
	want       *graph.Record // read back; nil means no record
	wantInputs bool          // the whole record (platforms and inputs) is read back
}

func cases() []stored {
	r := record("api", "sha256:1")
	other := record("api", "sha256:2")
	return []stored{
		{repo: "record", artifact: r, want: r, wantInputs: true},
		{repo: "index", artifact: r, index: true, want: r, wantInputs: true},
		{repo: "rebuilt", artifact: r, rebuilt: other, want: other, wantInputs: true},
		{repo: "rebuilt-index", artifact: r, rebuilt: other, index: true, want: other, wantInputs: true},
		{repo: "annotated", annotate: r, artifact: r, want: r, wantInputs: true},
		{repo: "annotated-index", annotate: r, artifact: r, index: true, want: r, wantInputs: true},
		{repo: "annotation-only", annotate: r, want: &graph.Record{Digest: r.Digest}},
		{repo: "stale-artifact", annotate: r, artifact: other, want: &graph.Record{Digest: r.Digest}},
		{repo: "no-annotation", want: &graph.Record{}},
		{repo: "missing", unpushed: true},
	}
}

// result builds the layering.Result of s, with its inputs referrer.
func result(t *testing.T, s stored) layering.Result {
	t.Helper()
	res := layering.Result{Name: s.repo, Repository: s.repo}
	var top partial.Describable
	if s.index {
		idx, err := random.Index(256, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if s.annotate != nil {
			idx = mutate.Annotations(idx, map[string]string{graph.AnnotationKey: s.annotate.Digest}).(v1.ImageIndex)
		}
		res.Index, top = idx, idx
	} else {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		if s.annotate != nil {
			img = mutate.Annotations(img, map[string]string{graph.AnnotationKey: s.annotate.Digest}).(v1.Image)
		}
		res.Image, top = img, img
	}
	if s.artifact != nil {
		res.Referrers = inputsReferrers(t, top, s.artifact)
	}
	return res
}

// inputsReferrers returns the inputs referrer of top holding r.
func inputsReferrers(t testing.TB, top partial.Describable, r *graph.Record) []layering.Referrer {
	t.Helper()
	d, err := partial.Descriptor(top)
	if err != nil {
		t.Fatal(err)
	}
	art, err := state.Artifact(r, v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size})
	if err != nil {
		t.Fatal(err)
	}
	return []layering.Referrer{{Subject: d.Digest, Artifact: art, FallbackTag: state.FallbackTag(d.Digest)}}
}

// check compares what was read back with what each case wants.
func check(t *testing.T, got map[string]state.Previous, pushed map[string]v1.Hash) {
	t.Helper()
	for _, s := range cases() {
		p, ok := got[s.repo]
		if s.want == nil {
			if ok {
				t.Errorf("%s: read %+v, want no previous build", s.repo, p)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no previous build read", s.repo)
			continue
		}
		if p.Digest != pushed[s.repo] {
			t.Errorf("%s: digest %s, want the published %s", s.repo, p.Digest, pushed[s.repo])
		}
		want := *s.want
		want.Image = s.repo
		if !s.wantInputs {
			want.Schema, want.Platforms = p.Record.Schema, nil
		}
		if diff := cmp.Diff(&want, p.Record); diff != "" {
			t.Errorf("%s: record (-want +got):\n%s", s.repo, diff)
		}
	}
}

func TestFromRegistry(t *testing.T) {
	for _, referrers := range []bool{true, false} {
		name := "fallback tags"
		if referrers {
			name = "referrers API"
		}
		t.Run(name, func(t *testing.T) {
			host := testutil.InMemoryRegistry(t, registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrers))
			ctx := context.Background()
			opts := []layering.RegistryOption{layering.WithRegistryKeychain(authn.NewMultiKeychain())}
			pub := layering.NewRegistryPublisher(host, opts...)
			pushed, refs := pushAll(t, pub, func(repo string) string { return host + "/" + repo + ":latest" })
			got, err := state.PreviousFromRegistry(ctx, refs, layering.RemoteOptions(ctx, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			check(t, got, pushed)
			recs, err := state.FromRegistry(ctx, refs, layering.RemoteOptions(ctx, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(state.Records(got), recs); diff != "" {
				t.Errorf("FromRegistry differs from PreviousFromRegistry (-previous +records):\n%s", diff)
			}
		})
	}
}

// TestFromRegistryLeavesOptionsAlone: the images are read in parallel, so
// none of them may append its own option into the caller's slice (a data
// race when the slice has room to spare, as RemoteOptions' result can).
func TestFromRegistryLeavesOptionsAlone(t *testing.T) {
	host := testutil.InMemoryRegistry(t, registry.Logger(log.New(io.Discard, "", 0)))
	ctx := context.Background()
	_, refs := pushAll(t, layering.NewRegistryPublisher(host), func(repo string) string { return host + "/" + repo + ":latest" })
	opts := make([]remote.Option, 1, 8)
	opts[0] = remote.WithAuthFromKeychain(authn.NewMultiKeychain())
	if _, err := state.PreviousFromRegistry(ctx, refs, opts...); err != nil {
		t.Fatal(err)
	}
	if spare := opts[1:cap(opts)]; spare[0] != nil {
		t.Errorf("PreviousFromRegistry wrote into the spare capacity of the caller's options")
	}
}

// pushAll publishes every case with pub under "latest" and returns the
// digests and the references to read them back by.
func pushAll(t *testing.T, pub layering.Publisher, ref func(repo string) string) (map[string]v1.Hash, map[string]name.Reference) {
	t.Helper()
	pushed := map[string]v1.Hash{}
	refs := map[string]name.Reference{}
	for _, s := range cases() {
		r, err := imageref.Parse(ref(s.repo), false)
		if err != nil {
			t.Fatal(err)
		}
		refs[s.repo] = r
		if s.unpushed {
			continue
		}
		res := result(t, s)
		d, err := pub.Publish(context.Background(), res, []string{"latest"})
		if err != nil {
			t.Fatal(err)
		}
		if s.rebuilt != nil {
			var top partial.Describable = res.Image
			if res.Index != nil {
				top = res.Index
			}
			res.Referrers = inputsReferrers(t, top, s.rebuilt)
			again, err := pub.Publish(context.Background(), res, []string{"latest"})
			if err != nil {
				t.Fatal(err)
			}
			if again.DigestStr() != d.DigestStr() {
				t.Fatalf("%s: second build published %s, want the same image %s", s.repo, again.DigestStr(), d.DigestStr())
			}
		}
		if pushed[s.repo], err = v1.NewHash(d.DigestStr()); err != nil {
			t.Fatal(err)
		}
	}
	return pushed, refs
}

func TestFromRegistryListsInputsReferrer(t *testing.T) {
	host := testutil.InMemoryRegistry(t, registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(true))
	s := cases()[0]
	d, err := layering.NewRegistryPublisher(host).Publish(context.Background(), result(t, s), []string{"latest"})
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
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations[graph.AnnotationKey] != s.artifact.Digest {
		t.Fatalf("referrers of %s = %+v, want one artifact annotated %s", d, im.Manifests, s.artifact.Digest)
	}
	// ggcr's registry lists the config media type; the manifest says more.
	art, err := remote.Image(d.Context().Digest(im.Manifests[0].Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	m, err := art.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != graph.MediaType || m.Config.MediaType != types.OCIEmptyJSON || m.Subject == nil || m.Subject.Digest.String() != d.DigestStr() {
		t.Errorf("inputs artifact manifest = %+v, want artifact type %s, the empty config and subject %s", m, graph.MediaType, d.DigestStr())
	}
}

func TestFromLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "oci")
	t.Run("missing layout", func(t *testing.T) {
		got, err := state.FromLayout(dir, "latest", map[string]string{"api": "api"})
		if err != nil || len(got) != 0 {
			t.Errorf("FromLayout(missing) = %v, %v; want no records", got, err)
		}
	})
	pub := layering.NewLayoutPublisher(dir)
	pushed, _ := pushAll(t, pub, func(repo string) string { return "example.com/" + repo + ":latest" })
	repos := map[string]string{}
	for _, s := range cases() {
		repos[s.repo] = s.repo
	}
	got, err := state.PreviousFromLayout(dir, "latest", repos)
	if err != nil {
		t.Fatal(err)
	}
	// Read by their digests only, the records are read in full for the
	// images whose digest changed.
	r := record("api", "sha256:1")
	state.Complete(got, map[string]string{"record": r.Digest, "index": "sha256:changed"})
	if rec := got["record"].Record; rec.Digest != r.Digest || rec.Platforms != nil {
		t.Errorf("record of an unchanged image: %+v, want its digest %s only", rec, r.Digest)
	}
	if rec := got["index"].Record; rec.Digest != r.Digest || len(rec.Platforms) != 1 {
		t.Errorf("record of a changed image: %+v, want it whole", rec)
	}
	state.Complete(got, nil)
	check(t, got, pushed)
	recs, err := state.FromLayout(dir, "latest", repos)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(state.Records(got), recs); diff != "" {
		t.Errorf("FromLayout differs from PreviousFromLayout (-previous +records):\n%s", diff)
	}
	if other, err := state.FromLayout(dir, "v9", repos); err != nil || len(other) != 0 {
		t.Errorf("FromLayout(tag v9) = %v, %v; want no records", other, err)
	}
}
