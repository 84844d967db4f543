package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

// cosignVersion is the cosign release gobake's signatures are checked
// with; scripts/test.sh installs it into $(go env GOPATH)/bin when it is
// missing.
const cosignVersion = "v3.1.3"

// cosignPath returns the cosign binary of cosignVersion: on PATH, else in
// GOPATH/bin. It fails the test when there is none.
func cosignPath(t *testing.T) string {
	t.Helper()
	var candidates []string
	if p, err := exec.LookPath("cosign"); err == nil {
		candidates = append(candidates, p)
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(gopath)), "bin", "cosign"))
	}
	for _, p := range candidates {
		out, err := exec.Command(p, "version", "--json").Output()
		var v struct{ GitVersion string }
		if err == nil && json.Unmarshal(out, &v) == nil && v.GitVersion == cosignVersion {
			return p
		}
	}
	t.Fatalf("cosign %s is required by this test (go install github.com/sigstore/cosign/v3/cmd/cosign@%s); looked at %v", cosignVersion, cosignVersion, candidates)
	return ""
}

// cosignRunner runs cosign offline against the test registry: no
// transparency log, plain HTTP, a temporary home and TUF root.
type cosignRunner struct {
	bin string
	env []string
	dir string
}

// run runs cosign with args and returns its output and whether it
// succeeded.
func (c cosignRunner) run(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir, cmd.Env = c.dir, append(os.Environ(), c.env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("cosign %s timed out (did it reach for the network?):\n%s", strings.Join(args, " "), out)
	}
	return string(out), err == nil
}

// verify runs cosign verify (or verify-attestation for the provenance)
// with the key pub on ref, the legacy .sig/.att tags instead of the
// sigstore bundles when legacy is set.
func (c cosignRunner) verify(t *testing.T, attestation, legacy bool, pub, ref string) (string, bool) {
	t.Helper()
	args := []string{"verify", "--key", pub}
	if attestation {
		args = []string{"verify-attestation", "--key", pub, "--type", "slsaprovenance1"}
	}
	args = append(args, "--insecure-ignore-tlog", "--allow-http-registry", "--output", "json")
	if legacy {
		args = append(args, "--new-bundle-format=false")
	}
	return c.run(t, append(args, ref)...)
}

// verifyFailure matches what cosign says when verification fails, as
// opposed to a usage or registry error.
var verifyFailure = regexp.MustCompile(`no matching (signatures|attestations)|no signatures found`)

// refuses checks that a cosign run that should fail verification did, for
// that reason.
func refuses(t *testing.T, what, out string, ok bool) {
	t.Helper()
	if ok || !verifyFailure.MatchString(out) {
		t.Errorf("%s: want a failed verification (%v), got success %v:\n%s", what, verifyFailure, ok, out)
	}
}

// TestCosignVerifiesSignedPush: gobake build signs what it pushes with a
// key cosign generated, and the cosign CLI, offline, verifies the
// signature and the SLSA provenance, from the sigstore bundle referrers
// and from the legacy .sig/.att tags; another image under the tag, a
// tampered signature or attestation, or another key fail verification.
func TestCosignVerifiesSignedPush(t *testing.T) {
	t.Parallel()
	cosign := cosignRunner{bin: cosignPath(t), dir: t.TempDir()}
	cosign.env = []string{"COSIGN_PASSWORD=e2e-pass", "TUF_ROOT=" + filepath.Join(cosign.dir, "tuf"), "SIGSTORE_NO_CACHE=true"}
	if out, ok := cosign.run(t, "generate-key-pair"); !ok {
		t.Fatalf("cosign generate-key-pair:\n%s", out)
	}
	if out, ok := cosign.run(t, "generate-key-pair", "--output-key-prefix", "other"); !ok {
		t.Fatalf("cosign generate-key-pair:\n%s", out)
	}
	pub, otherPub := filepath.Join(cosign.dir, "cosign.pub"), filepath.Join(cosign.dir, "other.pub")

	reg := testutil.StartRegistry(t)
	base := reg.Host + "/bases/static:latest"
	if _, err := baseimage.Push(context.Background(), base); err != nil {
		t.Fatal(err)
	}
	dir := testutil.CopySample(t)
	cfgPath := filepath.Join(dir, "gobake.yaml")
	testutil.ReplaceInFile(t, cfgPath, "static: oci:bases/static", "static: "+base)
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, append(cfg, "sign:\n  key: env://GOBAKE_E2E_KEY\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.GitInit(t, dir)
	commit := strings.TrimSpace(testutil.Git(t, dir, "rev-parse", "HEAD"))
	key, err := os.ReadFile(filepath.Join(cosign.dir, "cosign.key"))
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"GOBAKE_E2E_KEY=" + string(key), "COSIGN_PASSWORD=e2e-pass"}
	prefix := reg.Host + "/acme"
	out := gobake.MustRun(t, dir, env, "build", "api", "--registry", prefix, "--json")
	if strings.Contains(out.Stdout+out.Stderr, "e2e-pass") || strings.Contains(out.Stdout+out.Stderr, "PRIVATE KEY") {
		t.Errorf("gobake printed the key or its password:\n%s", out)
	}
	var built struct {
		Images []struct {
			Reference string `json:"reference"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(out.Stdout), &built); err != nil || len(built.Images) != 1 {
		t.Fatalf("gobake build --json: %v\n%s", err, out)
	}
	ref := built.Images[0].Reference
	tagRef := prefix + "/api:latest"

	for _, legacy := range []bool{false, true} {
		for _, r := range []string{ref, tagRef} {
			if out, ok := cosign.verify(t, false, legacy, pub, r); !ok || !strings.Contains(out, strings.SplitN(ref, "@", 2)[1]) {
				t.Errorf("cosign verify %s (legacy tags: %v) failed:\n%s", r, legacy, out)
			}
		}
		out, ok := cosign.verify(t, true, legacy, pub, ref)
		if !ok {
			t.Fatalf("cosign verify-attestation (legacy tags: %v) failed:\n%s", legacy, out)
		}
		checkProvenance(t, out, commit)
		out, ok = cosign.verify(t, false, legacy, otherPub, ref)
		refuses(t, fmt.Sprintf("cosign verify with another key (legacy tags: %v)", legacy), out, ok)
		out, ok = cosign.verify(t, true, legacy, otherPub, ref)
		refuses(t, fmt.Sprintf("cosign verify-attestation with another key (legacy tags: %v)", legacy), out, ok)
	}

	d, err := name.NewDigest(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("tampered signature", func(t *testing.T) {
		tamper(t, d, "sig", func(doc []byte, ann map[string]string) ([]byte, map[string]string) {
			sig, _ := base64.StdEncoding.DecodeString(ann["dev.cosignproject.cosign/signature"])
			sig[len(sig)-1] ^= 1
			ann["dev.cosignproject.cosign/signature"] = base64.StdEncoding.EncodeToString(sig)
			return doc, ann
		})
		out, ok := cosign.verify(t, false, true, pub, ref)
		refuses(t, "cosign verify of a tampered signature", out, ok)
	})
	t.Run("tampered attestation", func(t *testing.T) {
		tamper(t, d, "att", func(doc []byte, ann map[string]string) ([]byte, map[string]string) {
			var env map[string]any
			if err := json.Unmarshal(doc, &env); err != nil {
				t.Fatal(err)
			}
			payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
			env["payload"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(payload), commit, strings.Repeat("0", 40), 1)))
			doc, _ = json.Marshal(env)
			return doc, ann
		})
		out, ok := cosign.verify(t, true, true, pub, ref)
		refuses(t, "cosign verify-attestation of a tampered attestation", out, ok)
	})
	t.Run("another image under the tag", func(t *testing.T) {
		testutil.Skopeo(t, "copy", "docker://"+base, "docker://"+tagRef)
		for _, legacy := range []bool{false, true} {
			out, ok := cosign.verify(t, false, legacy, pub, tagRef)
			refuses(t, fmt.Sprintf("cosign verify of another image pushed as %s (legacy tags: %v)", tagRef, legacy), out, ok)
		}
	})
}

// checkProvenance checks the SLSA provenance cosign verify-attestation
// printed (one JSON DSSE envelope per line): it names the commit built,
// gobake.yaml and the input digest.
func checkProvenance(t *testing.T, out, commit string) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		var env struct{ Payload string }
		if json.Unmarshal([]byte(line), &env) != nil || env.Payload == "" {
			continue
		}
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			PredicateType string `json:"predicateType"`
			Predicate     struct {
				BuildDefinition struct {
					ResolvedDependencies []struct {
						Name   string            `json:"name"`
						Digest map[string]string `json:"digest"`
					} `json:"resolvedDependencies"`
				} `json:"buildDefinition"`
			} `json:"predicate"`
		}
		if err := json.Unmarshal(payload, &st); err != nil {
			t.Fatal(err)
		}
		deps := map[string]map[string]string{}
		for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
			deps[d.Name] = d.Digest
		}
		if st.PredicateType != "https://slsa.dev/provenance/v1" || deps["source"]["gitCommit"] != commit ||
			len(deps["gobake.yaml"]["sha256"]) != 64 || len(deps["inputs"]["sha256"]) != 64 {
			t.Errorf("provenance does not name the commit, gobake.yaml and the inputs:\n%s", payload)
		}
		return
	}
	t.Errorf("cosign verify-attestation printed no attestation:\n%s", out)
}

// tamper rewrites the one layer of the legacy cosign image tagged
// sha256-<hex>.SUFFIX for d with edit, and pushes it back under the tag.
func tamper(t *testing.T, d name.Digest, suffix string, edit func(doc []byte, ann map[string]string) ([]byte, map[string]string)) {
	t.Helper()
	tag := d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + "." + suffix)
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	doc, desc := testutil.Layer(t, img, 0)
	newDoc, ann := edit(doc, desc.Annotations)
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	out, err := mutate.Append(base, mutate.Addendum{Layer: static.NewLayer(newDoc, desc.MediaType), Annotations: ann})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, out); err != nil {
		t.Fatal(err)
	}
}
