package layering

import (
	"context"
	"fmt"

	"github.com/gobake/gobake/internal/imageref"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// CheckRegistry makes one request to registry (host[:port][/prefix]) so
// that a registry that cannot be reached is reported before any build
// starts, in one line naming it. Any HTTP answer, even 401 or 404, counts
// as reachable; only a failure to connect or an untrusted TLS certificate
// is an error.
func CheckRegistry(ctx context.Context, registry string, opts ...RegistryOption) error {
	o := makeRegistryOptions(opts...)
	repo, err := imageref.Repository(imageref.Join(registry, "gobake-probe"), o.insecure)
	if err != nil {
		return fmt.Errorf("registry %s: %w", registry, err)
	}
	_, err = remote.Head(repo.Tag("latest"), o.remoteOptions(ctx)...)
	if err == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return registryFault(repo.RegistryStr(), err)
}
