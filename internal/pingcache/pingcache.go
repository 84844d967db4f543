// Package pingcache is the HTTP transport of gobake's registry requests:
// it answers go-containerregistry's pings of a registry from the first.
package pingcache

import (
	"crypto/tls"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pingCache is the HTTP transport of gobake's registry requests. Before
// its first request to each repository, go-containerregistry pings the
// registry (GET /v2/) for its authentication challenge, and for a
// loopback or --insecure registry it tries https and http at once. The
// challenge is the registry's, not the repository's, so pingCache answers
// every ping after the first from the registry's first answer (200, or 401
// with its challenge), per scheme and host; and once a registry answered
// over http, an https ping to it fails at once with the error https gave,
// with no TLS handshake. A release of hundreds of images touches hundreds
// of repositories: without it, a ping per repository (and per Puller and
// Pusher) and, for a plain-HTTP registry, a failed TLS handshake each cost
// finalize about a third of its CPU; a build of unchanged images, which
// asks the registry a few HEAD requests per image, made more pings than
// those.
type pingCache struct {
	base http.RoundTripper

	mu       sync.Mutex
	answers  map[string]pingAnswer // by scheme://host
	httpsErr map[string]error      // the failure of https, by host
}

// pingAnswer is what a registry answered a ping.
type pingAnswer struct {
	status int
	header http.Header
}

// New returns a transport that pings each registry once (see pingCache)
// over the transport gobake would use otherwise: ggcr's default, not
// verifying certificates when insecure. Share one between all the
// requests of a run.
func New(insecure bool) http.RoundTripper { return newPingCache(insecure) }

func newPingCache(insecure bool) *pingCache {
	base := remote.DefaultTransport
	if dt, ok := base.(*http.Transport); ok && insecure {
		t := dt.Clone()
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
		base = t
	}
	return &pingCache{base: base, answers: map[string]pingAnswer{}, httpsErr: map[string]error{}}
}

// RoundTrip implements http.RoundTripper.
func (p *pingCache) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.URL.Path != "/v2/" || req.Header.Get("Authorization") != "" {
		return p.base.RoundTrip(req)
	}
	key := req.URL.Scheme + "://" + req.URL.Host
	p.mu.Lock()
	a, ok := p.answers[key]
	_, overHTTP := p.answers["http://"+req.URL.Host]
	err := p.httpsErr[req.URL.Host]
	p.mu.Unlock()
	switch {
	case ok:
		return &http.Response{
			Status: http.StatusText(a.status), StatusCode: a.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: a.header.Clone(), Body: http.NoBody, ContentLength: 0, Request: req,
		}, nil
	case req.URL.Scheme == "https" && overHTTP && err != nil:
		return nil, err
	}
	resp, err := p.base.RoundTrip(req)
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case err != nil && req.URL.Scheme == "https":
		p.httpsErr[req.URL.Host] = err
	case err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized):
		p.answers[key] = pingAnswer{status: resp.StatusCode, header: resp.Header.Clone()}
	}
	return resp, err
}
