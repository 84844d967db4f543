package version

import "fmt"

// Bump is how much a change moves a version, in increasing order.
type Bump int

// The bumps, from none to major.
const (
	BumpNone  Bump = iota // nothing to release
	BumpPatch             // X.Y.Z+1
	BumpMinor             // X.Y+1.0
	BumpMajor             // X+1.0.0
)

var bumpNames = [...]string{"none", "patch", "minor", "major"}

// String returns "none", "patch", "minor" or "major".
func (b Bump) String() string {
	if b < 0 || int(b) >= len(bumpNames) {
		return fmt.Sprintf("Bump(%d)", int(b))
	}
	return bumpNames[b]
}

// MarshalText encodes b as its name, for JSON summaries.
func (b Bump) MarshalText() ([]byte, error) {
	if b < 0 || int(b) >= len(bumpNames) {
		return nil, fmt.Errorf("marshal bump: unknown bump %d", int(b))
	}
	return []byte(b.String()), nil
}
