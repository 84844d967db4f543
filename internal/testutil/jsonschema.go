package testutil

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compiledSchemas are the schemas SchemaError compiled, by name and
// content: compiling one costs tens of milliseconds of CPU, and the
// reliability scenarios check the report of every release (about a
// hundred) against the same schema. A compiled schema is only read by
// Validate.
var compiledSchemas struct {
	sync.Mutex
	byKey map[[sha256.Size]byte]*jsonschema.Schema
}

// compileSchema returns schemaJSON (named name) compiled, from
// compiledSchemas when it was compiled before.
func compileSchema(name string, schemaJSON []byte) (*jsonschema.Schema, error) {
	key := sha256.Sum256(append([]byte(name+"\x00"), schemaJSON...))
	compiledSchemas.Lock()
	defer compiledSchemas.Unlock()
	if sch, ok := compiledSchemas.byKey[key]; ok {
		return sch, nil
	}
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("parse schema %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, s); err != nil {
		return nil, fmt.Errorf("add schema %s: %w", name, err)
	}
	sch, err := c.Compile(name)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", name, err)
	}
	if compiledSchemas.byKey == nil {
		compiledSchemas.byKey = map[[sha256.Size]byte]*jsonschema.Schema{}
	}
	compiledSchemas.byKey[key] = sch
	return sch, nil
}

// SchemaError returns why doc does not validate against the JSON Schema
// schemaJSON (named name in messages), or nil when it does.
func SchemaError(name string, schemaJSON, doc []byte) error {
	sch, err := compileSchema(name, schemaJSON)
	if err != nil {
		return err
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
