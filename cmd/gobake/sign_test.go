package main

import (
	"os"
	"strings"
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

// TestSignFlagsAndMissingKey: signing flags that contradict each other or
// the target are usage errors; a configured key that does not load fails
// a push before anything is built, naming where it is set; a build that
// pushes nowhere needs no key.
func TestSignFlagsAndMissingKey(t *testing.T) {
	host := testutil.InMemoryRegistry(t)
	cfg := writeRepo(t)
	noErr(t, os.WriteFile(cfg, []byte("version: 1\ndefaults:\n  base: scratch\nimages:\n  hello:\n    main: ./cmd/hello\nsign:\n  key: env://GOBAKE_TEST_SIGN_KEY\n"), 0o644))
	t.Setenv("GOBAKE_REGISTRY", "")
	t.Setenv("GOBAKE_TEST_SIGN_KEY", "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // the first line of stderr
	}{
		{"key and no-sign", []string{"build", "--sign-key", "k.pem", "--no-sign"}, 2,
			"gobake: build: --sign-key and --no-sign contradict each other: pass one"},
		{"key with a layout", []string{"build", "--sign-key", "k.pem", "--oci-layout", t.TempDir()}, 2,
			"gobake: build: --sign-key signs images pushed to a registry: pass no --oci-layout, --tarball or --load with it"},
		{"KMS key", []string{"release", "--sign-key", "gcpkms://projects/p/keys/k"}, 2,
			`gobake: release: --sign-key: "gcpkms://projects/p/keys/k": only key files and env://VAR are supported, not KMS or hardware keys`},
		{"configured key missing", []string{"build", "--registry", host + "/acme"}, 1,
			"gobake: " + cfg + ":8:8: sign.key: signing key env://GOBAKE_TEST_SIGN_KEY: $GOBAKE_TEST_SIGN_KEY is empty or not set (or pass --no-sign to push unsigned images)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := gobakeRunner(cfg)(tc.args...)
			first, _, _ := strings.Cut(stderr, "\n")
			if code != tc.code || first != tc.want {
				t.Errorf("exit %d, first line:\n  %s\nwant exit %d:\n  %s", code, first, tc.code, tc.want)
			}
		})
	}
	if code, _, stderr := gobakeRunner(cfg)("build", "-q"); code != 0 {
		t.Errorf("a build into the OCI layout wanted the signing key: exit %d\n%s", code, stderr)
	}
}
