package layering

import (
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

// TestMain gives the tests a temporary home: builds keep their binaries in
// the user cache directory, which must not be the user's.
func TestMain(m *testing.M) { testutil.Main(m) }
