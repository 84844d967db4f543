// Package schema embeds the JSON Schemas (draft 2020-12) of gobake.yaml
// and of every JSON document gobake prints or writes.
package schema

import _ "embed"

// JSON is the JSON Schema of gobake.yaml.
//
//go:embed gobake.schema.json
var JSON []byte

// The JSON Schemas of gobake's JSON output. Each document but the matrix
// carries its version in "schema"; fields are only ever added, and the
// version is bumped otherwise.
var (
	// Plan is the schema of `gobake plan --json`.
	//
	//go:embed plan.schema.json
	Plan []byte

	// Matrix is the schema of the matrix output of `gobake plan --matrix`
	// (a GitHub Actions job matrix: no version field).
	//
	//go:embed matrix.schema.json
	Matrix []byte

	// Build is the schema of `gobake build --json`.
	//
	//go:embed build.schema.json
	Build []byte

	// Release is the schema of the report `gobake release --output` writes.
	//
	//go:embed release.schema.json
	Release []byte

	// Affected is the schema of `gobake affected --json`.
	//
	//go:embed affected.schema.json
	Affected []byte
)

// Outputs names the schema of each JSON output by its file name under
// schema/.
var Outputs = map[string][]byte{
	"plan.schema.json":     Plan,
	"matrix.schema.json":   Matrix,
	"build.schema.json":    Build,
	"release.schema.json":  Release,
	"affected.schema.json": Affected,
}
