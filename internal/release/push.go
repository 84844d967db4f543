package release

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hashicorp/go-multierror"
	"golang.org/x/sync/errgroup"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
)

// push pushes every built image by digest, with its referrers and no tag,
// several at once, and returns every failure. With Options.Sign, its
// signature and provenance are among the referrers: they are in the
// registry before any tag or GitOps commit names the image.
func (r *run) push(ctx context.Context) error {
	var p layering.Publisher = layering.NewRegistryPublisher(r.opts.Registry,
		append(r.registryOptions(), layering.WithRegistryObserver(r.opts.Observer))...)
	if r.opts.Sign != nil {
		var err error
		if p, err = r.targets.Signed(p, r.opts.Sign, r.cfg, r.opts.Registry, r.opts.BuilderVersion); err != nil {
			return fmt.Errorf("release: %w", err)
		}
	}
	// The observer (a progress display) sees each push start, its bytes
	// and its end.
	p = layering.ObservePublisher(p, r.opts.Observer)
	return r.each(r.jobs(), func(img *Image) error {
		if img.Reused || (r.opts.Finalize && img.Shard != "") { // pushed already, by a shard
			img.Pushed = true
			return nil
		}
		res, ok := r.results[img.Image]
		if !ok {
			return fmt.Errorf("push %s: not built", img.Image)
		}
		if _, err := p.Publish(ctx, res, nil); err != nil {
			return err
		}
		img.Pushed = true
		r.logf("pushed %s\n", img.Reference)
		return nil
	})
}

// checkPushed checks that the registry serves every image of the release
// by digest: the GitOps commit names only digests that exist. It reads
// each manifest (one GET, its bytes checked against the digest) and keeps
// it as the body of the image's tag PUTs; one adopt read already is not
// read again.
func (r *run) checkPushed(ctx context.Context) error {
	return r.each(registryJobs, func(img *Image) error {
		ref, err := r.digestRef(img)
		if err != nil {
			return err
		}
		return r.keepManifest(ctx, ref, img)
	})
}

// keepManifest reads the manifest of img by digest (ref), its bytes
// checked against the digest, and keeps it as the body of the image's tag
// PUTs; one kept already, or read ahead (readAhead), is not read again.
func (r *run) keepManifest(ctx context.Context, ref name.Digest, img *Image) error {
	if img.manifest != nil && img.manifest.Digest.String() == img.Digest {
		return nil
	}
	if m := r.ahead.get(ref); m != nil {
		img.manifest = m
		return nil
	}
	m, ok, err := layering.Manifest(ctx, ref, r.lookupOptions()...)
	switch {
	case err != nil:
		return fmt.Errorf("release of %s: %w", img.Image, err)
	case !ok:
		return fmt.Errorf("release of %s: %s is not in the registry", img.Image, ref)
	}
	img.manifest = m
	return nil
}

// publish makes the release visible: it moves the image tags (moveTags)
// and pushes the GitOps commit, which it makes (a shallow clone of the
// deployment repository, the edits, the commit: prepareGitOps) while the
// tags are put, as neither needs the other. The commit is pushed only
// once every tag is in place: a release whose tags fail leaves the
// deployment as it was, as when the steps ran one after the other.
func (r *run) publish(ctx context.Context) error {
	if err := r.fetchNewest(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prepared := r.prepareGitOps(ctx)
	tagErr := r.moveTags(ctx)
	if tagErr != nil {
		cancel() // nothing of it will be pushed
	}
	p, err := prepared()
	if p == nil {
		return cmp.Or(tagErr, err)
	}
	defer p.Close()
	switch {
	case tagErr != nil:
		return tagErr // no GitOps commit: the deployment is as it was
	case err != nil:
		r.reportGitOps(p.Result())
		return err
	}
	res, err := p.Push(ctx)
	r.reportGitOps(res)
	return err
}

// fetchNewest fetches the tags of the source remote and marks the images
// whose version is the newest (markNewest): releases claimed since this
// one was decided own the floating tags and the deployment.
func (r *run) fetchNewest(ctx context.Context) error {
	if r.remoteName != "" {
		if err := r.repo.FetchTags(ctx, r.remoteName); err != nil {
			return fmt.Errorf("release: %w", err)
		}
	}
	return r.markNewest(ctx)
}

// manifestsAhead are the manifests finalize reads by digest while it
// decides the versions: see readAhead.
type manifestsAhead struct {
	done   chan struct{}                 // closed once every read ended
	got    map[string]*remote.Descriptor // by digest reference; those read, and only after done
	cancel context.CancelFunc
}

// readAhead starts reading, by digest, the manifest of every image the
// shards' records name, registryJobs at once: finalize knows every digest
// once it has read the records, and reads them while it decides the
// versions (git log, the tags: not the registry) instead of after;
// checkPushed then finds them read. A manifest missing or failing here is
// read again by checkPushed, which reports it.
func (r *run) readAhead(ctx context.Context) {
	repos := map[string]string{}
	for _, img := range r.cfg.Images {
		repos[img.Name] = imageref.Join(r.opts.Registry, img.Repository)
	}
	var refs []name.Digest
	for _, rec := range r.shardRecs {
		for _, si := range rec.Images {
			ref, err := imageref.Parse(repos[si.Image]+"@"+si.Digest, r.opts.Insecure)
			if d, ok := ref.(name.Digest); err == nil && ok && repos[si.Image] != "" && !si.SameOutput {
				refs = append(refs, d)
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &manifestsAhead{done: make(chan struct{}), got: map[string]*remote.Descriptor{}, cancel: cancel}
	r.ahead = a
	go func() {
		defer close(a.done)
		var mu sync.Mutex
		_ = eachOf(refs, registryJobs, func(ref name.Digest) error {
			if m, ok, err := layering.Manifest(ctx, ref, r.lookupOptions()...); err == nil && ok {
				mu.Lock()
				a.got[ref.String()] = m
				mu.Unlock()
			}
			return nil // checkPushed reads it again, and says what failed
		})
	}()
}

// get waits for the reads and returns the manifest of ref read ahead, nil
// when none was (or a is nil: nothing read ahead).
func (a *manifestsAhead) get(ref name.Digest) *remote.Descriptor {
	if a == nil {
		return nil
	}
	<-a.done
	return a.got[ref.String()]
}

// stop ends the reads still running and waits for them; a may be nil.
func (a *manifestsAhead) stop() {
	if a != nil {
		a.cancel()
		<-a.done
	}
}

// moveTags points the tags of every image at its digest: the floating
// ones (only for the newest version of an image: see fetchNewest), then
// the version tags, which are put once and never moved (see
// versionTagsToPut). A version tag in place thus means the image's tags
// are done; one that names another image stops the image before its
// floating tags move.
func (r *run) moveTags(ctx context.Context) error {
	return r.each(registryJobs, func(img *Image) error {
		ref, err := r.digestRef(img)
		if err != nil {
			return err
		}
		// A version tag naming another image refuses the release before
		// any tag of it moves.
		put, err := r.versionTagsToPut(ctx, ref, img)
		if err != nil {
			return err
		}
		if img.newest && len(img.floatingTags) > 0 {
			if err := r.putTags(ctx, ref, img, img.floatingTags); err != nil {
				return err
			}
		}
		if len(put) > 0 {
			if err := r.putTags(ctx, ref, img, put); err != nil {
				return err
			}
		}
		img.Tagged = true
		return nil
	})
}

// putTags puts tags on img (ref) with the manifest checkPushed read: one
// PUT per tag, no other request.
func (r *run) putTags(ctx context.Context, ref name.Digest, img *Image, tags []string) error {
	if err := r.keepManifest(ctx, ref, img); err != nil { // not checked yet: read it now
		return err
	}
	if err := layering.PutTags(ctx, ref, img.manifest, tags, r.lookupOptions()...); err != nil {
		return fmt.Errorf("release of %s: %w", img.Image, err)
	}
	return nil
}

// digestRef is the reference of img by digest.
func (r *run) digestRef(img *Image) (name.Digest, error) {
	ref, err := imageref.Parse(img.Reference, r.opts.Insecure)
	if err != nil {
		return name.Digest{}, fmt.Errorf("release of %s: %w", img.Image, err)
	}
	d, ok := ref.(name.Digest)
	if !ok {
		return name.Digest{}, fmt.Errorf("release of %s: %s is not a digest reference", img.Image, img.Reference)
	}
	return d, nil
}

// registryJobs bounds the registry requests a release makes at once
// where each is small (a HEAD, a manifest GET or PUT): they wait on the
// network and the registry, not on this machine's CPU, so a release of
// hundreds of images makes them many at a time, not GOMAXPROCS.
const registryJobs = 16

// jobs is the number of images pushed at once: Options.Jobs, or
// GOMAXPROCS (a push compresses nothing, but reads layers from disk).
func (r *run) jobs() int {
	if r.opts.Jobs > 0 {
		return r.opts.Jobs
	}
	return runtime.GOMAXPROCS(0)
}

// each runs fn on every image of the release, at most limit at once, and
// returns every failure, sorted.
func (r *run) each(limit int, fn func(img *Image) error) error {
	imgs := make([]*Image, len(r.report.Images))
	for i := range r.report.Images {
		imgs[i] = &r.report.Images[i]
	}
	return eachOf(imgs, limit, fn)
}

// eachOf runs fn on every item of items, at most limit at once, and
// returns every failure, sorted by message.
func eachOf[T any](items []T, limit int, fn func(T) error) error {
	var g errgroup.Group
	g.SetLimit(max(limit, 1))
	var mu sync.Mutex
	var errs *multierror.Error
	for _, it := range items {
		g.Go(func() error {
			if err := fn(it); err != nil {
				mu.Lock()
				errs = multierror.Append(errs, err)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait() // every failure is in errs
	return sortErrors(errs)
}
