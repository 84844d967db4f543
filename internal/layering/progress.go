package layering

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Phase is a step in building and publishing one image.
type Phase string

// The phases an image goes through, in order; PhaseFailed ends it instead
// of PhaseDone.
const (
	PhaseCompile Phase = "compile" // go build of one platform
	PhaseLayer   Phase = "layer"   // layering one platform's binary onto its base
	PhasePush    Phase = "push"    // publishing the image, with bytes for registries
	PhaseDone    Phase = "done"    // published
	PhaseFailed  Phase = "failed"  // a platform or the publish failed
)

// Event reports the progress of one image.
type Event struct {
	Image string
	// Platform is the platform built (os/arch[/variant]), or empty for
	// what concerns the whole image: PhasePush, PhaseDone and a failed
	// publish.
	Platform string
	Phase    Phase
	// Complete and Total are, for PhasePush to a registry, the bytes
	// uploaded and the bytes known to upload so far (Total grows as
	// blobs start, and is never below Complete); both are 0 for other
	// targets.
	Complete, Total int64
	// Reference is, for PhaseDone, the published reference.
	Reference string
	// Err is, for PhaseFailed, why.
	Err error
}

// Observer receives Events. Its Observe may be called concurrently, and
// must return quickly: the build waits for it.
type Observer interface {
	Observe(Event)
}

// ObserverFunc is a function that is an Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// nopObserver ignores events.
type nopObserver struct{}

func (nopObserver) Observe(Event) {}

// WithObserver sends the Builder's events (PhaseCompile, PhaseLayer and
// PhaseFailed of each platform) to o (default: none).
func WithObserver(o Observer) BuilderOption {
	return func(opts *builderOptions) {
		if o == nil {
			o = nopObserver{}
		}
		opts.observer = o
	}
}

// WithRegistryObserver sends the bytes a RegistryPublisher uploads, as
// PhasePush events of the image published, to o.
func WithRegistryObserver(o Observer) RegistryOption {
	return func(opts *registryOptions) { opts.observer = o }
}

// observedPublisher tells an Observer when publishing starts and ends.
type observedPublisher struct {
	pub Publisher
	o   Observer
}

// ObservePublisher returns pub reporting to o a PhasePush event when it
// starts publishing an image and a PhaseDone (with the reference) or
// PhaseFailed event when it ends.
func ObservePublisher(pub Publisher, o Observer) Publisher {
	if o == nil {
		return pub
	}
	return observedPublisher{pub: pub, o: o}
}

// Publish implements Publisher.
func (p observedPublisher) Publish(ctx context.Context, r Result, tags []string) (name.Digest, error) {
	p.o.Observe(Event{Image: r.Name, Phase: PhasePush})
	d, err := p.pub.Publish(ctx, r, tags)
	if err != nil {
		p.o.Observe(Event{Image: r.Name, Phase: PhaseFailed, Err: err})
		return d, err
	}
	p.o.Observe(Event{Image: r.Name, Phase: PhaseDone, Reference: d.String()})
	return d, nil
}

// pushProgress turns ggcr's upload updates for the image named image into
// PhasePush events to o. It returns the remote option to pass and a
// function to call once every push with that option has returned.
func pushProgress(o Observer, image string) (remote.Option, func()) {
	updates := make(chan v1.Update, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range updates {
			if u.Error == nil {
				// ggcr counts some bytes (manifests) as complete that it
				// never added to the total.
				o.Observe(Event{Image: image, Phase: PhasePush, Complete: u.Complete, Total: max(u.Total, u.Complete)})
			}
		}
	}()
	return remote.WithProgress(updates), func() {
		close(updates)
		<-done
	}
}
