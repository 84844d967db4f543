package layering

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/platform"
)

// platformImage is one image of an index with the platform it runs on.
type platformImage struct {
	image    v1.Image
	platform v1.Platform
}

// assembleIndex makes an OCI image index of images, in order, each
// descriptor carrying its platform, with annotations on the index.
func assembleIndex(images []platformImage, annotations map[string]string) (v1.ImageIndex, error) {
	adds := make([]mutate.IndexAddendum, 0, len(images))
	for _, pi := range images {
		mt, err := pi.image.MediaType()
		if err != nil {
			return nil, fmt.Errorf("index entry %s: %w", platform.Format(pi.platform), err)
		}
		p := pi.platform
		adds = append(adds, mutate.IndexAddendum{
			Add:        containerImage{pi.image},
			Descriptor: v1.Descriptor{MediaType: mt, Platform: &p},
		})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if len(annotations) > 0 {
		idx = mutate.Annotations(idx, annotations).(v1.ImageIndex)
	}
	return idx, nil
}

// containerImage keeps an image's index descriptor free of artifactType:
// go-containerregistry would fill it with the config media type, which
// container images do not carry and skopeo 1.9 cannot copy with
// --preserve-digests.
type containerImage struct{ v1.Image }

// ArtifactType returns "": a container image is not an artifact.
func (containerImage) ArtifactType() (string, error) { return "", nil }
