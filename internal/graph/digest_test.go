package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestInputsDigestEncoding pins InputsDigest's buffered encoding to the
// plain one (writeString per key and value), across buffer flushes.
func TestInputsDigestEncoding(t *testing.T) {
	inputs := map[string]string{"": "", "a": strings.Repeat("x", 70<<10)}
	for i := range 3000 {
		inputs[fmt.Sprintf("file:pkg/%d.go", i)] = strings.Repeat("0123456789abcdef", i%9)
	}
	keys := sortedKeys(inputs)
	sort.Strings(keys)
	h := sha256.New()
	writeString(h, "gobake-inputs-v1")
	for _, k := range keys {
		writeString(h, k)
		writeString(h, inputs[k])
	}
	want := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if got := InputsDigest(inputs); got != want {
		t.Errorf("InputsDigest = %s, want %s", got, want)
	}
}
