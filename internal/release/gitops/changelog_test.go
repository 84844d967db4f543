package gitops

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAddSection(t *testing.T) {
	u := Update{Image: "api", Version: "1.3.0", Changelog: "### Fixes\n\n- crash (abc1234)\n"}
	tests := []struct {
		name, old, want string
		changed         bool
	}{
		{"new file", "", "# Changelog of api\n\n## 1.3.0\n\n### Fixes\n\n- crash (abc1234)\n", true},
		{"below the title", "# Changelog of api\n\n## 1.2.0\n\n- x\n",
			"# Changelog of api\n\n## 1.3.0\n\n### Fixes\n\n- crash (abc1234)\n\n## 1.2.0\n\n- x\n", true},
		{"no title: on top", "## 1.2.0\n", "## 1.3.0\n\n### Fixes\n\n- crash (abc1234)\n\n## 1.2.0\n", true},
		{"already there: unchanged", "# Changelog of api\n\n## 1.3.0\n\nedited by hand\n", "# Changelog of api\n\n## 1.3.0\n\nedited by hand\n", false},
		{"already there, CRLF", "## 1.3.0\r\n", "## 1.3.0\r\n", false},
		{"a longer version is another", "## 1.3.0-rc.1\n", "## 1.3.0\n\n### Fixes\n\n- crash (abc1234)\n\n## 1.3.0-rc.1\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := addSection(tt.old, u)
			if diff := cmp.Diff(tt.want, got); diff != "" || changed != tt.changed {
				t.Errorf("addSection changed = %v, want %v; (-want +got):\n%s", changed, tt.changed, diff)
			}
		})
	}
	if got, _ := addSection("", Update{Image: "web", Version: "0.1.1"}); got != "# Changelog of web\n\n## 0.1.1\n\nNo commit changed the image's inputs: rebuilt for another reason (base image, toolchain or configuration).\n" {
		t.Errorf("section without notes: %q", got)
	}
}
