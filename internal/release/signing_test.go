package release_test

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/gobake/gobake/internal/release"
	"github.com/gobake/gobake/internal/signing"
	"github.com/gobake/gobake/internal/testutil"
)

// TestSignedReleaseBeforeTags: a release with a key pushes each image's
// signature and provenance with the image, before any tag or GitOps
// commit names it; a release whose tag moves fail has them already, and
// re-running it completes the release with the same signature.
func TestSignedReleaseBeforeTags(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.clone(t)
	keyFile, priv := testutil.SigningKey(t)
	key, err := signing.LoadKey(keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := signature.LoadVerifier(priv.Public(), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}

	w.failTags.Store(true)
	rep, err, log := w.run(t, c.Dir, release.Options{Sign: key})
	w.failTags.Store(false)
	if err == nil {
		t.Fatalf("release with failing tag PUTs succeeded:\n%s", log)
	}
	if strings.Contains(gitShow(t, w.deploy, "main:deployment.yaml"), "@sha256:") {
		t.Fatal("the failed release made a GitOps commit")
	}
	sigs := map[string]string{}
	for _, img := range rep.Images {
		sigs[img.Image] = checkSigned(t, w, verifier, img.Image, img.Digest)
	}

	rep, err, log = w.run(t, c.Dir, release.Options{Sign: key})
	if err != nil || !rep.Released {
		t.Fatalf("re-run: %v\n%s", err, log)
	}
	for _, img := range rep.Images {
		if got := checkSigned(t, w, verifier, img.Image, img.Digest); got != sigs[img.Image] {
			t.Errorf("%s: signature image %s after the re-run, %s before", img.Image, got, sigs[img.Image])
		}
	}
	w.check(t)
}

// checkSigned checks that repo@digest has its legacy signature, verified
// by v, an attestation tag and two sigstore bundle referrers, and returns
// the digest of its signature image.
func checkSigned(t *testing.T, w *world, v signature.Verifier, repo, digest string) string {
	t.Helper()
	d, err := name.NewDigest(w.host + "/acme/" + repo + "@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	tag := func(suffix string) name.Tag {
		return d.Context().Tag(strings.Replace(digest, ":", "-", 1) + "." + suffix)
	}
	sigImg, err := remote.Image(tag("sig"))
	if err != nil {
		t.Fatalf("%s has no signature: %v", d, err)
	}
	payload, ld := testutil.Layer(t, sigImg, 0)
	sig, err := base64.StdEncoding.DecodeString(ld.Annotations[signing.SignatureAnnotation])
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)); err != nil || !strings.Contains(string(payload), digest) {
		t.Errorf("%s: signature of %q does not verify: %v", d, payload, err)
	}
	if _, err := remote.Head(tag("att")); err != nil {
		t.Errorf("%s has no attestation: %v", d, err)
	}
	idx, err := remote.Referrers(d)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	bundles := 0
	for _, desc := range im.Manifests {
		if desc.ArtifactType == signing.BundleMediaType {
			bundles++
		}
	}
	if bundles != 2 {
		t.Errorf("%s has %d sigstore bundle referrers, want 2 (signature, provenance)", d, bundles)
	}
	sd, err := sigImg.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return sd.String()
}
