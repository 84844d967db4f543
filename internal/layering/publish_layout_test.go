package layering

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// layoutRefs maps the ref names of dir/index.json to their digests.
func layoutRefs(t *testing.T, dir string) map[string]v1.Hash {
	t.Helper()
	im, err := readLayoutIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]v1.Hash{}
	for _, d := range im.Manifests {
		n := d.Annotations[AnnotationRefName]
		if _, dup := out[n]; dup {
			t.Errorf("ref name %q appears twice in index.json", n)
		}
		out[n] = d.Digest
	}
	return out
}

// checkLayoutBlobs verifies that every file under dir/blobs/sha256 is named
// after the SHA-256 of its content and that no temporary file is left in dir.
func checkLayoutBlobs(t *testing.T, dir string) {
	t.Helper()
	blobs := filepath.Join(dir, "blobs", "sha256")
	entries, err := os.ReadDir(blobs)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(blobs, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != e.Name() {
			t.Errorf("blob %s does not match its content", e.Name())
		}
	}
	top, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range top {
		switch e.Name() {
		case "blobs", "index.json", "oci-layout":
		default:
			t.Errorf("unexpected file %s in the layout", e.Name())
		}
	}
}

// validateLayoutRef loads the entry named ref from the layout and validates
// it and all its blobs.
func validateLayoutRef(t *testing.T, dir, ref string, want v1.Hash) {
	t.Helper()
	ii, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		if d.Annotations[AnnotationRefName] != ref {
			continue
		}
		if d.Digest != want {
			t.Errorf("%s = %s, want %s", ref, d.Digest, want)
		}
		if d.MediaType.IsIndex() {
			child, err := ii.ImageIndex(d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate.Index(child); err != nil {
				t.Errorf("%s: %v", ref, err)
			}
			return
		}
		img, err := ii.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("%s: %v", ref, err)
		}
		return
	}
	t.Errorf("no entry %s in index.json", ref)
}

func TestLayoutPublisher(t *testing.T) {
	for _, tc := range []struct {
		name  string
		index bool
	}{{name: "image"}, {name: "index", index: true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := filepath.Join(t.TempDir(), "oci")
			p := NewLayoutPublisher(dir)
			r := testImageResult(t, "api")
			if tc.index {
				r = testIndexResult(t, "api")
			}
			d := digestOf(t, r)

			got, err := p.Publish(ctx, r, []string{"latest", "v1"})
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got.String() != "api@"+d.String() {
				t.Errorf("Publish returned %s, want api@%s", got, d)
			}
			want := map[string]v1.Hash{"api:latest": d, "api:v1": d}
			for _, rf := range r.Referrers {
				want["api:"+rf.FallbackTag] = artifactDigest(t, rf)
			}
			if diff := cmp.Diff(want, layoutRefs(t, dir)); diff != "" {
				t.Errorf("index.json refs (-want +got):\n%s", diff)
			}
			for ref, h := range want {
				validateLayoutRef(t, dir, ref, h)
			}
			checkLayoutBlobs(t, dir)

			// Publishing again changes nothing.
			before, err := os.ReadFile(filepath.Join(dir, "index.json"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Publish(ctx, r, []string{"latest", "v1"}); err != nil {
				t.Fatal(err)
			}
			after, err := os.ReadFile(filepath.Join(dir, "index.json"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(before), string(after)); diff != "" {
				t.Errorf("second publish changed index.json (-before +after):\n%s", diff)
			}

			// A new image moves latest and leaves v1 alone, in a new
			// publisher as in a later run.
			next := testImageResult(t, "api")
			if _, err := NewLayoutPublisher(dir).Publish(ctx, next, []string{"latest"}); err != nil {
				t.Fatal(err)
			}
			want["api:latest"] = digestOf(t, next)
			want["api:"+next.Referrers[0].FallbackTag] = artifactDigest(t, next.Referrers[0])
			if diff := cmp.Diff(want, layoutRefs(t, dir)); diff != "" {
				t.Errorf("index.json refs after moving latest (-want +got):\n%s", diff)
			}
			validateLayoutRef(t, dir, "api:latest", digestOf(t, next))
			validateLayoutRef(t, dir, "api:v1", d)
			checkLayoutBlobs(t, dir)
		})
	}
}

func TestLayoutPublisherUntagged(t *testing.T) {
	dir := t.TempDir()
	r := testImageResult(t, "api")
	r.Referrers = nil
	if _, err := NewLayoutPublisher(dir).Publish(context.Background(), r, nil); err != nil {
		t.Fatal(err)
	}
	d := digestOf(t, r)
	if diff := cmp.Diff(map[string]v1.Hash{"api@" + d.String(): d}, layoutRefs(t, dir)); diff != "" {
		t.Errorf("index.json refs (-want +got):\n%s", diff)
	}
}

// brokenLayer is a layer whose content cannot be read.
type brokenLayer struct{ v1.Layer }

// Compressed fails.
func (brokenLayer) Compressed() (io.ReadCloser, error) { return nil, errors.New("disk on fire") }

func TestLayoutPublisherFailureKeepsIndex(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := NewLayoutPublisher(dir)
	old := testImageResult(t, "api")
	if _, err := p.Publish(ctx, old, []string{"latest"}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}

	bad, err := mutate.AppendLayers(old.Image, brokenLayer{static.NewLayer([]byte("x"), types.OCILayer)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(ctx, Result{Name: "api", Repository: "api", Image: bad}, []string{"latest", "v2"})
	if err == nil {
		t.Fatal("Publish of an unreadable layer succeeded")
	}
	if want := "write api (oci layout " + dir + "): "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("error %q does not start with %q", err, want)
	}
	after, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(before), string(after)); diff != "" {
		t.Errorf("failed publish changed index.json (-before +after):\n%s", diff)
	}
	checkLayoutBlobs(t, dir)
}

func TestLayoutPublisherConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := NewLayoutPublisher(dir)
	want := map[string]v1.Hash{}
	var results []Result
	for i := range 4 {
		r := testImageResult(t, fmt.Sprintf("svc%d", i))
		r.Referrers = nil
		results = append(results, r)
		want[r.Repository+":latest"] = digestOf(t, r)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(results))
	for i, r := range results {
		wg.Go(func() {
			_, errs[i] = p.Publish(ctx, r, []string{"latest"})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got := layoutRefs(t, dir)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("index.json refs (-want +got):\n%s", diff)
	}
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		validateLayoutRef(t, dir, n, got[n])
	}
	checkLayoutBlobs(t, dir)
}
