package layering

import (
	"context"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

func TestCheckRegistry(t *testing.T) {
	reg := newBuildRegistry(t)
	// A port that was just free: nothing listens on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(t, err)
	closed := l.Addr().String()
	noErr(t, l.Close())

	tests := []struct {
		name     string
		registry string
		wantErr  string
	}{
		{name: "reachable", registry: reg.host + "/acme"},
		{name: "refused", registry: closed + "/acme", wantErr: "registry " + closed + " is unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRegistry(context.Background(), tt.registry)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckRegistry: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("CheckRegistry error = %q, want one line containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestCheckRegistryUntrustedTLS checks a loopback registry serving TLS with
// a certificate nobody trusts: one line naming the registry, the
// certificate problem and the ways out (it used to panic comparing ggcr's
// uncomparable multi-error); with insecure, the certificate is not
// verified and the registry is reachable.
func TestCheckRegistryUntrustedTLS(t *testing.T) {
	s := httptest.NewUnstartedServer(registry.New(registry.Logger(nopLogger())))
	s.Config.ErrorLog = nopLogger() // handshake failures are expected
	s.StartTLS()
	t.Cleanup(s.Close)
	host := strings.TrimPrefix(s.URL, "https://")

	err := CheckRegistry(context.Background(), host+"/acme")
	want := "registry " + host + ": TLS certificate not trusted (tls: failed to verify certificate: x509: certificate signed by unknown authority): " +
		"add its CA to the system's trusted certificates (or $SSL_CERT_FILE), or pass --insecure to skip verification"
	if err == nil || err.Error() != want {
		t.Errorf("CheckRegistry error:\n got %v\nwant %s", err, want)
	}

	if err := CheckRegistry(context.Background(), host+"/acme", WithRegistryInsecure(true)); err != nil {
		t.Errorf("CheckRegistry with insecure: %v", err)
	}
}
