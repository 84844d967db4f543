package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/options"

	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/testutil"
)

// pemKey returns priv as an unencrypted PKCS#8 PEM.
func pemKey(t *testing.T, priv crypto.PrivateKey) []byte {
	t.Helper()
	b, err := cryptoutils.MarshalPrivateKeyToPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeKey writes b to a file of a temporary directory.
func writeKey(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// cosignKeyPair returns a P-256 key pair in cosign's encrypted format, as
// cosign generate-key-pair writes it, and the public key's PEM.
func cosignKeyPair(t *testing.T, password string) (priv, pub []byte) {
	t.Helper()
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), func(bool) ([]byte, error) { return []byte(password), nil })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(priv, []byte("ENCRYPTED SIGSTORE PRIVATE KEY")) {
		t.Fatalf("not cosign's encrypted format:\n%s", priv)
	}
	return priv, pub
}

func TestLoadKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	encrypted, _ := cosignKeyPair(t, "s3cret-pass")
	ecPEM := pemKey(t, ec)
	for _, tc := range []struct {
		name    string
		ref     func(t *testing.T) string
		env     map[string]string
		wantErr string
	}{
		{name: "ecdsa file", ref: func(t *testing.T) string { return writeKey(t, ecPEM) }},
		{name: "ed25519 file", ref: func(t *testing.T) string { return writeKey(t, pemKey(t, ed)) }},
		{name: "rsa file", ref: func(t *testing.T) string { return writeKey(t, pemKey(t, rsaKey)) }},
		{name: "cosign encrypted", ref: func(t *testing.T) string { return writeKey(t, encrypted) }, env: map[string]string{PasswordEnv: "s3cret-pass"}},
		{name: "env", ref: func(*testing.T) string { return "env://SIGN_KEY" }, env: map[string]string{"SIGN_KEY": string(ecPEM)}},
		{name: "wrong password", ref: func(t *testing.T) string { return writeKey(t, encrypted) }, env: map[string]string{PasswordEnv: "nope"}, wantErr: "wrong password in $COSIGN_PASSWORD"},
		{name: "unset env", ref: func(*testing.T) string { return "env://SIGN_KEY" }, wantErr: "signing key env://SIGN_KEY: $SIGN_KEY is empty or not set"},
		{name: "env holds no key", ref: func(*testing.T) string { return "env://SIGN_KEY" }, env: map[string]string{"SIGN_KEY": "hunter2-not-a-key"}, wantErr: "not a PEM private key"},
		{name: "missing file", ref: func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.key") }, wantErr: "no such file or directory"},
		{name: "public key given", ref: func(t *testing.T) string {
			der, _ := x509.MarshalPKIXPublicKey(ec.Public())
			return writeKey(t, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		}, wantErr: "unreadable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := tc.ref(t)
			k, err := LoadKey(ref, env(tc.env))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if k.String() != ref {
					t.Errorf("String() = %q, want the reference %q", k.String(), ref)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			// Errors never show key material or the password.
			for _, secret := range []string{"hunter2", "s3cret", "nope", "PRIVATE KEY", "MII"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows %q: %v", secret, err)
				}
			}
		})
	}
}

// testSubject returns a random image and its subject in repository repo.
func testSubject(t *testing.T, repo string) (v1.Image, Subject) {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := partial.Descriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	return img, Subject{Repository: repo, Descriptor: *d}
}

var testProvenance = Provenance{
	Image: "api", Platforms: []string{"linux/amd64"}, Version: "1.2.3",
	Config: "gobake.yaml", ConfigSHA256: strings.Repeat("c", 64),
	Commit: strings.Repeat("a", 40), TreeState: "clean",
	Inputs:         "sha256:" + strings.Repeat("b", 64),
	BuilderVersion: map[string]string{"gobake": "v0.1.0"},
}

// layer returns the one layer of img and its descriptor's annotations.
func layer(t *testing.T, img v1.Image) ([]byte, artifactTypes, map[string]string) {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 1 {
		t.Fatalf("%d layers, want 1", len(m.Layers))
	}
	b, desc := testutil.Layer(t, img, 0)
	return b, artifactTypes{layer: string(desc.MediaType), artifact: m.ArtifactType, subject: m.Subject}, desc.Annotations
}

// artifactTypes are the media types and subject of an artifact.
type artifactTypes struct {
	layer, artifact string
	subject         *v1.Descriptor
}

func TestReferrers(t *testing.T) {
	keyFile, ec := testutil.SigningKey(t)
	k, err := LoadKey(keyFile, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signature.LoadDefaultVerifier(ec.Public(), options.WithED25519ph())
	if err != nil {
		t.Fatal(err)
	}
	_, s := testSubject(t, "127.0.0.1:5000/acme/api")
	refs, err := k.Referrers(s, testProvenance)
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 4 {
		t.Fatalf("%d referrers, want 4 (2 bundles, .sig, .att)", len(refs))
	}
	hexTag := "sha256-" + s.Descriptor.Digest.Hex
	var tags []string
	for _, rf := range refs {
		tags = append(tags, rf.FallbackTag)
		if rf.Subject != s.Descriptor.Digest {
			t.Errorf("referrer subject %s, want %s", rf.Subject, s.Descriptor.Digest)
		}
	}
	if got, want := strings.Join(tags, ","), ","+hexTag+".sig,,"+hexTag+".att"; got != want {
		t.Errorf("fallback tags %q, want %q", got, want)
	}

	t.Run("legacy signature", func(t *testing.T) {
		doc, ty, ann := layer(t, refs[1].Artifact)
		if ty.layer != SimpleSigningMediaType {
			t.Errorf("layer media type %s", ty.layer)
		}
		var p struct {
			Critical struct {
				Identity struct{ DockerReference string } `json:"identity"`
				Image    struct {
					Digest string `json:"docker-manifest-digest"`
				} `json:"image"`
				Type string `json:"type"`
			} `json:"critical"`
		}
		if err := json.Unmarshal(doc, &p); err != nil {
			t.Fatal(err)
		}
		if p.Critical.Image.Digest != s.Descriptor.Digest.String() || p.Critical.Type != "cosign container image signature" {
			t.Errorf("payload %s", doc)
		}
		sig, err := base64.StdEncoding.DecodeString(ann[SignatureAnnotation])
		if err != nil {
			t.Fatal(err)
		}
		if err := verifier.VerifySignature(bytes.NewReader(sig), bytes.NewReader(doc)); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
	})

	t.Run("bundles", func(t *testing.T) {
		for i, want := range map[int]string{0: SignPredicateType, 2: ProvenancePredicateType} {
			doc, ty, _ := layer(t, refs[i].Artifact)
			if ty.layer != BundleMediaType || ty.artifact != BundleMediaType {
				t.Errorf("bundle %d: media types %+v", i, ty)
			}
			if ty.subject == nil || ty.subject.Digest != s.Descriptor.Digest {
				t.Errorf("bundle %d: subject %v", i, ty.subject)
			}
			var b struct {
				MediaType            string `json:"mediaType"`
				VerificationMaterial struct {
					PublicKey struct{ Hint string } `json:"publicKey"`
				} `json:"verificationMaterial"`
				DSSEEnvelope json.RawMessage `json:"dsseEnvelope"`
			}
			if err := json.Unmarshal(doc, &b); err != nil {
				t.Fatal(err)
			}
			if b.MediaType != BundleMediaType || b.VerificationMaterial.PublicKey.Hint == "" {
				t.Errorf("bundle %d: %s", i, doc)
			}
			st := verifyEnvelope(t, verifier, b.DSSEEnvelope)
			if st.PredicateType != want {
				t.Errorf("bundle %d: predicate type %s, want %s", i, st.PredicateType, want)
			}
		}
	})

	t.Run("provenance", func(t *testing.T) {
		doc, ty, ann := layer(t, refs[3].Artifact)
		if ty.layer != DSSEMediaType || ann["predicateType"] != ProvenancePredicateType {
			t.Errorf("attestation layer %s %v", ty.layer, ann)
		}
		st := verifyEnvelope(t, verifier, doc)
		if len(st.Subject) != 1 || st.Subject[0].Name != s.Repository || st.Subject[0].Digest["sha256"] != s.Descriptor.Digest.Hex {
			t.Errorf("subject %+v", st.Subject)
		}
		var p struct {
			BuildDefinition struct {
				BuildType            string         `json:"buildType"`
				ExternalParameters   map[string]any `json:"externalParameters"`
				ResolvedDependencies []struct {
					Name   string            `json:"name"`
					Digest map[string]string `json:"digest"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
			RunDetails struct {
				Builder struct {
					ID      string            `json:"id"`
					Version map[string]string `json:"version"`
				} `json:"builder"`
			} `json:"runDetails"`
		}
		if err := json.Unmarshal(st.Predicate, &p); err != nil {
			t.Fatal(err)
		}
		deps := map[string]map[string]string{}
		for _, d := range p.BuildDefinition.ResolvedDependencies {
			deps[d.Name] = d.Digest
		}
		switch {
		case p.BuildDefinition.BuildType != BuildType:
			t.Errorf("buildType %q", p.BuildDefinition.BuildType)
		case p.BuildDefinition.ExternalParameters["image"] != "api" || p.BuildDefinition.ExternalParameters["config"] != "gobake.yaml":
			t.Errorf("externalParameters %v", p.BuildDefinition.ExternalParameters)
		case deps["source"]["gitCommit"] != testProvenance.Commit:
			t.Errorf("source %v", deps)
		case deps["gobake.yaml"]["sha256"] != testProvenance.ConfigSHA256:
			t.Errorf("config %v", deps)
		case "sha256:"+deps["inputs"]["sha256"] != testProvenance.Inputs:
			t.Errorf("inputs %v", deps)
		case p.RunDetails.Builder.ID != DefaultBuilderID || p.RunDetails.Builder.Version["gobake"] != "v0.1.0":
			t.Errorf("builder %+v", p.RunDetails.Builder)
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		again, err := k.Referrers(s, testProvenance)
		if err != nil {
			t.Fatal(err)
		}
		for i := range refs {
			d1, _ := refs[i].Artifact.Digest()
			d2, _ := again[i].Artifact.Digest()
			if d1 != d2 {
				t.Errorf("referrer %d: %s then %s: signing twice must give the same artifact", i, d1, d2)
			}
		}
	})
}

// statementJSON is the part of an in-toto statement the tests read.
type statementJSON struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
}

// verifyEnvelope verifies a DSSE envelope with v and returns its statement.
func verifyEnvelope(t *testing.T, v signature.Verifier, env []byte) statementJSON {
	t.Helper()
	var payload []byte
	dv := dsse.WrapVerifier(v, dsse.WithExpectedPayloadType(InTotoPayloadType), dsse.WithDecodedPayload(&payload))
	if err := dv.VerifySignature(bytes.NewReader(env), nil); err != nil {
		t.Fatalf("envelope does not verify: %v\n%s", err, env)
	}
	var st statementJSON
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v1" {
		t.Errorf("statement type %q", st.Type)
	}
	return st
}

// recorder is a layering.Publisher that keeps what it was given.
type recorder struct{ got layering.Result }

func (r *recorder) Publish(_ context.Context, res layering.Result, _ []string) (name.Digest, error) {
	r.got = res
	return name.Digest{}, nil
}

func TestPublisherAddsReferrers(t *testing.T) {
	keyFile, _ := testutil.SigningKey(t)
	k, err := LoadKey(keyFile, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	img, _ := testSubject(t, "r.example/acme/api")
	sbom, _ := testSubject(t, "r.example/acme/api")
	in := layering.Result{Name: "api", Repository: "api", Image: img, Referrers: []layering.Referrer{{Artifact: sbom, FallbackTag: "x.sbom"}}}
	rec := &recorder{}
	p := NewPublisher(rec, k, func(r layering.Result) string { return "r.example/acme/" + r.Repository },
		func(r layering.Result) (Provenance, error) { return Provenance{Image: r.Name}, nil })
	if _, err := p.Publish(context.Background(), in, nil); err != nil {
		t.Fatal(err)
	}
	if len(rec.got.Referrers) != 5 || rec.got.Referrers[0].FallbackTag != "x.sbom" {
		t.Errorf("published %d referrers (first %q), want the SBOM then 4", len(rec.got.Referrers), rec.got.Referrers[0].FallbackTag)
	}
	if len(in.Referrers) != 1 {
		t.Errorf("the caller's result changed: %d referrers", len(in.Referrers))
	}
}
