package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSignLoad(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want func(root string) *Sign
	}{
		{"absent", "", func(string) *Sign { return nil }},
		{"relative file", "sign:\n  key: keys/cosign.key\n", func(root string) *Sign {
			return &Sign{Key: filepath.Join(root, "keys", "cosign.key"), KeyAt: "gobake.yaml:6:8"}
		}},
		{"absolute file", "sign: {key: /etc/cosign.key}\n", func(string) *Sign {
			return &Sign{Key: "/etc/cosign.key", KeyAt: "gobake.yaml:5:13"}
		}},
		{"env and builder", "sign:\n  key: env://COSIGN_KEY\n  builderID: https://github.com/acme/mono/.github/workflows/release.yml\n", func(string) *Sign {
			return &Sign{Key: "env://COSIGN_KEY", KeyAt: "gobake.yaml:6:8", BuilderID: "https://github.com/acme/mono/.github/workflows/release.yml"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadRelease(t, tc.yaml)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want(cfg.Root)
			if want != nil {
				want.KeyAt = filepath.Join(cfg.Root, want.KeyAt)
			}
			if diff := cmp.Diff(want, cfg.Sign); diff != "" {
				t.Errorf("Sign (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"no key", "sign: {builderID: https://ci.example/b}\n", []string{
			`gobake.yaml:5:7: sign: missing key: the signing key, a file or env://VAR`,
		}},
		{"empty key", "sign:\n  key: \"\"\n", []string{
			`gobake.yaml:6:8: sign.key: must not be empty: a key file or env://VAR`,
		}},
		{"bad variable", "sign:\n  key: env://1-KEY\n", []string{
			`gobake.yaml:6:8: sign.key: "1-KEY" is not an environment variable name (env://NAME, letters, digits, _)`,
		}},
		{"kms", "sign:\n  key: awskms:///alias/release\n", []string{
			`gobake.yaml:6:8: sign.key: "awskms:///alias/release": only key files and env://VAR are supported, not KMS or hardware keys`,
		}},
		{"not a string, unknown key, bad builder", "sign:\n  key: [a]\n  builderId: x\n  builderID: ci\n", []string{
			`gobake.yaml:6:8: sign.key: must be a string, got a list`,
			`gobake.yaml:7:3: sign.builderId: unknown key (did you mean builderID?)`,
			`gobake.yaml:8:14: sign.builderID: "ci" is not an absolute URI without credentials, e.g. https://github.com/acme/mono/.github/workflows/release.yml`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadRelease(t, tc.yaml)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			var got []string
			for _, e := range Errors(err) {
				got = append(got, strings.TrimPrefix(e.Error(), filepath.Dir(e.File)+string(filepath.Separator)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
