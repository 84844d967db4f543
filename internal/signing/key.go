// Package signing signs the images gobake pushes as cosign does, with a
// key (no keyless signing), and attests how each was built with an in-toto
// SLSA v1 provenance statement. Both are attached to the image twice, so
// that every cosign reads them: as OCI 1.1 referrers holding sigstore
// bundles (what cosign 3 writes and reads first) and under the legacy tags
// cosign 2 reads, sha256-<hex>.sig (a simple-signing payload and its
// signature) and sha256-<hex>.att (a DSSE envelope). The formats come
// from sigstore's and in-toto's Go libraries; signatures are
// deterministic, so signing the same image again gives the same artifacts.
package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// EnvPrefix starts a key reference that names an environment variable
// holding the PEM key, as cosign's env://VAR.
const EnvPrefix = "env://"

// PasswordEnv is the environment variable holding the password of an
// encrypted key, as for cosign.
const PasswordEnv = "COSIGN_PASSWORD"

// Key is a private key that signs images. It never shows its material:
// its String is the reference it was loaded from.
type Key struct {
	ref  string // file path or env://VAR, for messages
	sv   signature.SignerVerifier
	hint string // base64 SHA-256 of the public key's DER, the bundle's key hint
}

// String returns the reference the key was loaded from, never the key.
func (k *Key) String() string { return k.ref }

// LoadKey loads the private key ref names: a PEM file, or env://VAR for a
// PEM held in the environment variable VAR. The key may be cosign's
// encrypted format (cosign generate-key-pair), decrypted with
// $COSIGN_PASSWORD (empty when unset), or an unencrypted PKCS#8, SEC 1 or
// PKCS#1 key; ECDSA, RSA and Ed25519 keys sign as cosign signs with them.
// getenv reads the environment (os.Getenv when nil). Errors name ref and
// never hold key material or the password.
func LoadKey(ref string, getenv func(string) string) (*Key, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	fail := func(format string, args ...any) (*Key, error) {
		return nil, fmt.Errorf("signing key %s: %s", ref, fmt.Sprintf(format, args...))
	}
	var pemBytes []byte
	if v, ok := strings.CutPrefix(ref, EnvPrefix); ok {
		if v == "" {
			return fail("no variable after %s", EnvPrefix)
		}
		s := getenv(v)
		if s == "" {
			return fail("$%s is empty or not set", v)
		}
		pemBytes = []byte(s)
	} else {
		if ref == "" {
			return fail("no file named")
		}
		b, err := os.ReadFile(ref)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is in the message already
			}
			return fail("%v", err)
		}
		pemBytes = b
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, func(bool) ([]byte, error) {
		return []byte(getenv(PasswordEnv)), nil
	})
	if err != nil {
		return fail("%s", keyError(err))
	}
	sv, err := signer(priv)
	if err != nil {
		return fail("%v", err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		return fail("%v", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fail("%v", err)
	}
	sum := sha256.Sum256(der)
	return &Key{ref: ref, sv: sv, hint: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// keyError says why a key did not load, in words that hold none of its
// bytes: the libraries' messages name formats and steps only.
func keyError(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "PEM decoding failed"):
		return "not a PEM private key"
	case strings.Contains(msg, "decrypt"):
		return "cannot decrypt it: wrong password in $" + PasswordEnv
	}
	return "unreadable: " + msg
}

// signer returns the signer cosign uses for priv (Ed25519 keys sign
// Ed25519ph, as cosign's do), with ECDSA signing deterministically
// (RFC 6979) so that signing the same payload twice gives one signature.
func signer(priv crypto.PrivateKey) (signature.SignerVerifier, error) {
	cs, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported key type %T", priv)
	}
	algo, err := signature.GetDefaultAlgorithmDetails(cs.Public(), options.WithED25519ph())
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadSignerVerifierFromAlgorithmDetails(priv, algo, options.WithED25519ph())
	if err != nil {
		return nil, err
	}
	if k, ok := priv.(*ecdsa.PrivateKey); ok {
		ev, ok := sv.(*signature.ECDSASignerVerifier)
		if !ok {
			return nil, fmt.Errorf("unexpected signer %T for an ECDSA key", sv)
		}
		return &deterministicECDSA{ECDSASignerVerifier: ev, priv: k, hash: algo.GetHashType()}, nil
	}
	return sv, nil
}

// deterministicECDSA is sigstore's ECDSA signer-verifier, signing with
// crypto/ecdsa's RFC 6979 deterministic signatures instead of random ones.
type deterministicECDSA struct {
	*signature.ECDSASignerVerifier
	priv *ecdsa.PrivateKey
	hash crypto.Hash
}

// SignMessage signs the digest of message deterministically.
func (d *deterministicECDSA) SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error) {
	digest, _, err := signature.ComputeDigestForSigning(message, d.hash, []crypto.Hash{d.hash}, opts...)
	if err != nil {
		return nil, err
	}
	// A nil random source makes ecdsa.PrivateKey.Sign deterministic.
	return d.priv.Sign(nil, digest, d.hash)
}

// PublicKeyPEM returns the PEM of the key's public half, the file
// `cosign verify --key` takes.
func (k *Key) PublicKeyPEM() ([]byte, error) {
	pub, err := k.sv.PublicKey()
	if err != nil {
		return nil, err
	}
	return cryptoutils.MarshalPublicKeyToPEM(pub)
}
