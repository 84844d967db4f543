package version

import (
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"
)

func TestOCITag(t *testing.T) {
	for _, tc := range []struct{ version, want string }{
		{"1.4.2", "1.4.2"},
		{"1.3.0-rc.1", "1.3.0-rc.1"},
		{"1.3.0+build.5", "1.3.0_build.5"},
		{"1.3.0-rc.1+build-7.x", "1.3.0-rc.1_build-7.x"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, OCITag(semver.MustParse(tc.version))); diff != "" {
				t.Errorf("OCITag (-want +got):\n%s", diff)
			}
		})
	}
}
