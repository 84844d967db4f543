package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// fixtures is where internal/config keeps its gobake.yaml test files:
// valid/ loads, invalid/ breaks the schema, rejected/ passes the schema but
// fails checks only the loader can make (paths, bases, templates).
const fixtures = "../internal/config/testdata"

// compile compiles the embedded schema.
func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON))
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("gobake.schema.json", doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	s, err := c.Compile("gobake.schema.json")
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

// validate decodes YAML (rejecting duplicate keys, as YAML requires) and
// validates it against s.
func validate(s *jsonschema.Schema, src []byte) error {
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		return err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

func TestSchemaIsDraft202012(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(JSON, &doc); err != nil {
		t.Fatal(err)
	}
	if got, want := doc["$schema"], "https://json-schema.org/draft/2020-12/schema"; got != want {
		t.Errorf("$schema = %v, want %v", got, want)
	}
}

func TestFixtures(t *testing.T) {
	s := compile(t)
	for _, tc := range []struct {
		dir   string
		valid bool
	}{
		{"valid", true},
		{"rejected", true},
		{"invalid", false},
	} {
		files, err := filepath.Glob(filepath.Join(fixtures, tc.dir, "*.yaml"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures in %s: %v", tc.dir, err)
		}
		for _, f := range files {
			t.Run(tc.dir+"/"+filepath.Base(f), func(t *testing.T) {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				err = validate(s, src)
				if tc.valid && err != nil {
					t.Errorf("schema rejects a fixture it should accept: %v", err)
				}
				if !tc.valid && err == nil {
					t.Error("schema accepts an invalid fixture")
				}
			})
		}
	}
}

func TestSnippets(t *testing.T) {
	s := compile(t)
	const head = "version: 1\nimages:\n  api:\n    main: ./cmd/api\n"
	for _, tc := range []struct {
		name  string
		yaml  string
		valid bool
	}{
		{"minimal", head, true},
		{"extension key", head + "x-anchors: {a: 1}\n", true},
		{"all platforms", head + "    platforms: [all]\n", true},
		{"all mixed", head + "    platforms: [all, linux/amd64]\n", false},
		{"bad platform", head + "    platforms: [linux/amd65]\n", false},
		{"arm variant", head + "    platforms: [linux/arm/v6]\n", true},
		{"bad variant", head + "    platforms: [linux/386/v1]\n", false},
		{"numeric user", head + "    user: 0\n", true},
		{"boolean user", head + "    user: false\n", false},
		{"scratch base name", head + "bases: {scratch: example.com/x}\n", false},
		{"dotted base name", head + "bases: {a.b: example.com/x}\n", false},
		{"upper image name", "version: 1\nimages:\n  Api: {main: ./cmd/api}\n", false},
		{"templated tag", head + "tags: [\"{{.Git.Branch}}\"]\n", true},
		{"bad tag", head + "tags: [\"-x\"]\n", false},
		{"env without =", head + "    env: [FOO]\n", false},
		{"main without ./", "version: 1\nimages:\n  api: {main: cmd/api}\n", false},
		{"tags in defaults", head + "defaults: {tags: [x]}\n", false},
		{"sign with env key", head + "sign: {key: env://COSIGN_PRIVATE_KEY}\n", true},
		{"sign with file key", head + "sign: {key: keys/cosign.key, builderID: https://ci.example/release}\n", true},
		{"sign with KMS key", head + "sign: {key: \"awskms:///alias/x\"}\n", false},
		{"sign without key", head + "sign: {builderID: https://ci.example/release}\n", false},
		{"version 2", "version: 2\n", false},
		{"no version", "images: {}\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(s, []byte(tc.yaml))
			if tc.valid && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tc.valid && err == nil {
				t.Error("accepted")
			}
		})
	}
}
