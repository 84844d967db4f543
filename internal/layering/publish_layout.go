package layering

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/dotdir"
)

// ociLayoutFile is the content of an image layout's oci-layout file.
const ociLayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// LayoutPublisher writes results into an OCI image layout directory that
// accumulates images across runs. It is safe for concurrent use, and
// several processes may write one layout at once: each update of
// index.json is a read-modify-write under an exclusive lock on the layout
// directory (flock), replacing the file atomically.
type LayoutPublisher struct {
	dir string
	mu  sync.Mutex // serializes updates of index.json
}

var _ Publisher = (*LayoutPublisher)(nil)

// NewLayoutPublisher returns a Publisher that writes into the OCI image
// layout at dir, creating it when missing.
//
// Each Publish adds one index.json entry per tag, annotated with
// org.opencontainers.image.ref.name "<repository>:<tag>" (or
// "<repository>@sha256:…" when there are no tags), and one per referrer,
// named "<repository>:<fallback tag>". An entry with the same ref name is
// replaced in place: the tag moves. Blobs are shared between images;
// PruneLayout deletes those no entry reaches any more.
func NewLayoutPublisher(dir string) *LayoutPublisher {
	return &LayoutPublisher{dir: dir}
}

// Publish writes every blob of r and its referrers, then replaces
// index.json atomically. A failure leaves index.json as it was; blobs that
// were written are complete (each is renamed into place) but unreferenced.
//
// The returned reference is "<repository>@sha256:…": the repository and
// digest of r within the layout. Its registry part means nothing.
func (p *LayoutPublisher) Publish(ctx context.Context, r Result, tags []string) (name.Digest, error) {
	fail := func(format string, args ...any) (name.Digest, error) {
		return name.Digest{}, fmt.Errorf("write %s (oci layout %s): %w", r.Name, p.dir, fmt.Errorf(format, args...))
	}
	top, digest, err := topManifest(r)
	if err != nil {
		return fail("%w", err)
	}
	if err := checkReferrers(r); err != nil {
		return fail("%w", err)
	}
	ref, err := name.NewDigest(r.Repository + "@" + digest.String())
	if err != nil {
		return fail("%w", err)
	}
	entries, err := layoutEntries(r, top, tags)
	if err != nil {
		return fail("%w", err)
	}

	lp := layout.Path(p.dir)
	if err := ctx.Err(); err != nil {
		return fail("%w", err)
	}
	if err := dotdir.Prepare(p.dir); err != nil {
		return fail("%w", err)
	}
	// From the first blob written (or found present) to index.json naming
	// it, PruneLayout must not run.
	unshare, err := lockBlobs(ctx, p.dir, false)
	if err != nil {
		return fail("%w", err)
	}
	defer unshare()
	if r.Image != nil {
		err = writeLayoutImage(lp, r.Image)
	} else {
		err = writeLayoutIndex(lp, r.Index)
	}
	if err != nil {
		return fail("%w", err)
	}
	for _, rf := range r.Referrers {
		if err := ctx.Err(); err != nil {
			return fail("%w", err)
		}
		if err := writeLayoutImage(lp, rf.Artifact); err != nil {
			return fail("referrer of %s: %w", rf.Subject, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fail("%w", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	unlock, err := lockLayout(ctx, p.dir)
	if err != nil {
		return fail("%w", err)
	}
	defer unlock()
	if err := updateLayoutIndex(p.dir, entries); err != nil {
		return fail("%w", err)
	}
	return ref, nil
}

// layoutEntries are the index.json descriptors for r: top under each tag
// and each referrer under its fallback tag.
func layoutEntries(r Result, top published, tags []string) ([]v1.Descriptor, error) {
	desc, err := layoutDescriptor(top)
	if err != nil {
		return nil, err
	}
	if r.Image != nil {
		if cf, err := r.Image.ConfigFile(); err == nil && cf.OS != "" {
			desc.Platform = cf.Platform()
		}
	}
	var names []string
	for _, t := range tags {
		names = append(names, r.Repository+":"+t)
	}
	if len(names) == 0 {
		names = []string{r.Repository + "@" + desc.Digest.String()}
	}
	var entries []v1.Descriptor
	for _, n := range names {
		if _, err := name.ParseReference(n); err != nil {
			return nil, fmt.Errorf("ref name %q: %w", n, err)
		}
		entries = append(entries, annotated(desc, n))
	}
	for _, rf := range r.Referrers {
		d, err := layoutDescriptor(rf.Artifact)
		if err != nil {
			return nil, fmt.Errorf("referrer of %s: %w", rf.Subject, err)
		}
		n := r.Repository + "@" + d.Digest.String()
		if rf.FallbackTag != "" {
			n = r.Repository + ":" + rf.FallbackTag
		}
		if _, err := name.ParseReference(n); err != nil {
			return nil, fmt.Errorf("ref name %q: %w", n, err)
		}
		entries = append(entries, annotated(d, n))
	}
	return entries, nil
}

// layoutDescriptor describes m for index.json: media type, digest, size and,
// for artifacts, artifact type.
func layoutDescriptor(m published) (v1.Descriptor, error) {
	d, err := partial.Descriptor(m)
	if err != nil {
		return v1.Descriptor{}, err
	}
	desc := v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
	if mf, err := partial.Manifest(m); err == nil && mf != nil && mf.ArtifactType != "" {
		desc.ArtifactType = mf.ArtifactType
	}
	return desc, nil
}

// annotated returns a copy of d named refName.
func annotated(d v1.Descriptor, refName string) v1.Descriptor {
	d.Annotations = map[string]string{AnnotationRefName: refName}
	return d
}

// updateLayoutIndex merges entries into dir/index.json: an entry replaces
// the existing one with the same ref name, in place, and is appended
// otherwise. index.json and oci-layout are replaced atomically.
func updateLayoutIndex(dir string, entries []v1.Descriptor) error {
	im, err := readLayoutIndex(dir)
	if err != nil {
		return err
	}
	pos := map[string]int{}
	for i, d := range im.Manifests {
		if n := d.Annotations[AnnotationRefName]; n != "" {
			pos[n] = i
		}
	}
	for _, e := range entries {
		n := e.Annotations[AnnotationRefName]
		if i, ok := pos[n]; ok {
			im.Manifests[i] = e
			continue
		}
		pos[n] = len(im.Manifests)
		im.Manifests = append(im.Manifests, e)
	}
	raw, err := json.MarshalIndent(im, "", "  ")
	if err != nil {
		return err
	}
	layoutPath := filepath.Join(dir, "oci-layout")
	if b, err := os.ReadFile(layoutPath); err != nil || string(b) != ociLayoutFile {
		if err := writeFileAtomic(layoutPath, []byte(ociLayoutFile)); err != nil {
			return fmt.Errorf("write oci-layout: %w", err)
		}
	}
	if err := writeFileAtomic(filepath.Join(dir, "index.json"), raw); err != nil {
		return fmt.Errorf("write index.json: %w", err)
	}
	return nil
}

// readLayoutIndex reads dir/index.json, or returns an empty index when
// there is none yet.
func readLayoutIndex(dir string) (*v1.IndexManifest, error) {
	f, err := os.Open(filepath.Join(dir, "index.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, err := v1.ParseIndexManifest(f)
	if err != nil {
		return nil, fmt.Errorf("read index.json: %w", err)
	}
	if im.Manifests == nil {
		im.Manifests = []v1.Descriptor{}
	}
	return im, nil
}
