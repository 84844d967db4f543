package pingcache

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestPingCache: requests to many repositories of a plain-HTTP registry
// through pingCache ping it once and try TLS once, not per repository,
// and still reach every repository.
func TestPingCache(t *testing.T) {
	var pings, conns atomic.Int32
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/v2/" {
			pings.Add(1)
		}
		h.ServeHTTP(rw, req)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS attempts are malformed HTTP
	s.Start()
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "http://")
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	const repos = 6
	for i := range repos {
		ref, err := name.ParseReference(host + "/acme/r" + string(rune('a'+i)) + ":1")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	pings.Store(0)
	conns.Store(0)

	p := newPingCache(false)
	for i := range repos {
		ref, err := name.ParseReference(host + "/acme/r" + string(rune('a'+i)) + ":1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := remote.Head(ref, remote.WithTransport(p), remote.WithContext(context.Background())); err != nil {
			t.Fatalf("HEAD %s: %v", ref, err)
		}
	}
	if got := pings.Load(); got != 1 {
		t.Errorf("%d pings for %d repositories, want 1", got, repos)
	}
	// One TLS attempt, one plain connection kept alive.
	if got := conns.Load(); got > 2 {
		t.Errorf("%d connections for %d repositories, want at most 2", got, repos)
	}
}
