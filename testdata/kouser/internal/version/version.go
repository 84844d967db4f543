// Package version holds build facts set with -ldflags -X.
package version

// Set at link time.
var (
	Version = "dev"
	Commit  = ""
	Date    = ""
	Dirty   = ""
	Built   = ""
)
