package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// InMemoryRegistry serves go-containerregistry's in-memory registry over
// plain HTTP on 127.0.0.1 until the test ends, and returns its host:port.
// The options go to registry.New.
func InMemoryRegistry(t testing.TB, opts ...registry.Option) string {
	t.Helper()
	s := httptest.NewServer(registry.New(opts...))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// SigningKey generates a P-256 key, the kind cosign generate-key-pair
// makes, and writes it unencrypted (PKCS#8 PEM, as cosign reads it) to a
// file of a temporary directory. It returns the file and the key.
func SigningKey(t testing.TB) (string, *ecdsa.PrivateKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate a signing key: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatalf("encode the signing key: %v", err)
	}
	file := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatalf("write the signing key: %v", err)
	}
	return file, priv
}

// Layer returns the bytes (as stored, compressed or not) and the
// descriptor of layer i of img's manifest: for an OCI artifact, a
// document with its media type and annotations.
func Layer(t testing.TB, img v1.Image, i int) ([]byte, v1.Descriptor) {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatalf("read the manifest: %v", err)
	}
	if i >= len(m.Layers) {
		t.Fatalf("layer %d of a manifest of %d layers", i, len(m.Layers))
	}
	desc := m.Layers[i]
	l, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		t.Fatalf("layer %d (%s): %v", i, desc.Digest, err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatalf("layer %d (%s): %v", i, desc.Digest, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read layer %d (%s): %v", i, desc.Digest, err)
	}
	return b, desc
}
