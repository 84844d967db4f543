package layering

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cdxBOM is the subset of a CycloneDX 1.5 JSON BOM gobake writes.
type cdxBOM struct {
	Schema       string          `json:"$schema"`
	BOMFormat    string          `json:"bomFormat"`
	SpecVersion  string          `json:"specVersion"`
	SerialNumber string          `json:"serialNumber"`
	Version      int             `json:"version"`
	Metadata     cdxMetadata     `json:"metadata"`
	Components   []cdxComponent  `json:"components"`
	Dependencies []cdxDependency `json:"dependencies"`
}

// cdxMetadata says when and by what the BOM was made, and what it describes.
type cdxMetadata struct {
	Timestamp string       `json:"timestamp"`
	Tools     cdxTools     `json:"tools"`
	Component cdxComponent `json:"component"`
}

// cdxTools lists the tools that made the BOM.
type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

// cdxComponent is one Go module, the standard library or a tool.
type cdxComponent struct {
	Type        string        `json:"type"`
	BOMRef      string        `json:"bom-ref,omitempty"`
	Name        string        `json:"name"`
	Version     string        `json:"version,omitempty"`
	Description string        `json:"description,omitempty"`
	PURL        string        `json:"purl,omitempty"`
	Hashes      []cdxHash     `json:"hashes,omitempty"`
	Properties  []cdxProperty `json:"properties,omitempty"`
}

// cdxHash is a component hash.
type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

// cdxProperty is a name/value pair, here a Go build setting.
type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// cdxDependency lists what one component depends on.
type cdxDependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// cycloneDXDocument renders build as a CycloneDX 1.5 JSON BOM whose serial
// number is derived from subject and whose timestamp is created.
func cycloneDXDocument(build *goBuild, subject v1.Hash, created time.Time) ([]byte, error) {
	main := cdxComponentOf(build.Main, "application")
	main.Description = "Go main package " + build.Package + " built with " + build.GoVersion
	main.Properties = append(main.Properties, cdxProperty{Name: "gobake:go:package", Value: build.Package})
	for _, s := range build.Settings {
		main.Properties = append(main.Properties, cdxProperty{Name: "gobake:go:build:" + s.Key, Value: s.Value})
	}

	bom := cdxBOM{
		Schema:       "http://cyclonedx.org/schema/bom-1.5.schema.json",
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.5",
		SerialNumber: cdxSerialNumber(subject),
		Version:      1,
		Metadata: cdxMetadata{
			Timestamp: created.UTC().Format(time.RFC3339),
			Tools:     cdxTools{Components: []cdxComponent{{Type: "application", Name: sbomTool}}},
			Component: main,
		},
		Components: []cdxComponent{},
	}

	root := cdxDependency{Ref: main.BOMRef, DependsOn: []string{}}
	var leaves []cdxDependency
	seen := map[string]bool{main.BOMRef: true}
	for _, m := range append([]goModule{build.stdlib()}, build.Deps...) {
		c := cdxComponentOf(m, "library")
		if seen[c.BOMRef] {
			continue
		}
		seen[c.BOMRef] = true
		bom.Components = append(bom.Components, c)
		root.DependsOn = append(root.DependsOn, c.BOMRef)
		leaves = append(leaves, cdxDependency{Ref: c.BOMRef, DependsOn: []string{}})
	}
	bom.Dependencies = append([]cdxDependency{root}, leaves...)
	return json.MarshalIndent(bom, "", "  ")
}

// cdxComponentOf describes module m as a component of type typ, referenced
// by its purl.
func cdxComponentOf(m goModule, typ string) cdxComponent {
	purl := goPURL(m)
	c := cdxComponent{Type: typ, BOMRef: purl, Name: m.Path, Version: m.Version, PURL: purl}
	if h := sumSHA256(m.Sum); h != "" {
		c.Hashes = []cdxHash{{Alg: "SHA-256", Content: h}}
	}
	return c
}

// cdxSerialNumber is a UUID URN derived from subject: an RFC 9562 version 8
// (custom) UUID made of the first bytes of SHA-256("cyclonedx:" + subject).
func cdxSerialNumber(subject v1.Hash) string {
	sum := sha256.Sum256([]byte("cyclonedx:" + subject.String()))
	u := sum[:16]
	u[6] = u[6]&0x0f | 0x80 // version 8
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
