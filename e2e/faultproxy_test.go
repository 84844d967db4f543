package e2e

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// faultKind is a kind of registry request the fault proxy can fail,
// classified by method and path.
type faultKind string

const (
	kindBlobUpload     faultKind = "blob upload"        // POST, PATCH, PUT /v2/…/blobs/uploads/…
	kindManifestDigest faultKind = "manifest by digest" // PUT /v2/…/manifests/sha256:…
	kindTagPut         faultKind = "tag PUT"            // PUT /v2/…/manifests/TAG (a version or floating tag)
	kindReferrers      faultKind = "referrers"          // GET /v2/…/referrers/…, PUT of the sha256-… fallback tags
	kindOther          faultKind = "other"
)

// faultMode is how the proxy fails a request.
type faultMode string

const (
	mode503   faultMode = "503"   // answers 503 Service Unavailable, which clients retry
	mode507   faultMode = "507"   // answers 507 Insufficient Storage (a full registry), which clients do not retry
	modeReset faultMode = "reset" // resets the connection without an answer
	modeGone  faultMode = "gone"  // resets this and every later request: the registry went away
)

var manifestPath = regexp.MustCompile(`^/v2/.+/manifests/([^/]+)$`)

// classify returns the kind of a registry request.
func classify(method, path string) faultKind {
	switch {
	case strings.Contains(path, "/blobs/uploads") && (method == http.MethodPost || method == http.MethodPatch || method == http.MethodPut):
		return kindBlobUpload
	case strings.Contains(path, "/referrers/") && method == http.MethodGet:
		return kindReferrers
	}
	m := manifestPath.FindStringSubmatch(path)
	if m == nil || method != http.MethodPut {
		return kindOther
	}
	switch ref := m[1]; {
	case strings.HasPrefix(ref, "sha256:"):
		return kindManifestDigest
	case strings.HasPrefix(ref, "sha256-"):
		return kindReferrers
	default:
		return kindTagPut
	}
}

// faultProxy is an HTTP reverse proxy on 127.0.0.1 in front of a registry
// that fails the requests of one kind, the first n of them or all until
// healed.
type faultProxy struct {
	Addr string

	mu    sync.Mutex
	kind  faultKind
	mode  faultMode
	left  int // failures left; < 0: until healed
	skip  int // matching requests still let through
	gone  bool
	hits  int // requests failed since the last arm
	proxy *httputil.ReverseProxy
}

// startFaultProxy starts a proxy to target, closed when the test ends.
func startFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &url.URL{Scheme: "http", Host: target}
	p := &faultProxy{Addr: ln.Addr().String()}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // the registry writes Location with the client's host
		},
	}
	srv := &http.Server{Handler: p}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return p
}

// arm makes the proxy fail requests of kind in mode, once skip of them
// went through: the next n, or all of them until heal when n < 0. A
// registry that goes away fails everything after the first.
func (p *faultProxy) arm(kind faultKind, mode faultMode, n, skip int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if mode == modeGone {
		n = 1
	}
	p.kind, p.mode, p.left, p.skip, p.gone, p.hits = kind, mode, n, skip, false, 0
}

// heal makes the proxy forward everything again and returns how many
// requests it failed since arm.
func (p *faultProxy) heal() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	hits := p.hits
	p.kind, p.left, p.gone = "", 0, false
	return hits
}

// fail decides whether to fail r, and how.
func (p *faultProxy) fail(r *http.Request) (faultMode, bool) {
	k := classify(r.Method, r.URL.Path)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gone {
		p.hits++
		return modeReset, true
	}
	if p.kind == "" || k != p.kind || p.left == 0 {
		return "", false
	}
	if p.skip > 0 {
		p.skip--
		return "", false
	}
	if p.left > 0 {
		p.left--
	}
	p.hits++
	if p.mode == modeGone {
		p.gone = true
		return modeReset, true
	}
	return p.mode, true
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mode, fail := p.fail(r)
	switch {
	case !fail:
		p.proxy.ServeHTTP(w, r)
	case mode == mode503:
		http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"fault proxy"}]}`, http.StatusServiceUnavailable)
	case mode == mode507:
		http.Error(w, `{"errors":[{"code":"UNKNOWN","message":"fault proxy: no space left"}]}`, http.StatusInsufficientStorage)
	default:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		c, _, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, not FIN
		}
		c.Close()
	}
}

// TestClassify pins which requests each fault kind hits.
func TestClassify(t *testing.T) {
	tests := []struct {
		method, path string
		want         faultKind
	}{
		{"POST", "/v2/acme/a/blobs/uploads/", kindBlobUpload},
		{"PATCH", "/v2/acme/a/blobs/uploads/3f1c", kindBlobUpload},
		{"PUT", "/v2/acme/a/blobs/uploads/3f1c", kindBlobUpload},
		{"HEAD", "/v2/acme/a/blobs/sha256:aa", kindOther},
		{"PUT", "/v2/acme/a/manifests/sha256:aa", kindManifestDigest},
		{"PUT", "/v2/acme/a/manifests/0.1.0", kindTagPut},
		{"PUT", "/v2/acme/a/manifests/latest", kindTagPut},
		{"PUT", "/v2/acme/a/manifests/sha256-aa.inputs", kindReferrers},
		{"GET", "/v2/acme/a/referrers/sha256:aa", kindReferrers},
		{"GET", "/v2/acme/a/manifests/0.1.0", kindOther},
		{"HEAD", "/v2/acme/a/manifests/sha256:aa", kindOther},
	}
	for _, tt := range tests {
		if got := classify(tt.method, tt.path); got != tt.want {
			t.Errorf("classify(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
