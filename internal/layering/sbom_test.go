package layering

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// cmpModule is the dependency of the test binary, as recorded in go.sum.
const (
	cmpPath = "github.com/google/go-cmp"
	cmpVer  = "v0.7.0"
	cmpSum  = "h1:wk8382ETsv4JYUZwIsn6YpYiWiBsYLSJiTsyBybVuN8="
)

// buildTinyBinary builds a small main package that imports go-cmp, offline
// from the module cache (go-cmp is a test dependency of this package, so it
// is there), and returns the binary's path.
func buildTinyBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a Go binary")
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/tiny\n\ngo 1.21\n\nrequire " + cmpPath + " " + cmpVer + "\n",
		"go.sum":  cmpPath + " " + cmpVer + " " + cmpSum + "\n" + cmpPath + " " + cmpVer + "/go.mod h1:pXiqmnSA92OHEEa9HXL2W4E7lf9JzCmGVUdgjX3N/iU=\n",
		"main.go": "package main\n\nimport \"github.com/google/go-cmp/cmp\"\n\nfunc main() { println(cmp.Equal(1, 1)) }\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "tiny")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// spdxIDRE is what SPDX allows in an element identifier.
var spdxIDRE = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)

func TestSBOMs(t *testing.T) {
	ctx := context.Background()
	bin := buildTinyBinary(t)
	subject, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	subjDesc, err := subjectDescriptor(subject)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 5, 1, 12, 0, 0, 500, time.FixedZone("X", 3600))

	refs, err := SBOMs(ctx, subject, bin, []SBOMFormat{SBOMSPDX, SBOMCycloneDX, SBOMSPDX}, created)
	if err != nil {
		t.Fatalf("SBOMs: %v", err)
	}
	if len(refs) != 2 {
		t.Fatalf("got %d referrers, want 2 (duplicates dropped)", len(refs))
	}

	hexd := subjDesc.Digest.Hex
	for i, tc := range []struct {
		format  SBOMFormat
		mt      types.MediaType
		tag     string
		checkFn func(t *testing.T, doc []byte)
	}{
		{format: SBOMSPDX, mt: SPDXMediaType, tag: "sha256-" + hexd + ".sbom", checkFn: func(t *testing.T, doc []byte) { checkSPDX(t, doc, subjDesc.Digest) }},
		{format: SBOMCycloneDX, mt: CycloneDXMediaType, tag: "sha256-" + hexd + ".cyclonedx.sbom", checkFn: checkCycloneDX},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			rf := refs[i]
			if rf.Subject != subjDesc.Digest || rf.FallbackTag != tc.tag {
				t.Errorf("referrer = {%s %s}, want {%s %s}", rf.Subject, rf.FallbackTag, subjDesc.Digest, tc.tag)
			}
			m, err := rf.Artifact.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			layers, err := rf.Artifact.Layers()
			if err != nil || len(layers) != 1 {
				t.Fatalf("layers = %d, %v; want 1", len(layers), err)
			}
			ld, err := layers[0].Digest()
			if err != nil {
				t.Fatal(err)
			}
			want := &v1.Manifest{
				SchemaVersion: 2,
				MediaType:     types.OCIManifestSchema1,
				ArtifactType:  string(tc.mt),
				Config: v1.Descriptor{
					MediaType: types.OCIEmptyJSON,
					Size:      2,
					Digest:    v1.Hash{Algorithm: "sha256", Hex: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
				},
				Layers:      []v1.Descriptor{{MediaType: tc.mt, Digest: ld, Size: m.Layers[0].Size, Annotations: m.Layers[0].Annotations}},
				Subject:     &subjDesc,
				Annotations: map[string]string{annotationCreated: "2024-05-01T11:00:00Z"},
			}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("artifact manifest (-want +got):\n%s", diff)
			}
			if cfg, err := rf.Artifact.RawConfigFile(); err != nil || string(cfg) != "{}" {
				t.Errorf("config = %q, %v; want {}", cfg, err)
			}
			rc, err := layers[0].Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var doc json.RawMessage
			if err := json.NewDecoder(rc).Decode(&doc); err != nil {
				t.Fatalf("document is not JSON: %v", err)
			}
			tc.checkFn(t, doc)
		})
	}

	t.Run("reproducible", func(t *testing.T) {
		again, err := SBOMs(ctx, subject, bin, []SBOMFormat{SBOMSPDX, SBOMCycloneDX}, created)
		if err != nil {
			t.Fatal(err)
		}
		for i := range refs {
			if a, b := artifactDigest(t, refs[i]), artifactDigest(t, again[i]); a != b {
				t.Errorf("referrer %d: digest %s then %s", i, a, b)
			}
		}
		other, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		diff, err := SBOMs(ctx, other, bin, nil, created)
		if err != nil {
			t.Fatal(err)
		}
		if len(diff) != 1 || artifactDigest(t, diff[0]) == artifactDigest(t, refs[0]) {
			t.Errorf("another subject gave the same SPDX artifact")
		}
	})

	t.Run("not a Go binary", func(t *testing.T) {
		notGo := filepath.Join(t.TempDir(), "x")
		if err := os.WriteFile(notGo, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := SBOMs(ctx, subject, notGo, nil, created); err == nil || !strings.Contains(err.Error(), notGo) {
			t.Errorf("SBOMs of a shell script: got %v, want an error naming it", err)
		}
	})
}

// checkSPDX validates the structure of an SPDX 2.3 document of the tiny
// binary.
func checkSPDX(t *testing.T, raw []byte, subject v1.Hash) {
	t.Helper()
	var doc struct {
		SPDXVersion       string `json:"spdxVersion"`
		DataLicense       string `json:"dataLicense"`
		SPDXID            string `json:"SPDXID"`
		Name              string `json:"name"`
		DocumentNamespace string `json:"documentNamespace"`
		CreationInfo      struct {
			Created  string   `json:"created"`
			Creators []string `json:"creators"`
		} `json:"creationInfo"`
		Packages []struct {
			Name             string `json:"name"`
			SPDXID           string `json:"SPDXID"`
			VersionInfo      string `json:"versionInfo"`
			DownloadLocation string `json:"downloadLocation"`
			Checksums        []struct {
				Algorithm     string `json:"algorithm"`
				ChecksumValue string `json:"checksumValue"`
			} `json:"checksums"`
			ExternalRefs []struct {
				ReferenceCategory string `json:"referenceCategory"`
				ReferenceType     string `json:"referenceType"`
				ReferenceLocator  string `json:"referenceLocator"`
			} `json:"externalRefs"`
			Annotations []struct {
				Comment string `json:"comment"`
			} `json:"annotations"`
		} `json:"packages"`
		Relationships []struct {
			Element string `json:"spdxElementId"`
			Type    string `json:"relationshipType"`
			Related string `json:"relatedSpdxElement"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"spdxVersion": doc.SPDXVersion, "dataLicense": doc.DataLicense, "SPDXID": doc.SPDXID,
		"name": doc.Name, "created": doc.CreationInfo.Created, "namespace": doc.DocumentNamespace,
	}
	want := map[string]string{
		"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
		"name": "example.com/tiny", "created": "2024-05-01T11:00:00Z",
		"namespace": "https://gobake.dev/spdx/sha256/" + subject.Hex,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("document fields (-want +got):\n%s", diff)
	}
	if len(doc.CreationInfo.Creators) == 0 {
		t.Error("no creators")
	}

	ids := map[string]bool{doc.SPDXID: true}
	purls := map[string]string{} // name -> purl
	var cmpSHA string
	var settings []string
	for _, p := range doc.Packages {
		if !spdxIDRE.MatchString(p.SPDXID) || ids[p.SPDXID] {
			t.Errorf("package %s: bad or duplicate SPDXID %q", p.Name, p.SPDXID)
		}
		ids[p.SPDXID] = true
		if p.Name == "" || p.DownloadLocation == "" {
			t.Errorf("package %q lacks a required field", p.SPDXID)
		}
		for _, r := range p.ExternalRefs {
			if r.ReferenceType == "purl" && r.ReferenceCategory == "PACKAGE-MANAGER" {
				purls[p.Name] = r.ReferenceLocator
			}
		}
		if p.Name == cmpPath {
			for _, c := range p.Checksums {
				if c.Algorithm == "SHA256" {
					cmpSHA = c.ChecksumValue
				}
			}
		}
		for _, a := range p.Annotations {
			settings = append(settings, a.Comment)
		}
	}
	wantPURLs := map[string]string{
		"example.com/tiny": "pkg:golang/example.com/tiny",
		cmpPath:            "pkg:golang/github.com/google/go-cmp@v0.7.0",
		"stdlib":           "pkg:golang/stdlib@" + strings.TrimPrefix(goVersion(t), "go"),
	}
	if diff := cmp.Diff(wantPURLs, purls); diff != "" {
		t.Errorf("package purls (-want +got):\n%s", diff)
	}
	if want := sumSHA256(cmpSum); cmpSHA != want || len(want) != 64 {
		t.Errorf("go-cmp checksum = %q, want %q", cmpSHA, want)
	}
	if !containsString(settings, "go build setting GOOS=") {
		t.Errorf("build settings not recorded: %q", settings)
	}

	rels := map[string]int{}
	for _, r := range doc.Relationships {
		if !ids[r.Element] || !ids[r.Related] {
			t.Errorf("relationship %s %s %s names an unknown element", r.Element, r.Type, r.Related)
		}
		rels[r.Type]++
	}
	if diff := cmp.Diff(map[string]int{"DESCRIBES": 1, "DEPENDS_ON": len(doc.Packages) - 1}, rels); diff != "" {
		t.Errorf("relationships (-want +got):\n%s", diff)
	}
}

// checkCycloneDX validates the structure of a CycloneDX 1.5 BOM of the
// tiny binary.
func checkCycloneDX(t *testing.T, raw []byte) {
	t.Helper()
	var bom struct {
		BOMFormat    string `json:"bomFormat"`
		SpecVersion  string `json:"specVersion"`
		SerialNumber string `json:"serialNumber"`
		Version      int    `json:"version"`
		Metadata     struct {
			Timestamp string `json:"timestamp"`
			Component struct {
				Name string `json:"name"`
				Ref  string `json:"bom-ref"`
			} `json:"component"`
		} `json:"metadata"`
		Components []struct {
			Name   string `json:"name"`
			Ref    string `json:"bom-ref"`
			PURL   string `json:"purl"`
			Hashes []struct {
				Alg     string `json:"alg"`
				Content string `json:"content"`
			} `json:"hashes"`
		} `json:"components"`
		Dependencies []struct {
			Ref       string   `json:"ref"`
			DependsOn []string `json:"dependsOn"`
		} `json:"dependencies"`
	}
	if err := json.Unmarshal(raw, &bom); err != nil {
		t.Fatal(err)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" || bom.Version != 1 ||
		bom.Metadata.Timestamp != "2024-05-01T11:00:00Z" || bom.Metadata.Component.Name != "example.com/tiny" {
		t.Errorf("header = %+v", bom)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
		t.Errorf("serialNumber %q is not a UUID URN", bom.SerialNumber)
	}
	refs := map[string]bool{bom.Metadata.Component.Ref: true}
	var cmpPURL string
	for _, c := range bom.Components {
		refs[c.Ref] = true
		if c.Name == cmpPath {
			cmpPURL = c.PURL
			if len(c.Hashes) != 1 || c.Hashes[0].Alg != "SHA-256" {
				t.Errorf("go-cmp hashes = %+v", c.Hashes)
			}
		}
	}
	if cmpPURL != "pkg:golang/github.com/google/go-cmp@v0.7.0" {
		t.Errorf("go-cmp purl = %q", cmpPURL)
	}
	if len(bom.Dependencies) == 0 || bom.Dependencies[0].Ref != bom.Metadata.Component.Ref ||
		len(bom.Dependencies[0].DependsOn) != len(bom.Components) {
		t.Errorf("dependencies = %+v", bom.Dependencies)
	}
	for _, d := range bom.Dependencies {
		for _, r := range append([]string{d.Ref}, d.DependsOn...) {
			if !refs[r] {
				t.Errorf("dependency names unknown bom-ref %q", r)
			}
		}
	}
}

// goVersion is the version of the go command that built the test binary's
// toolchain, as recorded in build info.
func goVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// containsString reports whether some element of ss has prefix.
func containsString(ss []string, prefix string) bool {
	for _, s := range ss {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestParseSBOMFormat(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    SBOMFormat
		wantErr bool
	}{
		{in: "spdx", want: SBOMSPDX},
		{in: " SPDX ", want: SBOMSPDX},
		{in: "CycloneDX", want: SBOMCycloneDX},
		{in: "syft", wantErr: true},
		{in: "", wantErr: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSBOMFormat(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ParseSBOMFormat(%q) = %q, %v; want %q, error %t", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestGoPURL(t *testing.T) {
	for _, tc := range []struct {
		m    goModule
		want string
	}{
		{m: goModule{Path: "github.com/a/b", Version: "v1.2.3"}, want: "pkg:golang/github.com/a/b@v1.2.3"},
		{m: goModule{Path: "github.com/docker/cli", Version: "v29.7.2+incompatible"}, want: "pkg:golang/github.com/docker/cli@v29.7.2%2Bincompatible"},
		{m: goModule{Path: "example.com/main"}, want: "pkg:golang/example.com/main"},
		{m: goModule{Path: "stdlib", Version: "1.26.0"}, want: "pkg:golang/stdlib@1.26.0"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := goPURL(tc.m); got != tc.want {
				t.Errorf("goPURL(%+v) = %q, want %q", tc.m, got, tc.want)
			}
		})
	}
}

func TestModuleOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   debug.Module
		want goModule
	}{
		{name: "plain", in: debug.Module{Path: "a.b/c", Version: "v1.0.0", Sum: "h1:x"}, want: goModule{Path: "a.b/c", Version: "v1.0.0", Sum: "h1:x"}},
		{name: "devel", in: debug.Module{Path: "a.b/c", Version: "(devel)"}, want: goModule{Path: "a.b/c"}},
		{name: "replaced", in: debug.Module{Path: "a.b/c", Version: "v1.0.0", Sum: "h1:x", Replace: &debug.Module{Path: "d.e/f", Version: "v1.1.0", Sum: "h1:y"}}, want: goModule{Path: "a.b/c", Version: "v1.1.0", Sum: "h1:y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, moduleOf(&tc.in)); diff != "" {
				t.Errorf("moduleOf (-want +got):\n%s", diff)
			}
		})
	}
}
