package state_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/graph/state"
	"github.com/gobake/gobake/internal/layering"
)

// BenchmarkPreviousFromLayout reads the baseline of 300 images, each with
// a record of 700 inputs (as the synthetic monorepo's), from an OCI
// layout: by digests only, and whole.
func BenchmarkPreviousFromLayout(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "oci")
	pub := layering.NewLayoutPublisher(dir)
	repos := map[string]string{}
	for i := range 300 {
		name := fmt.Sprintf("s%03d", i)
		repos[name] = name
		r := &graph.Record{Image: name, Platforms: []graph.PlatformRecord{{Platform: "linux/amd64", Inputs: map[string]string{}}}}
		for j := range 700 {
			r.Platforms[0].Inputs[fmt.Sprintf("file:svc/%s/p%02d/f%03d.go", name, j%20, j)] = fmt.Sprintf("%064x", i*1000+j)
		}
		r.Seal()
		img, err := random.Image(64, 1)
		if err != nil {
			b.Fatal(err)
		}
		res := layering.Result{Name: name, Repository: name, Image: img}
		res.Referrers = inputsReferrers(b, img, r)
		if _, err := pub.Publish(context.Background(), res, []string{"latest"}); err != nil {
			b.Fatal(err)
		}
	}
	for _, whole := range []bool{false, true} {
		// digests: what a plan reads when no image changed; whole: every
		// record in full, as when every image changed.
		name := map[bool]string{false: "digests", true: "whole"}[whole]
		b.Run(name, func(b *testing.B) {
			for range b.N {
				got, err := state.PreviousFromLayout(dir, "latest", repos)
				if err != nil || len(got) != 300 {
					b.Fatal(len(got), err)
				}
				if whole {
					state.Complete(got, nil)
				}
			}
		})
	}
}
