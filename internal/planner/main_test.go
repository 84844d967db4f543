package planner

import (
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

// TestMain gives the tests a temporary home: TestReleaseHistory builds
// with gobake's builder, which keeps binaries in the user cache directory,
// which must not be the user's.
func TestMain(m *testing.M) { testutil.Main(m) }
