// Package errlines formats several errors as one message: one error per
// line and no "N errors occurred" header, so that the first line is already
// a complete message. It plugs into go-multierror as an ErrorFormat.
package errlines

import "strings"

// Format joins the messages of errs, one per line.
func Format(errs []error) string {
	lines := make([]string, len(errs))
	for i, err := range errs {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}
