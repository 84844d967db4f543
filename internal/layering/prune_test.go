package layering

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// imageBlobs adds the digests of img's manifest, config and layers to set,
// as ggcr reads them.
func imageBlobs(t *testing.T, img v1.Image, set map[string]bool) {
	t.Helper()
	d, err := img.Digest()
	noErr(t, err)
	c, err := img.ConfigName()
	noErr(t, err)
	set[d.String()], set[c.String()] = true, true
	ls, err := img.Layers()
	noErr(t, err)
	for _, l := range ls {
		ld, err := l.Digest()
		noErr(t, err)
		set[ld.String()] = true
	}
}

// layoutBlobNames lists the files under dir/blobs as digests.
func layoutBlobNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	noErr(t, filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out[filepath.Base(filepath.Dir(p))+":"+d.Name()] = true
		}
		return err
	}))
	return out
}

// TestPruneLayout: three builds of one image (with its SBOM) under one tag,
// then prune: exactly the blobs of the third build and its SBOM stay, the
// SBOMs of the first two leave index.json, and a dry run before changes
// nothing but says the same.
func TestPruneLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := NewLayoutPublisher(dir)
	var last Result
	for range 3 {
		last = testImageResult(t, "svc")
		_, err := p.Publish(ctx, last, []string{"latest"})
		noErr(t, err)
	}
	tmp := filepath.Join(dir, "blobs", "sha256", "0123abc-interrupted")
	noErr(t, os.WriteFile(tmp, []byte("half"), 0o644))

	want := map[string]bool{}
	imageBlobs(t, last.Image, want)
	imageBlobs(t, last.Referrers[0].Artifact, want)
	before := layoutBlobNames(t, dir)

	dry, err := PruneLayout(ctx, dir, true)
	noErr(t, err)
	if diff := cmp.Diff(before, layoutBlobNames(t, dir)); diff != "" {
		t.Fatalf("dry run changed the blobs (-before +after):\n%s", diff)
	}
	got, err := PruneLayout(ctx, dir, false)
	noErr(t, err)
	if diff := cmp.Diff(dry, got); diff != "" {
		t.Errorf("dry run and prune disagree (-dry +prune):\n%s", diff)
	}
	if diff := cmp.Diff(want, layoutBlobNames(t, dir)); diff != "" {
		t.Errorf("blobs after prune (-reachable +left):\n%s", diff)
	}
	if len(got.Blobs)+1 != len(before)-len(want) || len(got.Entries) != 2 || len(got.Temps) != 1 {
		t.Errorf("prune reported %d blobs, entries %q, temps %q; want %d blobs, 2 entries, 1 temp", len(got.Blobs), got.Entries, got.Temps, len(before)-len(want)-1)
	}
	refs := layoutRefs(t, dir)
	wantRefs := map[string]v1.Hash{
		"svc:latest":                           digestOf(t, last),
		"svc:" + last.Referrers[0].FallbackTag: artifactDigest(t, last.Referrers[0]),
	}
	if diff := cmp.Diff(wantRefs, refs); diff != "" {
		t.Errorf("index.json after prune (-want +got):\n%s", diff)
	}
	for n, d := range refs {
		validateLayoutRef(t, dir, n, d)
	}
	checkLayoutBlobs(t, dir)

	again, err := PruneLayout(ctx, dir, false)
	noErr(t, err)
	if len(again.Blobs)+len(again.Entries)+len(again.Temps) != 0 {
		t.Errorf("a second prune removed %+v, want nothing", again)
	}
	if _, err := PruneLayout(ctx, t.TempDir(), false); err == nil {
		t.Errorf("prune of a directory without index.json succeeded")
	}
}

// TestPruneLayoutConcurrent: two builds publish into one layout, moving
// their tags, while prune runs again and again: every blob index.json
// reaches must be there at the end. Without the blobs lock a prune between
// a build's blob writes and its index.json update deletes the new blobs.
func TestPruneLayoutConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := NewLayoutPublisher(dir)
	const builds, rounds = 2, 12
	var results [builds][rounds]Result
	for b := range builds {
		for r := range rounds {
			results[b][r] = testImageResult(t, fmt.Sprintf("svc%d", b))
		}
	}
	_, err := p.Publish(ctx, testImageResult(t, "svc0"), []string{"latest"}) // the layout exists
	noErr(t, err)
	var wg sync.WaitGroup
	var done atomic.Int32
	errs := make([]error, builds+1)
	for b := range builds {
		wg.Go(func() {
			defer done.Add(1)
			for r := range rounds {
				if _, err := p.Publish(ctx, results[b][r], []string{"latest"}); err != nil {
					errs[b] = err
					return
				}
			}
		})
	}
	prunes := 0
	wg.Go(func() {
		for done.Load() < builds {
			if _, err := PruneLayout(ctx, dir, false); err != nil {
				errs[builds] = err
				return
			}
			prunes++
		}
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	refs := layoutRefs(t, dir)
	names := make([]string, 0, len(refs))
	for n := range refs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		validateLayoutRef(t, dir, n, refs[n])
	}
	for b := range builds {
		if got, want := refs[fmt.Sprintf("svc%d:latest", b)], digestOf(t, results[b][rounds-1]); got != want {
			t.Errorf("svc%d:latest = %s, want the last build %s", b, got, want)
		}
	}
	t.Logf("%d prunes ran during %d publishes", prunes, builds*rounds)
}
