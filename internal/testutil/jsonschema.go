package testutil

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaError returns why doc does not validate against the JSON Schema
// schemaJSON (named name in messages), or nil when it does.
func SchemaError(name string, schemaJSON, doc []byte) error {
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return fmt.Errorf("parse schema %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, s); err != nil {
		return fmt.Errorf("add schema %s: %w", name, err)
	}
	sch, err := c.Compile(name)
	if err != nil {
		return fmt.Errorf("compile schema %s: %w", name, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w\n%s", err, doc)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("does not match %s: %w\n%s", name, err, doc)
	}
	return nil
}

// CheckSchema fails t unless doc validates against the JSON Schema
// schemaJSON (named name in messages).
func CheckSchema(t testing.TB, name string, schemaJSON, doc []byte) {
	t.Helper()
	if err := SchemaError(name, schemaJSON, doc); err != nil {
		t.Errorf("%v", err)
	}
}
