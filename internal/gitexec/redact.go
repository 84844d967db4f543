package gitexec

import "github.com/gobake/gobake/internal/redact"

// Redact returns s with the credentials of every URL in it hidden (see
// package redact): https://x:TOKEN@host → https://***@host.
func Redact(s string) string { return redact.String(s) }
