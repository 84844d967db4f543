package gitexec

import "regexp"

// userinfo matches the user:password@ of a URL (scheme://user:password@).
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/@:\s]*):([^/@\s]+)@`)

// Redact returns s with the password of every URL in it replaced by
// xxxxx, as url.URL.Redacted does: https://x:TOKEN@host → https://x:xxxxx@host.
func Redact(s string) string {
	return userinfo.ReplaceAllString(s, "${1}${2}:xxxxx@")
}
