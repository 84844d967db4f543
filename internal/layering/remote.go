package layering

import (
	"context"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/gobake/gobake/internal/pingcache"
)

// UserAgent is the User-Agent gobake sends to registries.
const UserAgent = "gobake"

// RegistryOption configures how gobake talks to registries, both to fetch
// base images and to push results.
type RegistryOption func(*registryOptions)

// registryOptions is what RegistryOptions set.
type registryOptions struct {
	keychain  authn.Keychain
	transport http.RoundTripper
	insecure  bool
	backoff   remote.Backoff
	jobs      int
	extra     []remote.Option
	observer  Observer // WithRegistryObserver's, for pushes
}

// defaultRegistryBackoff bounds the time spent retrying a request to a few
// seconds: 0.5s, 1s, 2s between four attempts.
var defaultRegistryBackoff = remote.Backoff{
	Duration: 500 * time.Millisecond,
	Factor:   2,
	Jitter:   0.1,
	Steps:    4,
}

// registryRetryStatusCodes are the HTTP statuses retried: timeouts, rate
// limits and server errors.
var registryRetryStatusCodes = []int{
	http.StatusRequestTimeout,
	http.StatusTooManyRequests,
	http.StatusInternalServerError,
	http.StatusBadGateway,
	http.StatusServiceUnavailable,
	http.StatusGatewayTimeout,
}

// WithRegistryKeychain replaces authn.DefaultKeychain (docker config.json and
// credential helpers) as the source of registry credentials.
func WithRegistryKeychain(k authn.Keychain) RegistryOption {
	return func(o *registryOptions) { o.keychain = k }
}

// WithRegistryTransport replaces ggcr's default HTTP transport. Retries and
// the user agent are still layered on top of it.
func WithRegistryTransport(t http.RoundTripper) RegistryOption {
	return func(o *registryOptions) { o.transport = t }
}

// WithRegistryInsecure makes references use plain HTTP and accept registries
// without TLS, whatever their host, and skips the verification of TLS
// certificates (as crane --insecure does) unless WithRegistryTransport
// sets the transport.
func WithRegistryInsecure(insecure bool) RegistryOption {
	return func(o *registryOptions) { o.insecure = insecure }
}

// WithRegistryBackoff replaces the retry backoff; its total must stay short
// so that an unreachable registry fails fast.
func WithRegistryBackoff(b remote.Backoff) RegistryOption {
	return func(o *registryOptions) { o.backoff = b }
}

// WithRegistryJobs sets how many blobs are transferred concurrently.
func WithRegistryJobs(n int) RegistryOption {
	return func(o *registryOptions) { o.jobs = n }
}

// WithRemoteOptions appends raw ggcr remote options, applied last.
func WithRemoteOptions(opts ...remote.Option) RegistryOption {
	return func(o *registryOptions) { o.extra = append(o.extra, opts...) }
}

// makeRegistryOptions applies opts over gobake's defaults.
func makeRegistryOptions(opts ...RegistryOption) registryOptions {
	o := registryOptions{
		keychain: authn.DefaultKeychain,
		backoff:  defaultRegistryBackoff,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// RemoteOptions returns the ggcr remote options gobake uses for every
// registry call: credentials from the keychain, bounded retries of
// transient failures (408, 429, 5xx, resets) that never retry a refused or
// unresolvable connection, the "gobake" user agent and ctx. Unless opts
// set a transport, the requests made with the options returned ping each
// registry once (pingcache): pass them to every call of one operation.
func RemoteOptions(ctx context.Context, opts ...RegistryOption) []remote.Option {
	o := makeRegistryOptions(opts...)
	return o.remoteOptions(ctx)
}

// remoteOptions turns o into ggcr remote options bound to ctx.
func (o registryOptions) remoteOptions(ctx context.Context) []remote.Option {
	ro := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(o.keychain),
		remote.WithUserAgent(UserAgent),
		remote.WithRetryBackoff(o.backoff),
		remote.WithRetryStatusCodes(registryRetryStatusCodes...),
		remote.WithRetryPredicate(isRetryable),
	}
	t := o.transport
	if t == nil {
		// The requests made with these options share one ping per
		// registry, not one per repository.
		t = pingcache.New(o.insecure)
	}
	ro = append(ro, remote.WithTransport(t))
	if o.jobs > 0 {
		ro = append(ro, remote.WithJobs(o.jobs))
	}
	return append(ro, o.extra...)
}
