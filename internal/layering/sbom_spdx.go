package layering

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// spdxNoAssertion is SPDX's "no information was looked for" value.
const spdxNoAssertion = "NOASSERTION"

// spdxDoc is the subset of an SPDX 2.3 JSON document gobake writes.
type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

// spdxCreationInfo says who made the document and when.
type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

// spdxPackage is one Go module (or the standard library).
type spdxPackage struct {
	Name             string           `json:"name"`
	SPDXID           string           `json:"SPDXID"`
	VersionInfo      string           `json:"versionInfo,omitempty"`
	PrimaryPurpose   string           `json:"primaryPackagePurpose,omitempty"`
	DownloadLocation string           `json:"downloadLocation"`
	FilesAnalyzed    bool             `json:"filesAnalyzed"`
	LicenseConcluded string           `json:"licenseConcluded"`
	LicenseDeclared  string           `json:"licenseDeclared"`
	CopyrightText    string           `json:"copyrightText"`
	Description      string           `json:"description,omitempty"`
	Checksums        []spdxChecksum   `json:"checksums,omitempty"`
	ExternalRefs     []spdxExtRef     `json:"externalRefs,omitempty"`
	Annotations      []spdxAnnotation `json:"annotations,omitempty"`
}

// spdxChecksum is a package checksum.
type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

// spdxExtRef is an external reference, here always a purl.
type spdxExtRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

// spdxAnnotation carries one Go build setting of the main package.
type spdxAnnotation struct {
	AnnotationDate string `json:"annotationDate"`
	AnnotationType string `json:"annotationType"`
	Annotator      string `json:"annotator"`
	Comment        string `json:"comment"`
}

// spdxRelationship links two SPDX elements.
type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

// spdxDocument renders build as an SPDX 2.3 JSON document. The namespace is
// derived from subject and the creation time is created, so the output is
// reproducible.
func spdxDocument(build *goBuild, subject v1.Hash, created time.Time) ([]byte, error) {
	when := created.UTC().Format(time.RFC3339)
	doc := spdxDoc{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              build.Main.Path,
		DocumentNamespace: fmt.Sprintf("https://gobake.dev/spdx/%s/%s", subject.Algorithm, subject.Hex),
		CreationInfo: spdxCreationInfo{
			Created:  when,
			Creators: []string{"Tool: " + sbomTool},
		},
	}

	mainPkg := spdxPackageOf(build.Main, "SPDXRef-Package-main")
	mainPkg.PrimaryPurpose = "APPLICATION"
	mainPkg.Description = "Go main package " + build.Package + " built with " + build.GoVersion
	for _, s := range build.Settings {
		mainPkg.Annotations = append(mainPkg.Annotations, spdxAnnotation{
			AnnotationDate: when,
			AnnotationType: "OTHER",
			Annotator:      "Tool: " + sbomTool,
			Comment:        "go build setting " + s.Key + "=" + s.Value,
		})
	}
	doc.Packages = append(doc.Packages, mainPkg)
	doc.Relationships = append(doc.Relationships, spdxRelationship{
		Element: doc.SPDXID, Type: "DESCRIBES", Related: mainPkg.SPDXID,
	})

	deps := append([]goModule{build.stdlib()}, build.Deps...)
	for i, m := range deps {
		p := spdxPackageOf(m, fmt.Sprintf("SPDXRef-Package-%d-%s", i, spdxIDPart(m.Path)))
		p.PrimaryPurpose = "LIBRARY"
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, spdxRelationship{
			Element: mainPkg.SPDXID, Type: "DEPENDS_ON", Related: p.SPDXID,
		})
	}
	return json.MarshalIndent(doc, "", "  ")
}

// spdxPackageOf describes module m as an SPDX package with the given id.
func spdxPackageOf(m goModule, id string) spdxPackage {
	p := spdxPackage{
		Name:             m.Path,
		SPDXID:           id,
		VersionInfo:      m.Version,
		DownloadLocation: spdxNoAssertion,
		LicenseConcluded: spdxNoAssertion,
		LicenseDeclared:  spdxNoAssertion,
		CopyrightText:    spdxNoAssertion,
		ExternalRefs: []spdxExtRef{{
			ReferenceCategory: "PACKAGE-MANAGER",
			ReferenceType:     "purl",
			ReferenceLocator:  goPURL(m),
		}},
	}
	if h := sumSHA256(m.Sum); h != "" {
		p.Checksums = []spdxChecksum{{Algorithm: "SHA256", ChecksumValue: h}}
	}
	return p
}

// spdxIDPart maps s to the characters an SPDX identifier allows
// (letters, digits, '.' and '-').
func spdxIDPart(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '-':
			return r
		default:
			return '-'
		}
	}, s)
}
