package graph

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"go/parser"
	"go/token"
	"path/filepath"
)

// sourceHeader fingerprints what go list reads of a source file: for a
// .go file, everything up to the end of its imports (build constraints,
// package clause, imports, a cgo preamble) and every //go:embed line; for
// other sources (assembly, C…), whose leading comments may hold build
// constraints, the whole content. A .go file whose start does not parse
// counts whole as well. Two files with the same fingerprint are seen alike
// by go list, whatever else differs.
func sourceHeader(path string, src []byte) string {
	h := sha256.New()
	if filepath.Ext(path) != ".go" {
		h.Write([]byte("whole\x00"))
		h.Write(src)
		return hex.EncodeToString(h.Sum(nil))
	}
	end := len(src)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly|parser.SkipObjectResolution)
	if err == nil {
		pos := f.Name.End()
		if n := len(f.Decls); n > 0 {
			pos = f.Decls[n-1].End()
		}
		end = fset.Position(pos).Offset
	}
	h.Write([]byte("go\x00"))
	h.Write(src[:end])
	rest := src[end:]
	for len(rest) > 0 {
		i := bytes.Index(rest, []byte("//go:embed"))
		if i < 0 {
			break
		}
		line := rest[i:]
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		h.Write([]byte("\x00"))
		h.Write(line)
		rest = rest[i+len(line):]
	}
	return hex.EncodeToString(h.Sum(nil))
}
