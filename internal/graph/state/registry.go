package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/graph"
)

// Previous is the previous build of an image: the digest of the manifest
// or index its baseline reference names, and the record read back for it.
type Previous struct {
	Digest v1.Hash
	Record *graph.Record
	// load reads the record in full when only its digest was read (see
	// Complete); nil when Record is whole.
	load func() (*graph.Record, error)
	// fallback is the record when load fails: the digest the image's own
	// annotation gives (images of earlier gobake versions), else none.
	fallback string
}

// Complete reads in full the records of prev that were read by their
// digest only (PreviousFromLayout reads each from its artifact's
// manifest) and differ from current, the input digests now by image (nil
// completes every one): a plan needs the inputs of a changed image only,
// to say what changed. Records are completed in place, so the maps
// Records returned see them too. A record that does not read back is
// known by the image's annotation only, as when it is read at once.
func Complete(prev map[string]Previous, current map[string]string) {
	for image, p := range prev {
		if p.load == nil || current != nil && current[image] == p.Record.Digest {
			continue
		}
		if full, err := p.load(); err == nil {
			*p.Record = *full
		} else {
			*p.Record = graph.Record{Image: p.Record.Image, Digest: p.fallback}
		}
		p.load = nil
		prev[image] = p
	}
}

// Records returns the records of prev, by image name.
func Records(prev map[string]Previous) map[string]*graph.Record {
	out := make(map[string]*graph.Record, len(prev))
	for image, p := range prev {
		out[image] = p.Record
	}
	return out
}

// FromRegistry reads, in parallel, the records of the images at refs (by
// image name, e.g. the baseline tag). An image that does not exist has no
// record; one pushed without a record gets a Record with no platforms,
// which plans as "inputs of the previous build unknown".
func FromRegistry(ctx context.Context, refs map[string]name.Reference, opts ...remote.Option) (map[string]*graph.Record, error) {
	prev, err := PreviousFromRegistry(ctx, refs, opts...)
	if err != nil {
		return nil, err
	}
	return Records(prev), nil
}

// PreviousFromRegistry is FromRegistry that also returns the digest each
// reference resolved to.
func PreviousFromRegistry(ctx context.Context, refs map[string]name.Reference, opts ...remote.Option) (map[string]Previous, error) {
	out := make(map[string]Previous)
	var mu sync.Mutex
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(8)
	for image, ref := range refs {
		eg.Go(func() error {
			p, err := readRegistry(ctx, ref, opts)
			if err != nil {
				return fmt.Errorf("previous build of %s (%s): %w", image, ref, err)
			}
			if p != nil {
				p.Record.Image = image
				mu.Lock()
				out[image] = *p
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

// readRegistry reads the build ref names; nil when there is none.
func readRegistry(ctx context.Context, ref name.Reference, opts []remote.Option) (*Previous, error) {
	// Clip: the callers run in parallel over one slice, so append copies.
	opts = append(slices.Clip(opts), remote.WithContext(ctx))
	desc, err := remote.Get(ref, opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := &Previous{Digest: desc.Digest}
	// Images built before the record moved out of the manifest carry its
	// digest as an annotation; the record read back must match it then.
	want, err := annotation(desc.MediaType, desc.Manifest)
	if err != nil {
		return nil, err
	}
	// The fallback tag holds the newest record of this digest (two builds
	// with different inputs can give the same image), so it comes first.
	tag := ref.Context().Tag(FallbackTag(desc.Digest))
	if img, err := remote.Image(tag, opts...); err == nil {
		if r, err := ReadArtifact(img); err == nil && (want == "" || r.Digest == want) {
			p.Record = r
			return p, nil
		}
	}
	subject := ref.Context().Digest(desc.Digest.String())
	if r := fromReferrers(subject, want, opts); r != nil {
		p.Record = r
		return p, nil
	}
	p.Record = &graph.Record{Digest: want}
	return p, nil
}

// fromReferrers finds the record among the referrers of subject: the one
// whose digest is want, or when want is empty the first valid one.
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
		// Some registries (ggcr's) list the config media type instead of
		// the manifest's artifactType: the annotation identifies ours then.
		ann := d.Annotations[graph.AnnotationKey]
		if d.ArtifactType != graph.MediaType && ann == "" {
			continue
		}
		if want != "" && ann != "" && ann != want {
			continue
		}
		img, err := remote.Image(subject.Context().Digest(d.Digest.String()), opts...)
		if err != nil {
			continue
		}
		if r, err := ReadArtifact(img); err == nil && (want == "" || r.Digest == want) {
			return r
		}
	}
	return nil
}

// annotation returns the input digest annotation of raw, a manifest or,
// when mt says so, an index: set only on images of gobake versions that
// wrote the record's digest into the manifest.
func annotation(mt types.MediaType, raw []byte) (string, error) {
	if mt.IsIndex() {
		m, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return "", fmt.Errorf("parsing index: %w", err)
		}
		return m.Annotations[graph.AnnotationKey], nil
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return "", fmt.Errorf("parsing manifest: %w", err)
	}
	return m.Annotations[graph.AnnotationKey], nil
}

// HasRecord reports whether a record of the input digest inputs refers to
// subject: a build of exactly these inputs gave that image. It lists the
// referrers of subject once and reads only their annotations; a registry
// that cannot list them has none.
func HasRecord(ctx context.Context, subject name.Digest, inputs string, opts ...remote.Option) bool {
	idx, err := remote.Referrers(subject, append(opts, remote.WithContext(ctx))...)
	if err != nil {
		return false
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return false
	}
	for _, d := range m.Manifests {
		if d.Annotations[graph.AnnotationKey] == inputs {
			return true
		}
	}
	return false
}
