// Package schema embeds the JSON Schema of gobake.yaml.
package schema

import _ "embed"

// JSON is the JSON Schema (draft 2020-12) of gobake.yaml.
//
//go:embed gobake.schema.json
var JSON []byte
