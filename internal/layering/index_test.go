package layering

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// TestAssembleIndexDescriptorsHaveNoArtifactType guards a skopeo 1.9
// incompatibility: go-containerregistry copies each image's config media
// type into the index descriptor's artifactType, which container images do
// not carry and `skopeo copy --all --preserve-digests` refuses.
func TestAssembleIndexDescriptorsHaveNoArtifactType(t *testing.T) {
	var images []platformImage
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(64, 1)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, platformImage{image: img, platform: v1.Platform{OS: "linux", Architecture: arch}})
	}
	idx, err := assembleIndex(images, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range m.Manifests {
		if d.ArtifactType != "" {
			t.Errorf("manifests[%d] (%s): artifactType %q, want none", i, d.Platform, d.ArtifactType)
		}
		if d.Platform == nil || d.Platform.Architecture != images[i].platform.Architecture {
			t.Errorf("manifests[%d]: platform %v, want %v", i, d.Platform, images[i].platform)
		}
	}
}
