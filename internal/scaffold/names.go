package scaffold

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

var notNameChar = regexp.MustCompile(`[^a-z0-9]+`)

// sanitize turns a path element into an image-name fragment: lower case
// letters, digits and single dashes.
func sanitize(s string) string {
	return strings.Trim(notNameChar.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// nameParts returns the path elements an image name is built from, last one
// first in importance: the main's directory relative to root without the
// conventional "cmd" and without repeats ("api/cmd/api" gives [api]). A main
// at the root of the repository is named after the last element of its
// import path.
func nameParts(root string, m Main) []string {
	rel, err := filepath.Rel(root, m.Dir)
	if m.External {
		rel = filepath.FromSlash(m.ImportPath)
	}
	if err != nil || rel == "." {
		return []string{sanitize(path.Base(m.ImportPath))}
	}
	var parts []string
	for _, p := range strings.Split(filepath.ToSlash(rel), "/") {
		p = sanitize(p)
		if p == "" || p == "cmd" || (len(parts) > 0 && parts[len(parts)-1] == p) {
			continue
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return []string{sanitize(path.Base(m.ImportPath))}
	}
	return parts
}

// ImageNames names an image after each main: the main's directory, with
// as many parent directories as it takes to tell apart mains whose
// directories have the same name, and a number as a last resort. The
// result is parallel to mains.
func ImageNames(root string, mains []Main) []string {
	parts := make([][]string, len(mains))
	depth := make([]int, len(mains))
	for i, m := range mains {
		parts[i] = nameParts(root, m)
		depth[i] = 1
	}
	name := func(i int) string {
		p := parts[i]
		d := min(depth[i], len(p))
		return strings.Join(p[len(p)-d:], "-")
	}
	for {
		byName := map[string][]int{}
		for i := range mains {
			byName[name(i)] = append(byName[name(i)], i)
		}
		grew := false
		for _, idx := range byName {
			if len(idx) < 2 {
				continue
			}
			for _, i := range idx {
				if depth[i] < len(parts[i]) {
					depth[i]++
					grew = true
				}
			}
		}
		if !grew {
			break
		}
	}
	names := make([]string, len(mains))
	seen := map[string]int{}
	for i := range mains {
		n := name(i)
		if n == "" {
			n = "app"
		}
		seen[n]++
		if seen[n] > 1 {
			n = fmt.Sprintf("%s-%d", n, seen[n])
		}
		names[i] = n
	}
	return names
}
