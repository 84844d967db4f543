package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/graph"
)

func TestChanges(t *testing.T) {
	plans := []graph.ImagePlan{
		{Image: "api", Status: graph.StatusChanged},
		{Image: "ctl", Status: graph.StatusUnchanged},
		{Image: "web", Status: graph.StatusNew},
	}
	build, unchanged := Changes(plans)
	if diff := cmp.Diff([]string{"api", "web"}, build); diff != "" {
		t.Errorf("build (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ctl"}, unchanged); diff != "" {
		t.Errorf("unchanged (-want +got):\n%s", diff)
	}
}
