package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/gobake/gobake/internal/graph"
)

// refNameKey is the OCI annotation naming an entry of a layout's index.json.
const refNameKey = "org.opencontainers.image.ref.name"

// FromLayout reads the records of images from the OCI layout at dir, where
// gobake stores each image as "<repository>:<tag>" and its record artifact
// as "<repository>:<FallbackTag>". repos maps image names to repositories.
// A missing layout holds no records.
func FromLayout(dir, tag string, repos map[string]string) (map[string]*graph.Record, error) {
	prev, err := PreviousFromLayout(dir, tag, repos)
	if err != nil {
		return nil, err
	}
	return Records(prev), nil
}

// PreviousFromLayout is FromLayout that also returns the digest of each
// image's "<repository>:<tag>" entry.
func PreviousFromLayout(dir, tag string, repos map[string]string) (map[string]Previous, error) {
	out := make(map[string]Previous)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading layout %s: %w", dir, err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading layout %s: %w", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading layout %s: %w", dir, err)
	}
	byName := make(map[string]v1.Descriptor)
	for _, d := range im.Manifests {
		byName[d.Annotations[refNameKey]] = d
	}
	for image, repo := range repos {
		d, ok := byName[repo+":"+tag]
		if !ok {
			continue
		}
		raw, err := lp.Bytes(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("previous build of %s: %w", image, err)
		}
		want, err := annotation(d.MediaType, raw)
		if err != nil {
			return nil, fmt.Errorf("previous build of %s: %w", image, err)
		}
		r := &graph.Record{Image: image, Digest: want}
		if a, ok := byName[repo+":"+FallbackTag(d.Digest)]; ok {
			if img, err := idx.Image(a.Digest); err == nil {
				if rec, err := ReadArtifact(img); err == nil && (want == "" || rec.Digest == want) {
					r = rec
					r.Image = image
				}
			}
		}
		out[image] = Previous{Digest: d.Digest, Record: r}
	}
	return out, nil
}
