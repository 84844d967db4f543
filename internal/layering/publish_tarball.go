package layering

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/gobake/gobake/internal/dotdir"
)

// TarballPublisher collects results and writes them, on Close, as one
// docker-loadable tarball (`docker load -i`). It is safe for concurrent use.
type TarballPublisher struct {
	path   string
	prefix string

	archive archiveRefs
}

var _ Publisher = (*TarballPublisher)(nil)

// TarballOption configures a TarballPublisher.
type TarballOption func(*TarballPublisher)

// WithTarballRepositoryPrefix names images prefix + "/" + repository in the
// tarball (e.g. "ghcr.io/acme"), instead of the bare repository.
func WithTarballRepositoryPrefix(prefix string) TarballOption {
	return func(p *TarballPublisher) { p.prefix = strings.TrimSuffix(prefix, "/") }
}

// NewTarballPublisher returns a Publisher whose results are written to the
// tarball at path by Close.
//
// A single-platform result is written under "<repository>:<tag>" for each
// tag (untagged when there are none). A docker tarball holds images, not
// indexes, so for a multi-platform result every platform image is written
// under "<repository>:<tag>-<os>-<arch>[-<variant>]", and the one for
// linux on the host's architecture (else the first) also under
// "<repository>:<tag>". Referrers (SBOMs) are not written.
func NewTarballPublisher(path string, opts ...TarballOption) *TarballPublisher {
	p := &TarballPublisher{path: path}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// Publish records r to be written by Close. It returns
// "<repository>@sha256:…" with the digest of r's image or index.
func (p *TarballPublisher) Publish(ctx context.Context, r Result, tags []string) (name.Digest, error) {
	repoName := imageref.Join(p.prefix, r.Repository)
	fail := func(format string, args ...any) (name.Digest, error) {
		return name.Digest{}, fmt.Errorf("write %s (tarball %s): %w", r.Name, p.path, fmt.Errorf(format, args...))
	}
	if err := ctx.Err(); err != nil {
		return fail("%w", err)
	}
	_, digest, err := topManifest(r)
	if err != nil {
		return fail("%w", err)
	}
	ref, err := name.NewDigest(repoName + "@" + digest.String())
	if err != nil {
		return fail("%w", err)
	}
	refs, err := tarballRefs(r, repoName, ref, tags)
	if err != nil {
		return fail("%w", err)
	}
	if err := p.archive.add(refs); err != nil {
		return fail("%w", err)
	}
	return ref, nil
}

// tarballRefs maps the names r gets in the tarball to its images.
func tarballRefs(r Result, repoName string, ref name.Digest, tags []string) (map[name.Reference]v1.Image, error) {
	out := map[name.Reference]v1.Image{}
	tagged := func(t string, img v1.Image) error {
		tag, err := name.NewTag(repoName + ":" + t)
		if err != nil {
			return fmt.Errorf("tag %q: %w", t, err)
		}
		out[tag] = img
		return nil
	}
	if r.Image != nil {
		if len(tags) == 0 {
			out[ref] = r.Image
		}
		for _, t := range tags {
			if err := tagged(t, r.Image); err != nil {
				return nil, err
			}
		}
		return out, nil
	}

	im, err := r.Index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("index manifest: %w", err)
	}
	var def v1.Image
	hostFound := false
	for _, desc := range im.Manifests {
		if !desc.MediaType.IsImage() {
			continue
		}
		img, err := r.Index.Image(desc.Digest)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", desc.Digest, err)
		}
		plat := desc.Platform
		if plat == nil {
			if cf, err := img.ConfigFile(); err == nil {
				plat = cf.Platform()
			}
		}
		host := plat != nil && plat.OS == "linux" && plat.Architecture == runtime.GOARCH
		if def == nil || (host && !hostFound) {
			def, hostFound = img, host
		}
		if len(tags) == 0 {
			d, err := name.NewDigest(repoName + "@" + desc.Digest.String())
			if err != nil {
				return nil, err
			}
			out[d] = img
		}
		for _, t := range tags {
			if err := tagged(t+"-"+platformSuffix(plat, desc.Digest), img); err != nil {
				return nil, err
			}
		}
	}
	if def == nil {
		return nil, errors.New("index holds no image")
	}
	for _, t := range tags {
		if err := tagged(t, def); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// platformSuffix is "<os>-<arch>[-<variant>]" for p, or the first 12 hex
// digits of the digest when the platform is unknown.
func platformSuffix(p *v1.Platform, d v1.Hash) string {
	if p == nil || p.OS == "" || p.Architecture == "" {
		return d.Hex[:12]
	}
	s := p.OS + "-" + p.Architecture
	if p.Variant != "" {
		s += "-" + p.Variant
	}
	return s
}

// Close writes the tarball of every published image to a temporary file
// next to path and renames it over path. With nothing published it writes
// nothing. Publish fails after Close.
func (p *TarballPublisher) Close(ctx context.Context) error {
	return p.archive.close(ctx, func(archive func(io.Writer) error) error {
		if err := dotdir.Prepare(filepath.Dir(p.path)); err != nil {
			return fmt.Errorf("write tarball %s: %w", p.path, err)
		}
		if err := writeFileAtomicFunc(p.path, archive); err != nil {
			return fmt.Errorf("write tarball %s: %w", p.path, err)
		}
		return nil
	})
}

// archiveRefs collects, under the names Publish gives them, the images
// that a publisher writes as one docker archive on Close. It is safe for
// concurrent use.
type archiveRefs struct {
	mu     sync.Mutex
	refs   map[name.Reference]v1.Image
	closed bool
}

// add records refs; it fails once the archive is closed.
func (a *archiveRefs) add(refs map[name.Reference]v1.Image) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return errors.New("publisher is closed")
	}
	if a.refs == nil {
		a.refs = map[name.Reference]v1.Image{}
	}
	maps.Copy(a.refs, refs)
	return nil
}

// close closes the archive and, the first time, if it holds any image,
// calls write with a function that writes the archive to w (stopping once
// ctx is done). Nothing is added while write runs.
func (a *archiveRefs) close(ctx context.Context, write func(archive func(w io.Writer) error) error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	a.closed = true
	if len(a.refs) == 0 {
		return nil
	}
	return write(func(w io.Writer) error {
		return tarball.MultiRefWrite(a.refs, ctxWriter{ctx: ctx, w: w})
	})
}

// ctxWriter fails writes once ctx is done, so that a cancelled run stops
// writing a large tarball.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

// Write writes b unless the context is done.
func (c ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(b)
}
