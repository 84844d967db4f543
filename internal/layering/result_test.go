package layering

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
)

// TestResultDescriptor: the descriptor of a result is its image's or its
// index's; a result with neither is an error.
func TestResultDescriptor(t *testing.T) {
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := random.Index(64, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    Result
	}{
		{"image", Result{Image: img}},
		{"index", Result{Index: idx}},
		{"neither", Result{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.r.Descriptor()
			if tc.r.Image == nil && tc.r.Index == nil {
				if err == nil || err.Error() != "result has neither an image nor an index" {
					t.Fatalf("err = %v, want the result to have neither an image nor an index", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := digestOf(t, tc.r); d.Digest != want || d.Size == 0 || d.MediaType == "" {
				t.Errorf("descriptor %+v, want digest %s, a size and a media type", d, want)
			}
		})
	}
}
