package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		want    []string // one line per error; $ROOT is the repository
	}{
		{"invalid/unknown_keys.yaml", []string{
			"unknown_keys.yaml:2:1: regsitry: unknown key (did you mean registry?)",
			"unknown_keys.yaml:4:3: defaults.platform: unknown key (did you mean platforms?)",
			"unknown_keys.yaml:5:3: defaults.colour: unknown key (known: annotations, base, compression, env, flags, labels, ldflags, platforms, user)",
			"unknown_keys.yaml:9:5: images.api.ldflag: unknown key (did you mean ldflags?)",
		}},
		{"invalid/compression.yaml", []string{
			`compression.yaml:4:16: defaults.compression: "lz4" is not a layer compression (gzip or zstd)`,
			`compression.yaml:7:11: images.api.main: "./cmd/api" does not exist`,
			"compression.yaml:8:18: images.api.compression: must be a string, got a list",
		}},
		{"invalid/types.yaml", []string{
			"types.yaml:1:10: version: must be the integer 1, got a string",
			"types.yaml:2:11: registry: must be a string, got a list",
			"types.yaml:4:14: defaults.platforms: must be a list of strings, got a string",
			"types.yaml:5:8: defaults.env: must be a list of strings, got a mapping",
			"types.yaml:6:22: defaults.flags[1]: must be a string, got an integer",
			"types.yaml:7:9: defaults.user: must be a string or a numeric uid, got a boolean",
			"types.yaml:8:11: defaults.labels: must be a mapping, got a list",
			"types.yaml:9:7: tags: must be a list of strings, got a string",
			"types.yaml:10:8: bases: must be a mapping, got a list",
			"types.yaml:13:11: images.api.main: must be a string, got an integer",
			"types.yaml:15:16: images.api.annotations.version: must be a string, got a number",
		}},
		{"invalid/version.yaml", []string{
			"version.yaml:1:10: version: unsupported version 2; this gobake reads version 1",
		}},
		{"invalid/no_version.yaml", []string{
			"no_version.yaml:1:1: version: missing; gobake.yaml must set version: 1",
		}},
		{"invalid/platforms.yaml", []string{
			`platforms.yaml:3:28: defaults.platforms[1]: "linux/amd65" is not a Go platform (os/arch[/variant])`,
			`platforms.yaml:8:9: images.api.platforms[0]: "all" must be the only platform`,
			`platforms.yaml:12:17: images.worker.platforms[0]: "linux/arm/v9": unknown arm variant "v9" (one of v5, v6, v7)`,
			`platforms.yaml:12:31: images.worker.platforms[1]: "linux/386/v1": 386 has no variants`,
			`platforms.yaml:12:58: images.worker.platforms[3]: "linux/amd64" is listed twice`,
			`platforms.yaml:12:71: images.worker.platforms[4]: "linux" is not a Go platform (os/arch[/variant])`,
			`platforms.yaml:12:78: images.worker.platforms[5]: "windows/amd64/v3/x" is not a Go platform (os/arch[/variant])`,
			`platforms.yaml:15:16: images.empty.platforms: must list at least one platform`,
		}},
		{"invalid/duplicates.yaml", []string{
			"duplicates.yaml:9:7: images.worker.labels.a: duplicate key (first defined at line 8)",
			"duplicates.yaml:10:3: images.api: duplicate key (first defined at line 3)",
		}},
		{"invalid/names.yaml", []string{
			`names.yaml:3:3: bases["my.base"]: a base name must be a bare word: no /, :, @ or ., and not scratch`,
			`names.yaml:4:3: bases.scratch: a base name must be a bare word: no /, :, @ or ., and not scratch`,
			`names.yaml:6:3: images.Api: image name "Api" is not a valid repository name component (lowercase letters, digits and single separators . _ __ -)`,
			`names.yaml:10:17: images.worker.repository: "Team/Worker" is not a valid repository name (lowercase components separated by /)`,
			`names.yaml:11:13: images.worker.binary: "bin/worker" is not a file name (letters, digits, . _ -)`,
			`names.yaml:12:3: images.api_: image name "api_" is not a valid repository name component (lowercase letters, digits and single separators . _ __ -)`,
		}},
		{"invalid/main.yaml", []string{
			"main.yaml:3:3: images.api.main: missing; set it to the image's package main, e.g. ./cmd/api",
			`main.yaml:6:11: images.worker.main: "services/worker" must be a relative path starting with ./ (relative to dir), or the import path of a main package of a required module (example.com/mod/cmd/x)`,
		}},
		{"invalid/syntax.yaml", []string{
			"syntax.yaml:5:4: YAML syntax error: did not find expected key",
		}},
		{"invalid/syntax2.yaml", []string{
			"syntax2.yaml:4:5: YAML syntax error: found unexpected end of stream",
		}},
		{"invalid/syntax3.yaml", []string{
			"syntax3.yaml:4:1: YAML syntax error: found character that cannot start any token",
		}},
		{"invalid/values.yaml", []string{
			`values.yaml:3:9: defaults.env[0]: "CGO_ENABLED" is not KEY=VALUE`,
			`values.yaml:3:22: defaults.env[1]: "=1" is not KEY=VALUE`,
			`values.yaml:4:16: tags[1]: "v1+build" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`,
			`values.yaml:8:12: images.api.tags[0]: ":bad" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`,
		}},
		{"rejected/bases.yaml", []string{
			`bases.yaml:3:9: defaults.base: no base named "statik" in bases (known: static)`,
			`bases.yaml:6:11: bases.broken: "example.com/UPPER:latest" is not an image reference: could not parse reference: example.com/UPPER:latest`,
			`bases.yaml:7:11: bases.badoci: "oci:layout:bad tag": "bad tag" is not a valid tag`,
			`bases.yaml:11:11: images.api.base: no base named "debian" in bases (known: static)`,
			`bases.yaml:14:11: images.worker.base: "example.com/x:y:z" is not an image reference: could not parse reference: example.com/x:y:z`,
			`bases.yaml:17:11: images.tool.base: "oci:layout@sha256:abc": bad digest "sha256:abc": wrong number of hex digits for sha256: abc`,
		}},
		{"rejected/paths.yaml", []string{
			`paths.yaml:4:11: images.lib.main: ./lib is package lib, not a package main`,
			`paths.yaml:6:11: images.mixed.main: ./mixed mixes packages main (a.go) and other (b.go)`,
			`paths.yaml:8:11: images.empty.main: ./empty has no Go files`,
			`paths.yaml:10:11: images.gone.main: "./nope" does not exist`,
			`paths.yaml:12:11: images.outside.main: "../elsewhere" leaves the repository $ROOT`,
			`paths.yaml:14:11: images.escape.main: "./escape" resolves to $OUTSIDE, outside the repository`,
			`paths.yaml:16:11: images.file.main: "./notadir.txt" is not a directory`,
			`paths.yaml:19:10: images.baddir.dir: "./missing" does not exist`,
			`paths.yaml:22:11: images.baddata.data: "./nodata" does not exist`,
			`paths.yaml:25:10: images.updir.dir: "../.." leaves the repository $ROOT`,
			`paths.yaml:29:11: images.tooldata.data: "../../escape" leaves the repository $ROOT`,
		}},
		{"rejected/registry.yaml", []string{
			"registry.yaml:2:11: registry: \"Example.com:5000/Acme\" is not a registry or registry/prefix: repository can only contain the characters `abcdefghijklmnopqrstuvwxyz0123456789_-./`: Acme",
			"registry.yaml:7:3: images.api: platforms [all] takes the platforms of the base image's index, but the base is scratch",
		}},
		{"rejected/templates.yaml", []string{
			"templates.yaml:3:13: defaults.ldflags[0]: unknown template field .Versoin (known: .Image, .Version, .Git, .Date, .Env, .Platform, .OS, .Arch)",
			"templates.yaml:3:45: defaults.ldflags[1]: unknown template field .Git.Comit (known: .Git.Commit, .Git.ShortCommit, .Git.Branch, .Git.Tag, .Git.TreeState, .Git.CommitTimestamp)",
			"templates.yaml:3:78: defaults.ldflags[2]: bad template: unclosed action",
			"templates.yaml:4:55: defaults.flags[1]: unknown template field .Brnch (known: .Commit, .ShortCommit, .Branch, .Tag, .TreeState, .CommitTimestamp)",
			"templates.yaml:4:89: defaults.flags[2]: template field .Image.Name: .Image is a string and has no fields",
			`templates.yaml:7:10: defaults.labels.bad: bad template: function "nosuchfunc" not defined`,
			"templates.yaml:8:8: tags[0]: unknown template field .Git.Tagg (known: .Git.Commit, .Git.ShortCommit, .Git.Branch, .Git.Tag, .Git.TreeState, .Git.CommitTimestamp)",
			"templates.yaml:13:10: images.api.annotations.x: template: error calling index: can't index item of type uint8",
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			cfg, root, err := loadFixture(t, tc.fixture, nil)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", cfg)
			}
			outside, _ := filepath.EvalSymlinks(filepath.Join(root, "escape"))
			var want []string
			for _, w := range tc.want {
				w = strings.ReplaceAll(w, "$ROOT", root)
				want = append(want, strings.ReplaceAll(w, "$OUTSIDE", outside))
			}
			if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors differ (-want +got):\n%s", diff)
			}
			errs := Errors(err)
			if len(errs) != len(want) {
				t.Fatalf("Errors returned %d errors, want %d", len(errs), len(want))
			}
			for i, e := range errs {
				if e.File != filepath.Base(tc.fixture) || e.Line == 0 || e.Col == 0 {
					t.Errorf("error %d: File, Line, Col = %q, %d, %d", i, e.File, e.Line, e.Col)
				}
				if e.Error() != want[i] {
					t.Errorf("error %d: %q, want %q", i, e.Error(), want[i])
				}
			}
			var first *Error
			if !errors.As(err, &first) || first != errs[0] {
				t.Errorf("errors.As does not find the first *Error")
			}
		})
	}
}

func TestLoadIOError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want an error wrapping ErrNotExist", err)
	}
}

func TestLoadEmpty(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"empty", "", "gobake.yaml:1:1: the file is empty; it must start with version: 1"},
		{"comment only", "# nothing\n", "gobake.yaml:1:1: the file is empty; it must start with version: 1"},
		{"list", "- a\n", "gobake.yaml:1:1: must be a mapping of keys, got a list"},
		{"null images", "version: 1\nimages:\n", "gobake.yaml:2:8: images: must be a mapping, got null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{FileName: tc.src})
			t.Chdir(dir)
			_, err := Load(FileName)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Load: %v, want %s", err, tc.want)
			}
		})
	}
}

func TestLoadImageNotMapping(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{FileName: "version: 1\nimages:\n  api: ./cmd/api\n"})
	t.Chdir(dir)
	_, err := Load(FileName)
	want := "gobake.yaml:3:8: images.api: must be a mapping with at least main, got a string"
	if err == nil || err.Error() != want {
		t.Errorf("Load: %v, want %s", err, want)
	}
}

// TestLoadCompression checks that compression is a setting: defaults set
// it, an image overrides it, and unset it is "" (gzip).
func TestLoadCompression(t *testing.T) {
	dir := t.TempDir()
	yaml := "version: 1\ndefaults:\n  base: scratch\n  compression: zstd\nimages:\n" +
		"  api:\n    main: ./cmd/api\n  web:\n    main: ./cmd/web\n    compression: gzip\n"
	if err := os.WriteFile(filepath.Join(dir, "gobake.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"api", "web"} {
		if err := os.MkdirAll(filepath.Join(dir, "cmd", m), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cmd", m, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Load(filepath.Join(dir, "gobake.yaml"), WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, img := range cfg.Images {
		got[img.Name] = img.Compression
	}
	if diff := cmp.Diff(map[string]string{"api": CompressionZstd, "web": CompressionGzip}, got); diff != "" {
		t.Errorf("compression by image (-want +got):\n%s", diff)
	}
}
