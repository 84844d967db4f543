package testutil_test

import (
	"testing"

	"github.com/gobake/gobake/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }
