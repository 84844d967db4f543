package testutil

import "maps"

// MiniRepo returns the files of a small monorepo, path → content, a new
// map on each call: two mains sharing a package with files built out (a
// GOOS suffix, a build constraint), one with embedded files and a data
// directory.
func MiniRepo() map[string]string {
	return maps.Clone(miniRepo)
}

var miniRepo = map[string]string{
	"go.mod": "module example.com/mini\n\ngo 1.26.0\n",
	"gobake.yaml": "version: 1\ndefaults:\n  base: scratch\n  platforms: [linux/amd64]\nimages:\n" +
		"  api:\n    main: ./cmd/api\n  web:\n    main: ./cmd/web\n    data: cmd/web/kodata\n",
	"lib/lib.go":                "package lib\n\n// Name is a name.\nfunc Name() string { return \"lib\" }\n",
	"lib/lib_windows.go":        "package lib\n\nfunc win() {}\n",
	"lib/lib_extra.go":          "//go:build extra\n\npackage lib\n\nimport _ \"strings\"\n",
	"cmd/api/main.go":           "package main\n\nimport \"example.com/mini/lib\"\n\nfunc main() { println(lib.Name()) }\n",
	"cmd/web/main.go":           "package main\n\nimport (\n\t\"embed\"\n\n\t\"example.com/mini/lib\"\n)\n\n//go:embed static\nvar static embed.FS\n\nfunc main() { println(lib.Name()); _ = static }\n",
	"cmd/web/static/index.html": "<p>hi</p>\n",
	"cmd/web/kodata/data.txt":   "data\n",
	"README.md":                 "# mini\n",
}
