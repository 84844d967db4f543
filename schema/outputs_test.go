package schema

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/release"
)

// TestOutputSchemas compiles the schema of every JSON output and checks
// its version: the "schema" constant of each versioned document is the
// version the code writes. The outputs themselves are validated by the
// tests that produce them (cmd/gobake, e2e).
func TestOutputSchemas(t *testing.T) {
	versions := map[string]any{
		"plan.schema.json":     graph.PlanSchema,
		"release.schema.json":  release.ReportSchema,
		"build.schema.json":    1, // cmd/gobake buildSchema
		"affected.schema.json": 1, // cmd/gobake affectedSchema
		"matrix.schema.json":   nil,
	}
	if len(versions) != len(Outputs) {
		t.Fatalf("Outputs has %d schemas, the test knows %d", len(Outputs), len(versions))
	}
	for name, src := range Outputs {
		t.Run(name, func(t *testing.T) {
			want, ok := versions[name]
			if !ok {
				t.Fatalf("no version known for %s", name)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(src))
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			c.AssertFormat()
			if err := c.AddResource(name, doc); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Compile(name); err != nil {
				t.Fatalf("compile: %v", err)
			}
			var s struct {
				Schema     string `json:"$schema"`
				Properties map[string]struct {
					Const any `json:"const"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(src, &s); err != nil {
				t.Fatal(err)
			}
			if s.Schema != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("$schema = %q", s.Schema)
			}
			v, versioned := s.Properties["schema"]
			switch {
			case want == nil && versioned:
				t.Errorf("has a schema property; a matrix may not")
			case want != nil && !versioned:
				t.Errorf("no schema (version) property")
			case want != nil && v.Const != float64(want.(int)):
				t.Errorf("schema const = %v, the code writes %v", v.Const, want)
			}
		})
	}
}
