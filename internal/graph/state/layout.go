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
	Complete(prev, nil)
	return Records(prev), nil
}

// PreviousFromLayout is FromLayout that also returns the digest of each
// image's "<repository>:<tag>" entry. Each record is read by its digest
// only (the annotation of its artifact's manifest): Complete reads those
// a plan needs in full.
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
		p := Previous{Digest: d.Digest, Record: &graph.Record{Image: image, Digest: want}, fallback: want}
		if a, ok := byName[repo+":"+FallbackTag(d.Digest)]; ok {
			m, err := artifactManifest(lp, a.Digest)
			digest := ""
			if err == nil {
				digest = m.Annotations[graph.AnnotationKey]
			}
			switch {
			case err != nil:
			case digest == "": // no annotation to go by: read the record now
				if rec, err := layoutRecord(lp, m); err == nil && (want == "" || rec.Digest == want) {
					rec.Image = image
					p.Record = rec
				}
			case want == "" || digest == want:
				p.Record = &graph.Record{Image: image, Digest: digest}
				p.load = func() (*graph.Record, error) {
					rec, err := layoutRecord(lp, m)
					if err != nil {
						return nil, err
					}
					if rec.Digest != digest {
						return nil, fmt.Errorf("inputs artifact of %s: record %s, annotated %s", image, rec.Digest, digest)
					}
					rec.Image = image
					return rec, nil
				}
			}
		}
		out[image] = p
	}
	return out, nil
}

// artifactManifest reads the manifest, blob h of the layout, of an inputs
// artifact (made by Artifact), and checks its one layer is a record.
// (Blobs are read directly: through the layout's index, every image
// looked up parses index.json again, and 300 records took seconds.)
func artifactManifest(lp layout.Path, h v1.Hash) (*v1.Manifest, error) {
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
	return m, nil
}

// layoutRecord reads the record of the inputs artifact whose manifest is
// m from the layout.
func layoutRecord(lp layout.Path, m *v1.Manifest) (*graph.Record, error) {
	b, err := lp.Bytes(m.Layers[0].Digest)
	if err != nil {
		return nil, fmt.Errorf("reading inputs artifact: %w", err)
	}
	return graph.UnmarshalRecord(b)
}
