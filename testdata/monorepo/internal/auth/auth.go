// Package auth derives stable client identifiers.
package auth

import "github.com/google/uuid"

// ClientID returns the identifier of the client called name: a name-based
// (SHA-1) UUID, so the same name always gives the same identifier.
func ClientID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://example.com/clients/"+name)).String()
}
