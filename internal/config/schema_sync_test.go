package config

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/schema"
)

// jsonSchema is the part of a JSON Schema the sync test reads.
type jsonSchema struct {
	Properties           map[string]jsonSchema `json:"properties"`
	AdditionalProperties json.RawMessage       `json:"additionalProperties"`
	Defs                 map[string]jsonSchema `json:"$defs"`
	Enum                 []string              `json:"enum"`
	Examples             []any                 `json:"examples"`
	Description          string                `json:"description"`
}

func readSchema(t *testing.T) jsonSchema {
	t.Helper()
	var s jsonSchema
	if err := json.Unmarshal(schema.JSON, &s); err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return s
}

// TestSchemaKeysMatchLoader checks that the schema and the loader know the
// same keys at every level, and the same platforms.
func TestSchemaKeysMatchLoader(t *testing.T) {
	s := readSchema(t)
	for _, tc := range []struct {
		level  string
		schema map[string]jsonSchema
		loader []string
	}{
		{"top level", s.Properties, slices.Sorted(maps.Keys(topFields))},
		{"defaults", s.Properties["defaults"].Properties, slices.Sorted(maps.Keys(settingsFields))},
		{"images.*", s.Defs["image"].Properties, slices.Sorted(maps.Keys(imageFields))},
		{"release", s.Properties["release"].Properties, slices.Sorted(maps.Keys(releaseFields))},
		{"sign", s.Properties["sign"].Properties, slices.Sorted(maps.Keys(signFields))},
	} {
		t.Run(tc.level, func(t *testing.T) {
			if diff := cmp.Diff(tc.loader, slices.Sorted(maps.Keys(tc.schema))); diff != "" {
				t.Errorf("keys differ (-loader +schema):\n%s", diff)
			}
			for k, p := range tc.schema {
				if p.Description == "" {
					t.Errorf("%s has no description", k)
				}
				if len(p.Examples) == 0 {
					t.Errorf("%s has no examples", k)
				}
			}
		})
	}
	if diff := cmp.Diff(Platforms(), s.Defs["platform"].Enum); diff != "" {
		t.Errorf("platforms differ (-loader +schema):\n%s", diff)
	}
}

// TestSchemaExamplesLoad sets every key of the schema, in turn, to its
// example and checks that the loader accepts it.
func TestSchemaExamplesLoad(t *testing.T) {
	s := readSchema(t)
	base := func() map[string]any {
		return map[string]any{
			"version": 1,
			"images":  map[string]any{"api": map[string]any{"main": "./services/api/cmd/api"}},
		}
	}
	type example struct {
		name string
		cfg  map[string]any
	}
	var examples []example
	for k, p := range s.Properties {
		for _, e := range p.Examples {
			c := base()
			c[k] = e
			examples = append(examples, example{k, c})
		}
	}
	for k, p := range s.Properties["defaults"].Properties {
		for _, e := range p.Examples {
			c := base()
			c["defaults"] = map[string]any{k: e}
			examples = append(examples, example{"defaults." + k, c})
		}
	}
	for k, p := range s.Properties["release"].Properties {
		for _, e := range p.Examples {
			c := base()
			c["release"] = map[string]any{k: e}
			examples = append(examples, example{"release." + k, c})
		}
	}
	for k, p := range s.Defs["image"].Properties {
		for _, e := range p.Examples {
			c := base()
			c["images"].(map[string]any)["api"].(map[string]any)[k] = e
			examples = append(examples, example{"images.api." + k, c})
		}
	}
	root := newRepo(t)
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			src, err := yaml.Marshal(ex.cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := root + "/" + FileName
			writeFiles(t, root, map[string]string{FileName: string(src)})
			if _, err := Load(path, WithGetenv(func(string) string { return "" })); err != nil {
				t.Errorf("loader rejects the schema's example:\n%s\n%v", src, err)
			}
		})
	}
}
