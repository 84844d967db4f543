package reltag

import (
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestName(t *testing.T) {
	for _, tc := range []struct {
		name, tmpl, image, version string
		want                       string
		wantErr                    bool
	}{
		{"default", DefaultTemplate, "api", "1.4.2", "api/v1.4.2", false},
		{"pre-release and metadata", DefaultTemplate, "api", "1.3.0-rc.1+build.5", "api/v1.3.0-rc.1+build.5", false},
		{"custom", "release-{{.Image}}-{{.Version}}", "web", "0.1.0", "release-web-0.1.0", false},
		{"unknown field", "{{.Image}}/{{.Git.Commit}}", "api", "1.0.0", "", true},
		{"bad template", "{{.Image", "api", "1.0.0", "", true},
		{"invalid ref", "{{.Image}} v{{.Version}}", "api", "1.0.0", "", true},
		{"trailing slash", "{{.Version}}/", "api", "1.0.0", "", true},
		{"lock component", "{{.Image}}.lock/{{.Version}}", "api", "1.0.0", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Name(tc.tmpl, tc.image, semver.MustParse(tc.version))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Name error = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("Name = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, tmpl, image, tag string
		want                   string // "" when not a tag of image
	}{
		{"default", DefaultTemplate, "api", "api/v1.4.2", "1.4.2"},
		{"pre-release", DefaultTemplate, "api", "api/v1.3.0-rc.2", "1.3.0-rc.2"},
		{"metadata", DefaultTemplate, "api", "api/v1.3.0+build.1", "1.3.0+build.1"},
		{"other image", DefaultTemplate, "api", "web/v1.4.2", ""},
		{"image with a common prefix", "{{.Image}}-{{.Version}}", "api", "api-gateway-1.0.0", ""},
		{"not semver", DefaultTemplate, "api", "api/v1.4", ""},
		{"double v", DefaultTemplate, "api", "api/vv1.4.2", ""},
		{"suffix", "{{.Image}}@{{.Version}}-final", "api", "api@2.0.0-final", "2.0.0"},
		{"plain repository tag", "v{{.Version}}", "api", "v1.0.0", "1.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, ok, err := Parse(tc.tmpl, tc.image, tc.tag)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if ok {
				got = v.String()
			}
			if got != tc.want {
				t.Errorf("Parse(%q) = %q, want %q", tc.tag, got, tc.want)
			}
		})
	}
	for _, tmpl := range []string{"{{.Image}}", "{{.Version}}-{{.Version}}", "{{.Nope}}"} {
		t.Run("bad template "+tmpl, func(t *testing.T) {
			if _, _, err := Parse(tmpl, "api", "api"); err == nil {
				t.Errorf("Parse with template %q succeeded", tmpl)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		tmpl    string
		wantErr bool
	}{
		{DefaultTemplate, false},
		{"v{{.Version}}", false},
		{"{{.Image}}-{{.Version}}", false},
		{"{{.Image}}", true},
		{"{{.Version}}{{.Version}}", true},
		{"{{.Git.Tag}}/{{.Version}}", true},
		{"{{.Image}}/v{{.Version", true},
		{"{{.Image}}:{{.Version}}", true},
	} {
		t.Run(tc.tmpl, func(t *testing.T) {
			if err := Check(tc.tmpl); (err != nil) != tc.wantErr {
				t.Errorf("Check(%q) = %v, want error %v", tc.tmpl, err, tc.wantErr)
			}
		})
	}
}
