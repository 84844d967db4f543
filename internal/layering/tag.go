package layering

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hashicorp/go-multierror"
)

// Tag points tags at the manifest or index ref names, which must already
// be in the registry: each tag is one manifest PUT of the stored manifest,
// and no blob moves. Every tag is tried; the failures are all returned.
func Tag(ctx context.Context, ref name.Digest, tags []string, opts ...RegistryOption) error {
	o := makeRegistryOptions(opts...)
	ropts := o.remoteOptions(ctx)
	registry := ref.Context().RegistryStr()
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return fmt.Errorf("tag %s: %w", ref, classifyRegistryError(registry, err))
	}
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
		if err := pusher.Put(ctx, tag, desc); err != nil {
			errs = multierror.Append(errs, fmt.Errorf("tag %s as %s: %w", ref, t, classifyRegistryError(registry, err)))
		}
	}
	return errs.ErrorOrNil()
}

// Exists reports whether the registry holds the manifest or index ref
// names. A registry that cannot be asked is an error, not a false.
func Exists(ctx context.Context, ref name.Digest, opts ...RegistryOption) (bool, error) {
	o := makeRegistryOptions(opts...)
	_, err := remote.Head(ref, o.remoteOptions(ctx)...)
	var terr *transport.Error
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("look up %s: %w", ref, classifyRegistryError(ref.Context().RegistryStr(), err))
}
