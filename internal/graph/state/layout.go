package state

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

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
			if rec, err := layoutRecord(lp, a.Digest); err == nil && (want == "" || rec.Digest == want) {
				r = rec
				r.Image = image
			}
		}
		out[image] = Previous{Digest: d.Digest, Record: r}
	}
	return out, nil
}

// layoutRecord reads the record of the inputs artifact (made by Artifact)
// whose manifest is blob h of the layout, from its blobs: the manifest,
// then its one layer. (Through the layout's index, every image looked up
// parses index.json again: reading 300 records took seconds.)
func layoutRecord(lp layout.Path, h v1.Hash) (*graph.Record, error) {
	raw, err := lp.Bytes(h)
	if err != nil {
		return nil, fmt.Errorf("reading inputs artifact: %w", err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("reading inputs artifact: %w", err)
	}
	if len(m.Layers) != 1 {
		return nil, fmt.Errorf("reading inputs artifact: %d layers, want 1", len(m.Layers))
	}
	if mt := m.Layers[0].MediaType; !strings.EqualFold(string(mt), graph.MediaType) {
		return nil, fmt.Errorf("reading inputs artifact: layer media type %q, want %s", mt, graph.MediaType)
	}
	b, err := lp.Bytes(m.Layers[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("reading inputs artifact: %w", err)
	}
	return graph.UnmarshalRecord(b)
}
