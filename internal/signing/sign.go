package signing

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/ociartifact"
)

// Media types and annotations of cosign's formats.
const (
	// BundleMediaType is a sigstore bundle v0.3, cosign 3's referrer.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// SimpleSigningMediaType is a layer of a .sig image: the signed payload.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// DSSEMediaType is a layer of an .att image: a DSSE envelope.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// InTotoPayloadType is the DSSE payload type of in-toto statements.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// SignatureAnnotation holds a .sig layer's base64 signature.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// BundlePredicateAnnotation names a bundle referrer's predicate type.
	BundlePredicateAnnotation = "dev.sigstore.bundle.predicateType"
	// bundleContentAnnotation says what a bundle referrer holds.
	bundleContentAnnotation = "dev.sigstore.bundle.content"
)

// Subject is the image being signed: its repository and the descriptor of
// its top manifest (the image, or the index of a multi-platform image).
type Subject struct {
	Repository string        // registry/repository, e.g. 127.0.0.1:5000/acme/api
	Descriptor v1.Descriptor // media type, digest and size of the manifest
}

// Referrers returns what signs s and attests its provenance p, ready for
// a layering.Publisher to push beside it: the signature and provenance as
// sigstore bundles referring to s (OCI 1.1 referrers), and cosign's
// legacy images under the tags sha256-<hex>.sig and sha256-<hex>.att.
// The same key, subject and provenance give the same artifacts.
func (k *Key) Referrers(s Subject, p Provenance) ([]layering.Referrer, error) {
	fail := func(what string, err error) ([]layering.Referrer, error) {
		return nil, fmt.Errorf("sign %s@%s: %s: %w", s.Repository, s.Descriptor.Digest, what, err)
	}
	if _, err := name.NewRepository(s.Repository); err != nil {
		return fail("repository", err)
	}
	digest := s.Descriptor.Digest.String()
	subject := v1.Descriptor{MediaType: s.Descriptor.MediaType, Digest: s.Descriptor.Digest, Size: s.Descriptor.Size}
	tag := func(suffix string) string {
		return s.Descriptor.Digest.Algorithm + "-" + s.Descriptor.Digest.Hex + "." + suffix
	}
	var out []layering.Referrer

	// cosign 3: a bundle whose DSSE envelope holds a statement about the
	// image with cosign's sign predicate.
	signSt, err := statement(s.Repository, digest, SignPredicateType, &structpb.Struct{})
	if err != nil {
		return fail("signature", err)
	}
	signBundle, _, err := k.bundle(signSt, SignPredicateType, subject)
	if err != nil {
		return fail("signature bundle", err)
	}
	out = append(out, layering.Referrer{Subject: s.Descriptor.Digest, Artifact: signBundle})

	// cosign 2: the simple-signing payload, signed, in a .sig image.
	ref, err := name.NewDigest(s.Repository + "@" + digest)
	if err != nil {
		return fail("signature", err)
	}
	simple, err := json.Marshal(payload.Cosign{Image: ref})
	if err != nil {
		return fail("signature", err)
	}
	sig, err := k.sv.SignMessage(bytes.NewReader(simple))
	if err != nil {
		return fail("signature", err)
	}
	sigImg, err := legacyImage(simple, SimpleSigningMediaType, map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)})
	if err != nil {
		return fail("signature", err)
	}
	out = append(out, layering.Referrer{Subject: s.Descriptor.Digest, Artifact: sigImg, FallbackTag: tag("sig")})

	// The provenance: one DSSE envelope, in a bundle and in an .att image.
	pred, err := p.predicate()
	if err != nil {
		return fail("provenance", err)
	}
	provSt, err := statement(s.Repository, digest, ProvenancePredicateType, pred)
	if err != nil {
		return fail("provenance", err)
	}
	provBundle, envelope, err := k.bundle(provSt, ProvenancePredicateType, subject)
	if err != nil {
		return fail("provenance bundle", err)
	}
	out = append(out, layering.Referrer{Subject: s.Descriptor.Digest, Artifact: provBundle})
	attImg, err := legacyImage(envelope, DSSEMediaType, map[string]string{SignatureAnnotation: "", "predicateType": ProvenancePredicateType})
	if err != nil {
		return fail("provenance", err)
	}
	out = append(out, layering.Referrer{Subject: s.Descriptor.Digest, Artifact: attImg, FallbackTag: tag("att")})
	return out, nil
}

// bundle signs the in-toto statement st into a DSSE envelope and returns
// it twice: as the OCI artifact of a sigstore bundle referring to subject,
// and as the envelope's JSON.
func (k *Key) bundle(st []byte, predicateType string, subject v1.Descriptor) (v1.Image, []byte, error) {
	envJSON, err := dsse.WrapSigner(k.sv, InTotoPayloadType).SignMessage(bytes.NewReader(st))
	if err != nil {
		return nil, nil, err
	}
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     []byte `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   []byte `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(envJSON, &env); err != nil {
		return nil, nil, fmt.Errorf("DSSE envelope: %w", err)
	}
	pe := &protodsse.Envelope{Payload: env.Payload, PayloadType: env.PayloadType}
	for _, s := range env.Signatures {
		pe.Signatures = append(pe.Signatures, &protodsse.Signature{Sig: s.Sig, Keyid: s.KeyID})
	}
	b := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: k.hint}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: pe},
	}
	doc, err := canonicalJSON(b)
	if err != nil {
		return nil, nil, fmt.Errorf("bundle: %w", err)
	}
	art, err := ociartifact.New(doc, types.MediaType(BundleMediaType), subject, ociartifact.WithAnnotations(map[string]string{
		bundleContentAnnotation:   "dsse-envelope",
		BundlePredicateAnnotation: predicateType,
	}))
	if err != nil {
		return nil, nil, err
	}
	return art, envJSON, nil
}

// legacyImage returns cosign's legacy signature or attestation image: an
// OCI image with an empty config and doc as its one layer, annotated.
func legacyImage(doc []byte, mt types.MediaType, annotations map[string]string) (v1.Image, error) {
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	return mutate.Append(base, mutate.Addendum{Layer: static.NewLayer(doc, mt), Annotations: annotations})
}
