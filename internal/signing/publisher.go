package signing

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gobake/gobake/internal/layering"
)

// Publisher signs every result and attests its provenance before the
// publisher it wraps stores it: the signatures and attestations go as
// referrers of the result, so a registry gets them before any tag moves
// (see layering.RegistryPublisher.Publish).
type Publisher struct {
	next       layering.Publisher
	key        *Key
	repository func(layering.Result) string
	provenance func(layering.Result) (Provenance, error)
}

var _ layering.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher signing with key before next publishes:
// repository names the registry/repository a result is pushed to (the
// identity signed), provenance says how it was built.
func NewPublisher(next layering.Publisher, key *Key, repository func(layering.Result) string, provenance func(layering.Result) (Provenance, error)) *Publisher {
	return &Publisher{next: next, key: key, repository: repository, provenance: provenance}
}

// Publish signs r, attests its provenance and publishes it with next.
func (p *Publisher) Publish(ctx context.Context, r layering.Result, tags []string) (name.Digest, error) {
	desc, err := r.Descriptor()
	if err != nil {
		return name.Digest{}, fmt.Errorf("sign %s: %w", r.Name, err)
	}
	prov, err := p.provenance(r)
	if err != nil {
		return name.Digest{}, fmt.Errorf("sign %s: %w", r.Name, err)
	}
	refs, err := p.key.Referrers(Subject{Repository: p.repository(r), Descriptor: *desc}, prov)
	if err != nil {
		return name.Digest{}, err
	}
	r.Referrers = append(slices.Clip(r.Referrers), refs...)
	return p.next.Publish(ctx, r, tags)
}
