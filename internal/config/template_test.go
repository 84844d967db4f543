package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/gitinfo"
)

var testGit = gitinfo.Info{
	Commit:          "0123456789abcdef0123456789abcdef01234567",
	ShortCommit:     "0123456",
	Branch:          "main",
	Tag:             "v1.2.3",
	TreeState:       "clean",
	CommitTimestamp: "1700000000",
}

func TestSettingsExpand(t *testing.T) {
	data := BuildInfo{Version: "1.2.3", Git: testGit, Date: "2023-11-14T22:13:20Z", Env: map[string]string{"STAGE": "prod"}}.
		TemplateData("api", "linux/arm/v7")
	for _, tc := range []struct {
		name    string
		in      Settings
		want    Settings
		wantErr string
	}{
		{
			name: "every field",
			in: Settings{
				Base:        "static",
				Platforms:   []string{"linux/arm/v7"},
				Env:         []string{"GOARCH={{.Arch}}", "STAGE={{.Env.STAGE}}"},
				Flags:       []string{"-trimpath", "{{if .Git.Tag}}-tags=release{{end}}"},
				Ldflags:     []string{"-X main.version={{.Version}}", "-X main.commit={{.Git.ShortCommit}}", "-X main.date={{.Date}}"},
				User:        "65532",
				Labels:      map[string]string{"title": "{{.Image}} for {{.Platform}}", "plain": "x"},
				Annotations: map[string]string{"os": "{{.OS}}", "state": "{{.Git.TreeState}}@{{.Git.Commit}}"},
			},
			want: Settings{
				Base:        "static",
				Platforms:   []string{"linux/arm/v7"},
				Env:         []string{"GOARCH=arm", "STAGE=prod"},
				Flags:       []string{"-trimpath", "-tags=release"},
				Ldflags:     []string{"-X main.version=1.2.3", "-X main.commit=0123456", "-X main.date=2023-11-14T22:13:20Z"},
				User:        "65532",
				Labels:      map[string]string{"title": "api for linux/arm/v7", "plain": "x"},
				Annotations: map[string]string{"os": "linux", "state": "clean@0123456789abcdef0123456789abcdef01234567"},
			},
		},
		{
			name: "empty",
			in:   Settings{Base: "scratch"},
			want: Settings{Base: "scratch"},
		},
		{
			name: "missing env key names the field",
			in: Settings{
				Ldflags: []string{"-s", "-X main.x={{.Env.NOPE}}"},
				Labels:  map[string]string{"a.b": "{{.Env.ALSO_NOPE}}"},
			},
			wantErr: `ldflags[1]: template "-X main.x={{.Env.NOPE}}": map has no entry for key "NOPE"` + "\n" +
				`labels["a.b"]: template "{{.Env.ALSO_NOPE}}": map has no entry for key "ALSO_NOPE"`,
		},
		{
			name:    "bad template",
			in:      Settings{Env: []string{"A={{.Version"}},
			wantErr: `env[0]: bad template "A={{.Version": unclosed action`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.in.Expand(data)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Expand error:\n%v\nwant:\n%s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Expand (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExpandTags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		git     gitinfo.Info
		tags    []string
		want    []string
		wantErr string
	}{
		{"release", testGit, []string{"latest", "{{.Git.Tag}}", "{{.Version}}", "latest"}, []string{"latest", "v1.2.3", "1.2.3"}, ""},
		{"untagged commit skips empty", gitinfo.Info{Branch: "main"}, []string{"{{.Git.Tag}}", "{{.Git.Branch}}"}, []string{"main"}, ""},
		{"none", testGit, nil, nil, ""},
		{"invalid result", gitinfo.Info{Branch: "feature/x"}, []string{"{{.Git.Branch}}"}, nil, `tags[0]: "{{.Git.Branch}}" renders to "feature/x", which is not a valid tag`},
		{"missing env", testGit, []string{"{{.Env.X}}"}, nil, `tags[0]: template "{{.Env.X}}": map has no entry for key "X"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := BuildInfo{Version: "1.2.3", Git: tc.git, Env: map[string]string{}}.TemplateData("api", "")
			got, err := ExpandTags(tc.tags, data)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ExpandTags error: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ExpandTags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageExpand(t *testing.T) {
	img := Image{
		Name:     "api",
		Settings: Settings{Ldflags: []string{"-X main.p={{.Platform}}"}, Labels: map[string]string{"bad": "{{.Env.NOPE}}"}},
		Tags:     []string{"{{.Version}}-{{.Arch}}", "{{.Env.NOPE2}}"},
	}
	data := BuildInfo{Env: map[string]string{}}.TemplateData("api", "linux/amd64")
	_, err := img.Expand(data)
	want := "image api: labels.bad: template \"{{.Env.NOPE}}\": map has no entry for key \"NOPE\"\n" +
		"tags[1]: template \"{{.Env.NOPE2}}\": map has no entry for key \"NOPE2\""
	if err == nil || err.Error() != want {
		t.Fatalf("Expand error:\n%v\nwant:\n%s", err, want)
	}
	img.Labels = nil
	img.Tags = img.Tags[:1]
	got, err := img.Expand(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"-X main.p=linux/amd64"}, got.Ldflags); diff != "" {
		t.Errorf("Ldflags (-want +got):\n%s", diff)
	}
	// Tags are per image, not per platform: .Arch is blank.
	if diff := cmp.Diff([]string{DevVersion + "-"}, got.Tags); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
}

func TestTemplateData(t *testing.T) {
	env := map[string]string{"A": "1"}
	for _, tc := range []struct {
		name     string
		info     BuildInfo
		platform string
		want     TemplateData
	}{
		{"dev", BuildInfo{Env: env}, "linux/amd64",
			TemplateData{Image: "api", Version: DevVersion, Env: env, Platform: "linux/amd64", OS: "linux", Arch: "amd64"}},
		{"variant", BuildInfo{Version: "2.0.0", Git: testGit, Date: "d", Env: env}, "linux/arm/v7",
			TemplateData{Image: "api", Version: "2.0.0", Git: testGit, Date: "d", Env: env, Platform: "linux/arm/v7", OS: "linux", Arch: "arm"}},
		{"no platform", BuildInfo{Version: "2.0.0"}, "",
			TemplateData{Image: "api", Version: "2.0.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.info.TemplateData("api", tc.platform)); diff != "" {
				t.Errorf("TemplateData (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEnvMap(t *testing.T) {
	got := EnvMap([]string{"A=1", "B=x=y", "C=", "junk"})
	if diff := cmp.Diff(map[string]string{"A": "1", "B": "x=y", "C": ""}, got); diff != "" {
		t.Errorf("EnvMap (-want +got):\n%s", diff)
	}
}

func TestBuildDate(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600))
	for _, tc := range []struct {
		name    string
		epoch   string
		git     gitinfo.Info
		want    string
		wantErr string
	}{
		{"SOURCE_DATE_EPOCH wins", "1600000000", testGit, "2020-09-13T12:26:40Z", ""},
		{"commit time", "", testGit, "2023-11-14T22:13:20Z", ""},
		{"now, in UTC", "", gitinfo.Info{}, "2025-01-02T02:04:05Z", ""},
		{"bad epoch", "yesterday", testGit, "", `$SOURCE_DATE_EPOCH="yesterday" is not a Unix time in seconds`},
		{"bad commit time", "", gitinfo.Info{CommitTimestamp: "x"}, "", `git commit timestamp "x" is not a Unix time in seconds`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == SourceDateEpochEnv {
					return tc.epoch
				}
				return ""
			}
			got, err := BuildDate(getenv, tc.git, now)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("BuildDate error: %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("BuildDate = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCheckTemplate(t *testing.T) {
	for _, tc := range []struct {
		text, want string
	}{
		{"plain", ""},
		{"{{.Version}}-{{.Git.ShortCommit}}", ""},
		{"{{.Env.ANY}}{{index .Env \"OTHER\"}}", ""},
		{"{{with .Git}}{{.Commit}}{{else}}{{.Image}}{{end}}", ""},
		{"{{range $k, $v := .Env}}{{$k}}={{$v}}{{end}}", ""},
		{"{{$.Git.Branch}} {{printf \"%s\" .Date}} {{.Platform | len}}", ""},
		{"{{$v := .Git}}{{$v.Tag}}", ""},
		{"{{.Git.Nope}}", "unknown template field .Git.Nope"},
		{"{{$.Nope}}", "unknown template field $.Nope"},
		{"{{if .Git.Tag}}x{{else}}{{.Verison}}{{end}}", "unknown template field .Verison"},
		{"{{.OS.X}}", "template field .OS.X: .OS is a string and has no fields"},
		{"{{", "bad template: unclosed action"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got := checkTemplate(tc.text, "api")
			if !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
				t.Errorf("checkTemplate(%q) = %q, want %q...", tc.text, got, tc.want)
			}
		})
	}
}

func TestUsesGit(t *testing.T) {
	tests := []struct {
		name      string
		templates []string
		want      bool
	}{
		{"none", nil, false},
		{"plain text", []string{"latest", "-s -w"}, false},
		{"other fields", []string{"{{.Version}}-{{.Image}}", "{{.Env.HOME}}", `{{index .Env "X"}}`, "{{.OS}}/{{.Arch}}"}, false},
		{"env range", []string{"{{range $k, $v := .Env}}{{$k}}{{end}}", "{{with .Env.HOME}}{{.}}{{end}}"}, false},
		{"git field", []string{"latest", "-X main.commit={{.Git.Commit}}"}, true},
		{"tree state in a condition", []string{`{{if eq .Git.TreeState "dirty"}}dirty{{end}}`}, true},
		{"git through with", []string{"{{with .Git}}{{.Tag}}{{end}}"}, true},
		{"git through $", []string{"{{with .Env}}{{$.Git.Branch}}{{end}}"}, true},
		{"date", []string{"{{.Date}}"}, true},
		{"the whole data", []string{`{{printf "%v" .}}`}, true},
		{"$ alone", []string{`{{printf "%v" $}}`}, true},
		{"dot of unknown type", []string{"{{with $d := .}}{{.Git.Commit}}{{end}}"}, true},
		{"does not parse", []string{"{{.Git"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := UsesGit(tt.templates...); got != tt.want {
				t.Errorf("UsesGit(%q) = %v, want %v", tt.templates, got, tt.want)
			}
		})
	}
}
