package testutil_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/internal/testutil/baseimage"
)

func TestRegistryOutageKeepsStorage(t *testing.T) {
	reg := testutil.StartRegistry(t)
	ref := reg.Host + "/bases/static:latest"
	d, err := baseimage.Push(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		name      string
		do        func()
		reachable bool
	}{
		{"running", func() {}, true},
		{"stopped", reg.Stop, false},
		{"restarted", reg.Start, true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do()
			out, err := testutil.SkopeoErr(t, "inspect", "--raw", "docker://"+ref)
			if !s.reachable {
				if err == nil {
					t.Fatalf("inspect of a stopped registry succeeded:\n%s", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var idx struct {
				MediaType string `json:"mediaType"`
				Manifests []struct {
					Platform struct{ Architecture string } `json:"platform"`
				} `json:"manifests"`
			}
			if err := json.Unmarshal([]byte(out.Stdout), &idx); err != nil {
				t.Fatalf("parse index: %v\n%s", err, out.Stdout)
			}
			if len(idx.Manifests) != len(baseimage.Platforms) {
				t.Errorf("index of %s has %d manifests, want %d", d, len(idx.Manifests), len(baseimage.Platforms))
			}
		})
	}
}

func TestCopySample(t *testing.T) {
	dir := testutil.CopySample(t)
	for _, f := range []string{
		"gobake.yaml",
		"go.mod",
		"go.sum",
		"third_party/greeting/go.mod",
		"services/api/cmd/api/kodata/message.txt",
		"bases/static/index.json",
	} {
		t.Run(f, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".gobake")); err == nil {
		t.Error("the copy has the sample's .gobake output")
	}
}

func TestGitInit(t *testing.T) {
	dir := testutil.CopySample(t)
	testutil.GitInit(t, dir)
	if st := testutil.Git(t, dir, "status", "--porcelain"); st != "" {
		t.Errorf("tree is dirty after GitInit:\n%s", st)
	}
	if ts := strings.TrimSpace(testutil.Git(t, dir, "log", "-1", "--format=%ct")); ts != "1704164645" {
		t.Errorf("commit time = %s, want the fixed 1704164645", ts)
	}
}

// TestIsolatedHome checks what Main sets up: the user cache directory, where
// gobake keeps binaries by default, is under the temporary home, while go
// keeps its own build cache.
func TestIsolatedHome(t *testing.T) {
	home := os.Getenv(testutil.IsolatedHomeEnv)
	if home == "" || os.Getenv("HOME") != home {
		t.Fatalf("HOME = %q, %s = %q; want both the temporary home", os.Getenv("HOME"), testutil.IsolatedHomeEnv, home)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cache, home+string(filepath.Separator)) {
		t.Errorf("user cache dir %s is not under the temporary home %s", cache, home)
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	if gocache := strings.TrimSpace(string(out)); gocache == "" || strings.HasPrefix(gocache, home) {
		t.Errorf("GOCACHE = %q, want go's cache from before the home moved", gocache)
	}
}

// TestSchemaErrorCompiledOnce: SchemaError keeps compiled schemas, keyed by
// name and content: a schema of the same name but other content is its own.
func TestSchemaErrorCompiledOnce(t *testing.T) {
	strict := []byte(`{"type": "object", "required": ["a"]}`)
	loose := []byte(`{"type": "object"}`)
	for i, tt := range []struct {
		schema []byte
		doc    string
		valid  bool
	}{
		{strict, `{"a": 1}`, true},
		{strict, `{}`, false},
		{loose, `{}`, true},
		{strict, `{}`, false},
		{loose, `[]`, false},
	} {
		err := testutil.SchemaError("x.schema.json", tt.schema, []byte(tt.doc))
		if (err == nil) != tt.valid {
			t.Errorf("%d: %s against %s: error %v, want valid %t", i, tt.doc, tt.schema, err, tt.valid)
		}
	}
}
