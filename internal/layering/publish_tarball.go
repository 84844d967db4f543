package layering

import (
	"context"
	"errors"
	"fmt"
	"io"
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

	mu     sync.Mutex
	refs   map[name.Reference]v1.Image
	closed bool
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
	p := &TarballPublisher{path: path, refs: map[name.Reference]v1.Image{}}
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

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fail("publisher is closed")
	}
	for k, img := range refs {
		p.refs[k] = img
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if len(p.refs) == 0 {
		return nil
	}
	if err := dotdir.Prepare(filepath.Dir(p.path)); err != nil {
		return fmt.Errorf("write tarball %s: %w", p.path, err)
	}
	err := writeFileAtomicFunc(p.path, func(w io.Writer) error {
		return tarball.MultiRefWrite(p.refs, ctxWriter{ctx: ctx, w: w})
	})
	if err != nil {
		return fmt.Errorf("write tarball %s: %w", p.path, err)
	}
	return nil
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
