package layering

import (
	"context"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SBOMFormat is a software bill of materials format gobake can produce.
type SBOMFormat string

const (
	// SBOMSPDX is SPDX 2.3 JSON, the default format.
	SBOMSPDX SBOMFormat = "spdx"
	// SBOMCycloneDX is CycloneDX 1.5 JSON.
	SBOMCycloneDX SBOMFormat = "cyclonedx"
)

const (
	// SPDXMediaType is the media type of an SPDX JSON document.
	SPDXMediaType types.MediaType = "application/spdx+json"
	// CycloneDXMediaType is the media type of a CycloneDX JSON document.
	CycloneDXMediaType types.MediaType = "application/vnd.cyclonedx+json"
)

// sbomTool names gobake as the creator of SBOMs.
const sbomTool = "gobake"

// ParseSBOMFormat parses a format name as written in configuration or on
// the command line: "spdx" or "cyclonedx" (case-insensitive).
func ParseSBOMFormat(s string) (SBOMFormat, error) {
	switch f := SBOMFormat(strings.ToLower(strings.TrimSpace(s))); f {
	case SBOMSPDX, SBOMCycloneDX:
		return f, nil
	default:
		return "", fmt.Errorf("unknown SBOM format %q (want %q or %q)", s, SBOMSPDX, SBOMCycloneDX)
	}
}

// MediaType returns the media type of documents in format f.
func (f SBOMFormat) MediaType() (types.MediaType, error) {
	switch f {
	case SBOMSPDX:
		return SPDXMediaType, nil
	case SBOMCycloneDX:
		return CycloneDXMediaType, nil
	default:
		return "", fmt.Errorf("unknown SBOM format %q", string(f))
	}
}

// SBOMs describes the Go binary at binaryPath, which subject ships, in each
// of formats (SPDX when formats is empty; duplicates are dropped) and wraps
// every document as an OCI 1.1 artifact whose subject is subject's manifest.
// The output depends only on the binary, the subject digest and created, so
// identical inputs give identical artifact digests.
//
// The first format gets the cosign-style fallback tag "sha256-<hex>.sbom";
// any other gets "sha256-<hex>.<format>.sbom".
func SBOMs(ctx context.Context, subject v1.Image, binaryPath string, formats []SBOMFormat, created time.Time) ([]Referrer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(formats) == 0 {
		formats = []SBOMFormat{SBOMSPDX}
	}
	desc, err := subjectDescriptor(subject)
	if err != nil {
		return nil, fmt.Errorf("sbom of %s: subject: %w", binaryPath, err)
	}
	build, err := readGoBuild(binaryPath)
	if err != nil {
		return nil, fmt.Errorf("sbom of %s: %w", binaryPath, err)
	}
	created = created.UTC().Truncate(time.Second)

	var refs []Referrer
	seen := map[SBOMFormat]bool{}
	for _, f := range formats {
		if seen[f] {
			continue
		}
		seen[f] = true
		doc, err := encodeSBOM(f, build, desc.Digest, created)
		if err != nil {
			return nil, fmt.Errorf("sbom of %s: %w", binaryPath, err)
		}
		mt, err := f.MediaType()
		if err != nil {
			return nil, err
		}
		art, err := newArtifact(doc, mt, desc, created)
		if err != nil {
			return nil, fmt.Errorf("sbom of %s: %s artifact: %w", binaryPath, f, err)
		}
		refs = append(refs, Referrer{
			Subject:     desc.Digest,
			Artifact:    art,
			FallbackTag: sbomFallbackTag(desc.Digest, f, len(refs) == 0),
		})
	}
	return refs, nil
}

// encodeSBOM renders build as a document in format f.
func encodeSBOM(f SBOMFormat, build *goBuild, subject v1.Hash, created time.Time) ([]byte, error) {
	switch f {
	case SBOMSPDX:
		return spdxDocument(build, subject, created)
	case SBOMCycloneDX:
		return cycloneDXDocument(build, subject, created)
	default:
		return nil, fmt.Errorf("unknown SBOM format %q", string(f))
	}
}

// sbomFallbackTag is the cosign-style tag under which an SBOM of subject is
// findable on registries without the referrers API.
func sbomFallbackTag(subject v1.Hash, f SBOMFormat, first bool) string {
	if first {
		return fmt.Sprintf("%s-%s.sbom", subject.Algorithm, subject.Hex)
	}
	return fmt.Sprintf("%s-%s.%s.sbom", subject.Algorithm, subject.Hex, f)
}

// subjectDescriptor is the minimal descriptor (media type, digest, size) of
// img's manifest, as the subject field of an artifact wants it.
func subjectDescriptor(img v1.Image) (v1.Descriptor, error) {
	mt, err := img.MediaType()
	if err != nil {
		return v1.Descriptor{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	size, err := img.Size()
	if err != nil {
		return v1.Descriptor{}, err
	}
	return v1.Descriptor{MediaType: mt, Digest: d, Size: size}, nil
}
