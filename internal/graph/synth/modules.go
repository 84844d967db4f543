package synth

import (
	"fmt"
	"strings"
)

// modulePath is the path of third-party module j.
func modulePath(j int) string { return fmt.Sprintf("example.com/ext%d", j) }

// linkedModule is the module service m's main imports; -1 for none.
func linkedModule(s Spec, m int) int {
	switch {
	case s.Modules == 0:
		return -1
	case s.Modules == 1:
		return 0
	}
	return m % (s.Modules - 1)
}

// module is one vendored third-party module as modules.txt lists it.
type module struct {
	version string // v1.0.0
	goLine  string // its go.mod's go directive: "## explicit; go X"
	text    string // the value its package's Value returns
}

// firstModule is what every module is at the start.
func firstModule(j int) module {
	return module{version: "v1.0.0", goLine: "1.22", text: modulePath(j) + " one"}
}

// goVersion is s's go directive.
func goVersion(s Spec) string {
	if s.Go == "" {
		return "1.26.0"
	}
	return s.Go
}

// writeModules writes go.mod and, with modules, vendor/ as go mod vendor
// would: modules.txt and one package per module.
func writeModules(dir string, s Spec) error {
	mods := make([]module, s.Modules)
	for j := range mods {
		mods[j] = firstModule(j)
	}
	return writeVendor(dir, s, mods)
}

// writeVendor writes go.mod, vendor/modules.txt and each module's package
// for the modules mods.
func writeVendor(dir string, s Spec, mods []module) error {
	var gomod, txt strings.Builder
	fmt.Fprintf(&gomod, "module example.com/synth\n\ngo %s\n", goVersion(s))
	if len(mods) > 0 {
		gomod.WriteString("\nrequire (\n")
	}
	for j, m := range mods {
		fmt.Fprintf(&gomod, "\t%s %s\n", modulePath(j), m.version)
		fmt.Fprintf(&txt, "# %s %s\n## explicit; go %s\n%s\n", modulePath(j), m.version, m.goLine, modulePath(j))
		code := fmt.Sprintf("package ext%d\n\n// Value names the module.\nfunc Value() string { return %q }\n", j, m.text)
		if err := write(dir, "vendor/"+modulePath(j)+"/value.go", code); err != nil {
			return err
		}
	}
	if len(mods) > 0 {
		gomod.WriteString(")\n")
		if err := write(dir, "vendor/modules.txt", txt.String()); err != nil {
			return err
		}
	}
	return write(dir, "go.mod", gomod.String())
}

// windowsFile is a file of package pkg built only for windows.
func windowsFile(pkg, text string) string {
	return fmt.Sprintf("//go:build windows\n\npackage %s\n\n// OS names the platform.\nfunc OS() string { return %q }\n", pkg, text)
}
