package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/graph"
)

// FromRegistry reads, in parallel, the records of the images at refs (by
// image name, e.g. the baseline tag). An image that does not exist has no
// record; one pushed without a record gets a Record with no platforms,
// which plans as "inputs of the previous build unknown".
func FromRegistry(ctx context.Context, refs map[string]name.Reference, opts ...remote.Option) (map[string]*graph.Record, error) {
	out := make(map[string]*graph.Record)
	var mu sync.Mutex
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for image, ref := range refs {
		eg.Go(func() error {
			r, err := readRegistry(ctx, ref, opts)
			if err != nil {
				return fmt.Errorf("previous build of %s (%s): %w", image, ref, err)
			}
			if r != nil {
				r.Image = image
				mu.Lock()
				out[image] = r
				mu.Unlock()
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func readRegistry(ctx context.Context, ref name.Reference, opts []remote.Option) (*graph.Record, error) {
	opts = append(opts, remote.WithContext(ctx))
	desc, err := remote.Get(ref, opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	want, err := annotation(desc)
	if err != nil || want == "" {
		return &graph.Record{}, err
	}
	subject := ref.Context().Digest(desc.Digest.String())
	if r := fromReferrers(subject, want, opts); r != nil {
		return r, nil
	}
	tag := ref.Context().Tag(FallbackTag(desc.Digest))
	if img, err := remote.Image(tag, opts...); err == nil {
		if r, err := ReadArtifact(img); err == nil && r.Digest == want {
			return r, nil
		}
	}
	return &graph.Record{Digest: want}, nil
}

// fromReferrers finds the record among the referrers of subject.
func fromReferrers(subject name.Digest, want string, opts []remote.Option) *graph.Record {
	idx, err := remote.Referrers(subject, opts...)
	if err != nil {
		return nil
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil
	}
	for _, d := range m.Manifests {
		if d.ArtifactType != graph.MediaType || d.Annotations[graph.AnnotationKey] != want && d.Annotations[graph.AnnotationKey] != "" {
			continue
		}
		img, err := remote.Image(subject.Context().Digest(d.Digest.String()), opts...)
		if err != nil {
			continue
		}
		if r, err := ReadArtifact(img); err == nil && r.Digest == want {
			return r
		}
	}
	return nil
}

// annotation returns the input digest annotation of a manifest or index.
func annotation(desc *remote.Descriptor) (string, error) {
	if desc.MediaType.IsIndex() {
		m, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return "", fmt.Errorf("parsing index: %w", err)
		}
		return m.Annotations[graph.AnnotationKey], nil
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return "", fmt.Errorf("parsing manifest: %w", err)
	}
	return m.Annotations[graph.AnnotationKey], nil
}
