package main

import "github.com/gobake/gobake/internal/layering"

// sbomFlag is --sbom, shared by build and release.
type sbomFlag struct {
	SBOM string `name:"sbom" default:"spdx" enum:"spdx,cyclonedx,none" help:"SBOM attached to each image: ${enum}."`
}

// formats returns the SBOM formats --sbom asks for: none (an empty, not
// nil, list) for "none".
func (f sbomFlag) formats() ([]layering.SBOMFormat, error) {
	if f.SBOM == "none" {
		return []layering.SBOMFormat{}, nil
	}
	s, err := layering.ParseSBOMFormat(f.SBOM)
	if err != nil {
		return nil, err
	}
	return []layering.SBOMFormat{s}, nil
}
