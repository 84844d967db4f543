package layering

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// staticKeychain resolves every registry to one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

// TestRegistryPublisherNeverPrintsCredentials checks that failed pushes
// with basic-auth credentials name neither the password nor the encoded
// header in their error.
func TestRegistryPublisherNeverPrintsCredentials(t *testing.T) {
	const user, good = "ci-bot", "s3cret-Pa55"
	wantHeader := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+good))
	tests := []struct {
		name     string
		password string
		failPut  bool // authenticated, but the manifest PUT fails
	}{
		{name: "wrong password", password: "wr0ng-Pa55"},
		{name: "server error after auth", password: good, failPut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, _ := testRegistry(t, false, func(w http.ResponseWriter, r *http.Request) bool {
				if r.Header.Get("Authorization") != wantHeader {
					w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
					http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
					return true
				}
				if tt.failPut && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
					http.Error(w, "storage failure", http.StatusInternalServerError)
					return true
				}
				return false
			})
			kc := staticKeychain{authn.FromConfig(authn.AuthConfig{Username: user, Password: tt.password})}
			p := NewRegistryPublisher(host+"/acme", WithRegistryKeychain(kc), WithRegistryBackoff(fastBackoff))
			_, err := p.Publish(context.Background(), testImageResult(t, "api"), []string{"latest"})
			if err == nil {
				t.Fatal("Publish succeeded, want an error")
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			encoded := base64.StdEncoding.EncodeToString([]byte(user + ":" + tt.password))
			for _, secret := range []string{tt.password, encoded} {
				if strings.Contains(msg, secret) {
					t.Errorf("error shows a credential (%q): %s", secret, msg)
				}
			}
			if !strings.Contains(msg, "push api ("+host+"/acme/api)") {
				t.Errorf("error %q does not name the push", msg)
			}
		})
	}
}
