package graph

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Change is one input that differs between two records of an image.
type Change struct {
	Key       string   `json:"key"`           // input key (see Record)
	Old       string   `json:"old,omitempty"` // value before, "" when added
	New       string   `json:"new,omitempty"` // value after, "" when removed
	Platforms []string `json:"platforms"`     // platforms where it differs, sorted
	Reason    string   `json:"reason"`        // the change in a few words
	rank      int      // lower is more important
}

// ViaFunc names the local package through which an image on a platform
// uses a third-party module; it may return "".
type ViaFunc func(platform, module string) string

// Diff returns what differs between the inputs of old and new, most
// important first. Changes that are the same on several platforms are
// reported once. via may be nil.
func Diff(old, new *Record, via ViaFunc) []Change {
	if via == nil {
		via = func(string, string) string { return "" }
	}
	type id struct{ key, old, new string }
	merged := map[id]*Change{}
	var order []id
	add := func(plat string, c Change) {
		k := id{c.Key, c.Old, c.New}
		if m := merged[k]; m != nil {
			m.Platforms = append(m.Platforms, plat)
			return
		}
		c.Platforms = []string{plat}
		merged[k] = &c
		order = append(order, k)
	}
	plats := map[string]bool{}
	for _, p := range old.Platforms {
		plats[p.Platform] = true
	}
	for _, p := range new.Platforms {
		plats[p.Platform] = true
	}
	for _, plat := range sortedKeys(plats) {
		o, n := old.Platform(plat), new.Platform(plat)
		switch {
		case o == nil:
			add(plat, Change{Key: "platform", New: plat, Reason: "platform " + plat + " added"})
		case n == nil:
			add(plat, Change{Key: "platform", Old: plat, Reason: "platform " + plat + " removed"})
		case o.Digest != n.Digest || o.Inputs == nil:
			for _, c := range diffInputs(o.Inputs, n.Inputs, func(m string) string { return via(plat, m) }) {
				add(plat, c)
			}
		}
	}
	out := make([]Change, 0, len(order))
	for _, k := range order {
		out = append(out, *merged[k])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].rank != out[j].rank {
			return out[i].rank < out[j].rank
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// diffInputs compares the inputs of one platform.
func diffInputs(old, new map[string]string, via func(string) string) []Change {
	if old == nil {
		return []Change{{Key: "inputs", Reason: "inputs of the previous build unknown"}}
	}
	// Only the keys whose value differs, or that one side lacks, are
	// sorted and looked at.
	var keys []string
	for k, o := range old {
		if n, ok := new[k]; !ok || n != o {
			keys = append(keys, k)
		}
	}
	for k := range new {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	// Files of packages that joined or left the closure are reported as
	// the package, not file by file.
	pkgDirs := map[string]bool{}
	for _, k := range keys {
		if strings.HasPrefix(k, "pkg:") && (old[k] == "") != (new[k] == "") {
			if f := strings.Fields(old[k] + new[k]); len(f) == 3 && f[0] == "local" {
				pkgDirs[f[1]] = true
			}
		}
	}
	var out []Change
	for _, k := range keys {
		o, n := old[k], new[k]
		_, inOld := old[k]
		_, inNew := new[k]
		if o == n && inOld == inNew {
			continue
		}
		if strings.HasPrefix(k, "file:") && pkgDirs[path.Dir(strings.TrimPrefix(k, "file:"))] {
			continue
		}
		reason, rank := describe(k, o, n, inOld, inNew, via)
		if reason == "" {
			continue
		}
		out = append(out, Change{Key: k, Old: o, New: n, Reason: reason, rank: rank})
	}
	return out
}

// describe renders a change of one input in a few words. It returns ""
// for changes that another change already explains.
func describe(key, old, new string, inOld, inNew bool, via func(string) string) (string, int) {
	kind, name, _ := strings.Cut(key, ":")
	verb := "changed"
	switch {
	case !inOld:
		verb = "added"
	case !inNew:
		verb = "removed"
	}
	arrow := func(label string) string {
		return fmt.Sprintf("%s %s → %s", label, orNone(old), orNone(new))
	}
	switch kind {
	case "toolchain":
		return fmt.Sprintf("go %s → %s", orNone(strings.TrimPrefix(old, "go")), orNone(strings.TrimPrefix(new, "go"))), 0
	case "goenv":
		return arrow(name), 0
	case "base":
		return "base digest " + verb, 0
	case "layout":
		return arrow("gobake image layout"), 0
	case "main":
		return arrow("main package"), 0
	case "cfg":
		return name + " " + verb, 0
	case "gomod":
		file, line, _ := strings.Cut(name, ":")
		return arrow(gomodLabel(file, line)), 0
	case "mod":
		return moduleReason(name, old, new, inOld, inNew, via(name)), 1
	case "pkg":
		if !inOld || !inNew {
			if strings.HasPrefix(old+new, "mod ") {
				return "", 0 // explained by its module
			}
			if inNew {
				return "package " + name + " added to closure", 2
			}
			return "package " + name + " removed from closure", 2
		}
		return "", 0 // explained by its files or module
	case "file":
		return name + " " + verb, 3
	case "data":
		return "data " + name + " " + verb, 4
	case "vendor":
		return vendorReason(name, old, new, inOld, inNew), 1
	}
	return key + " " + verb, 5
}

func gomodLabel(file, line string) string {
	if file == "go.mod" {
		return line
	}
	return file + " " + line
}

// moduleReason renders the change of a third-party module.
func moduleReason(mod, old, new string, inOld, inNew bool, via string) string {
	suffix := ""
	if via != "" && inNew {
		suffix = " (via " + via + ")"
	}
	ov, nv := moduleVersion(old), moduleVersion(new)
	switch {
	case !inOld:
		return fmt.Sprintf("%s %s added%s", mod, nv, suffix)
	case !inNew:
		return fmt.Sprintf("%s %s removed", mod, ov)
	case ov == nv:
		return fmt.Sprintf("%s %s go.sum hash changed%s", mod, nv, suffix)
	}
	return fmt.Sprintf("%s %s → %s%s", mod, ov, nv, suffix)
}

// moduleVersion drops the go.sum hash from a mod: value.
func moduleVersion(v string) string {
	f := strings.Fields(v)
	if len(f) > 0 && strings.HasPrefix(f[len(f)-1], "h1:") {
		f = f[:len(f)-1]
	}
	return strings.Join(f, " ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// vendorReason renders the change of a vendor: input: NAME is
// "vendor/modules.txt:MODULE" for a module's block (old and new are its
// lines) or "vendor/modules.txt" for the lines outside any block.
func vendorReason(name, old, new string, inOld, inNew bool) string {
	file, mod, ok := strings.Cut(name, ":")
	if !ok {
		return file + " changed outside the modules' blocks"
	}
	// split returns the block's "# path " line without "# path", and its
	// "##" lines without "##".
	split := func(block string) (head, rest string) {
		lines := strings.Split(block, "\n")
		var more []string
		for _, l := range lines[1:] {
			more = append(more, strings.TrimSpace(strings.TrimPrefix(l, "##")))
		}
		return strings.Join(strings.Fields(lines[0])[2:], " "), strings.Join(more, "; ")
	}
	oh, or := split(old)
	nh, nr := split(new)
	switch {
	case !inOld:
		return fmt.Sprintf("%s %s added (%s)", mod, nh, file)
	case !inNew:
		return fmt.Sprintf("%s %s removed (%s)", mod, oh, file)
	case or == nr:
		return fmt.Sprintf("%s %s → %s (%s)", mod, oh, nh, file)
	case oh == nh:
		return fmt.Sprintf("%s %s: %s → %s (%s)", mod, oh, or, nr, file)
	}
	return fmt.Sprintf("%s %s (%s) → %s (%s) (%s)", mod, oh, or, nh, nr, file)
}
