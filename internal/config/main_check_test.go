package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/platform"
)

// TestMainJudgedAsGoBuild checks that an image's main is accepted exactly
// when go build, for each of the image's platforms and with its env and
// flags, sees a package main there: go list is the referee. A //go:build
// tools file of package tools beside the mains (a ko repository's hack/)
// is fine; a file of another package that the platform, the tags, GOFLAGS,
// cgo or the architecture level selects is not.
func TestMainJudgedAsGoBuild(t *testing.T) {
	const mainGo = "package main\n\nfunc main() {}\n"
	for _, tc := range []struct {
		name     string
		files    map[string]string // under x/
		settings string            // YAML lines of the image besides main
		wantErr  string            // "" when the main is valid
	}{
		{"tools file beside the mains", map[string]string{"main.go": mainGo, "tools.go": "//go:build tools\n\npackage tools\n\nimport _ \"example.com/gen\"\n"}, "", ""},
		{"untagged other package", map[string]string{"main.go": mainGo, "other.go": "package other\n"}, "", "./x mixes packages main (main.go) and other (other.go)"},
		{"other package for windows only", map[string]string{"main.go": mainGo, "other_windows.go": "package other\n"}, "", ""},
		{"tag set by flags", map[string]string{"main.go": mainGo, "extra.go": "//go:build extra\n\npackage other\n"}, "flags: [-tags, 'extra,netgo']", "./x mixes packages main (main.go) and other (extra.go)"},
		{"tag set by GOFLAGS in env", map[string]string{"main.go": mainGo, "extra.go": "//go:build extra\n\npackage other\n"}, "env: [GOFLAGS=-tags=extra]", "./x mixes packages main (main.go) and other (extra.go)"},
		{"cgo main without cgo", map[string]string{"main.go": "package main\n\nimport \"C\"\n\nfunc main() {}\n"}, "", "./x: build constraints exclude all Go files"},
		{"cgo main with cgo", map[string]string{"main.go": "package main\n\nimport \"C\"\n\nfunc main() {}\n"}, "env: [CGO_ENABLED=1]", ""},
		{"one platform of two", map[string]string{"main.go": mainGo, "other_arm64.go": "package other\n"}, "platforms: [linux/amd64, linux/arm64]", "./x mixes packages main (main.go) and other (other_arm64.go) for linux/arm64"},
		{"architecture level", map[string]string{"main.go": mainGo, "v3.go": "//go:build amd64.v3\n\npackage other\n"}, "platforms: [linux/amd64/v3]", "./x mixes packages main (main.go) and other (v3.go)"},
		{"architecture level not reached", map[string]string{"main.go": mainGo, "v3.go": "//go:build amd64.v3\n\npackage other\n"}, "platforms: [linux/amd64]", ""},
		{"every file excluded", map[string]string{"main_amd64.go": mainGo}, "platforms: [linux/arm64]", "./x: build constraints exclude all Go files"},
		{"package tools alone", map[string]string{"tools.go": "//go:build tools\n\npackage tools\n"}, "", "./x: build constraints exclude all Go files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			files := map[string]string{"go.mod": "module example.com/m\n\ngo 1.26\n"}
			for n, c := range tc.files {
				files["x/"+n] = c
			}
			yml := "version: 1\nimages:\n  x:\n    main: ./x\n"
			if tc.settings != "" {
				yml += "    " + tc.settings + "\n"
			}
			files["gobake.yaml"] = yml
			writeFiles(t, root, files)
			cfg, err := Load(filepath.Join(root, "gobake.yaml"), WithGetenv(func(string) string { return "" }))
			got := ""
			if err != nil {
				errs := Errors(err)
				if len(errs) != 1 || errs[0].Field != "images.x.main" {
					t.Fatalf("Load: %v", err)
				}
				got = errs[0].Msg
			}
			if got != tc.wantErr {
				t.Errorf("problem = %q, want %q", got, tc.wantErr)
			}
			if cfg == nil { // rejected: learn the image's merged settings otherwise
				cfg = &Config{Images: []Image{{Settings: settingsOf(t, root, yml)}}}
			}
			// The referee: go list, per platform, with the image's env and flags.
			goOK := true
			img := cfg.Images[0]
			for _, ps := range img.Platforms {
				p, err := platform.Parse(ps)
				if err != nil {
					t.Fatal(err)
				}
				env, err := platform.GoEnv(p)
				if err != nil {
					t.Fatal(err)
				}
				args := append([]string{"list", "-e", "-f", "{{.Name}}|{{if .Error}}{{.Error}}{{end}}"}, img.Flags...)
				cmd := exec.Command("go", append(args, "./x")...)
				cmd.Dir = root
				cmd.Env = append(append(os.Environ(), "GOFLAGS=", "GOWORK=off"), append(img.Env, env...)...)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("go list: %v\n%s", err, out)
				}
				name, goErr, _ := strings.Cut(strings.TrimSpace(string(out)), "|")
				if name != "main" || goErr != "" {
					goOK = false
				}
			}
			if goOK != (got == "") {
				t.Errorf("config accepts the main: %t; go list: %t", got == "", goOK)
			}
		})
	}
}

// settingsOf loads yml with the main replaced by a valid one, to learn the
// image's merged settings when the real main is rejected.
func settingsOf(t *testing.T, root, yml string) Settings {
	t.Helper()
	writeFiles(t, root, map[string]string{"ok/main.go": "package main\n\nfunc main() {}\n", "ok.yaml": strings.Replace(yml, "main: ./x", "main: ./ok", 1)})
	cfg, err := Load(filepath.Join(root, "ok.yaml"), WithGetenv(func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Images[0].Settings
}

// TestImageNames checks the light reading of image names for completion:
// file order, no check, merge keys left out.
func TestImageNames(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"gobake.yaml": "version: 1\nx-common: &c {main: ./x}\nimages:\n  worker: *c\n  api:\n    <<: *c\n  Bad_Name: {main: ./nope}\n"})
	got, err := ImageNames(filepath.Join(dir, "gobake.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"worker", "api", "Bad_Name"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ImageNames = %v, want %v", got, want)
	}
	if _, err := ImageNames(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("ImageNames of a missing file succeeded")
	}
}
