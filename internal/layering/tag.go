package layering

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/go-multierror"
)

// Manifest reads the manifest or index ref names, once: one GET, whose
// bytes are checked to hash to ref's digest. It answers both whether the
// registry holds ref (false, and no error, when it does not) and what to
// put under a tag (PutTags): a release that tags an image it checked asks
// the registry once, not once per tag. A registry that cannot be asked is
// an error, not a false.
func Manifest(ctx context.Context, ref name.Digest, opts ...RegistryOption) (*remote.Descriptor, bool, error) {
	o := makeRegistryOptions(opts...)
	desc, err := remote.Get(ref, o.remoteOptions(ctx)...)
	var terr *transport.Error
	switch {
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("look up %s: %w", ref, classifyRegistryError(ref.Context().RegistryStr(), err))
	}
	sum := sha256.Sum256(desc.Manifest)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != ref.DigestStr() {
		return nil, false, fmt.Errorf("look up %s: the registry served a manifest of digest %s", ref, got)
	}
	return desc, true, nil
}

// PutTags points tags at m, the manifest or index ref names as Manifest
// read it: each tag is one manifest PUT of those bytes, and no blob moves.
// Every tag is tried; the failures are all returned.
func PutTags(ctx context.Context, ref name.Digest, m *remote.Descriptor, tags []string, opts ...RegistryOption) error {
	if m == nil || m.Digest.String() != ref.DigestStr() {
		return fmt.Errorf("tag %s: its manifest was not read", ref)
	}
	o := makeRegistryOptions(opts...)
	ropts := o.remoteOptions(ctx)
	registry := ref.Context().RegistryStr()
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return fmt.Errorf("tag %s: %w", ref, err)
	}
	var errs *multierror.Error
	for _, t := range tags {
		tag := ref.Context().Tag(t)
		if _, err := name.NewTag(ref.Context().Name() + ":" + t); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("tag %s as %q: %w", ref, t, err))
			continue
		}
		if err := pusher.Put(ctx, tag, m); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("tag %s as %s: %w", ref, t, classifyRegistryError(registry, err)))
		}
	}
	return errs.ErrorOrNil()
}
