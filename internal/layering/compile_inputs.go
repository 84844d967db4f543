package layering

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/platform"
)

// The output cache also keeps binaries by their inputs: a request whose
// Inputs (the planner's input digest of the image for the platform) and
// rendered settings match a binary kept earlier gets that binary without
// running go at all, which is what makes a full build of unchanged images
// cost next to nothing. The key covers, besides Inputs (the import
// closure's files, modules, go.mod lines, toolchain, code-generating go
// env, flags and ldflags as written…), what Inputs leaves out on purpose or
// cannot see: the rendered env, flags and ldflags ({{.Version}},
// {{.Git.Commit}}), the go command, directory, main package and platform,
// and every GO* and CGO_* variable of the environment go would run with.
// Builds go cannot be trusted to repeat from those alone are not kept:
// cgo on (C headers and libraries are no inputs), -a, -n, -overlay,
// -toolexec (in the flags or GOFLAGS), a profile for PGO (-pgo=FILE, or
// default.pgo beside a local main). Entries are hard links to the binaries go linked, named
// inputs-<key> beside the slot's binary; at most maxInputsPerSlot binaries
// are kept per slot (the newest), and they are evicted with their slot.

// inputsKeyVersion changes when the key's meaning does.
const inputsKeyVersion = "gobake binary by inputs 1"

// maxInputsPerSlot bounds the binaries a slot keeps by inputs: enough
// to switch between a few branches without relinking.
const maxInputsPerSlot = 4

// inputsPrefix starts the names of binaries kept by inputs in a slot.
const inputsPrefix = "inputs-"

// inputsPath is where the output cache keeps the binary of req by its
// inputs, "" when req's binary is not kept so (see above).
func (c *GoCompiler) inputsPath(req CompileRequest) string {
	if c.cacheDir == "" || req.Inputs == "" || !c.repeatable(req) {
		return ""
	}
	dir, err := filepath.Abs(req.Dir)
	if err != nil {
		return ""
	}
	h := sha256.New()
	var buf []byte
	field := func(s string) {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	list := func(l []string) {
		buf = binary.AppendUvarint(buf, uint64(len(l)))
		for _, s := range l {
			field(s)
		}
	}
	field(inputsKeyVersion)
	field(c.goBin)
	field(dir)
	field(req.Main)
	field(platform.Format(req.Platform))
	field(req.Platform.OSVersion)
	field(req.Inputs)
	list(req.Env)
	list(req.Flags)
	list(req.Ldflags)
	list(goVars(c.environ))
	h.Write(buf)
	return filepath.Join(filepath.Dir(c.slot(req, "_")), inputsPrefix+hex.EncodeToString(h.Sum(nil)[:20]))
}

// goVars returns the GO* and CGO_* variables of environ, sorted, the last
// value of each name winning as in os/exec; gobake's own variables and
// those that only tune the go command's runtime are left out.
func goVars(environ []string) []string {
	m := config.EnvMap(environ)
	var out []string
	for k, v := range m {
		switch {
		case strings.HasPrefix(k, "GOBAKE_"), k == "GOMAXPROCS", k == "GOGC", k == "GOMEMLIMIT":
		case strings.HasPrefix(k, "GO"), strings.HasPrefix(k, "CGO_"):
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

// repeatable reports whether go builds req's binary from what the
// inputs key covers alone.
func (c *GoCompiler) repeatable(req CompileRequest) bool {
	cgo := "0" // commandFor sets CGO_ENABLED=0 before req.Env
	for _, kv := range req.Env {
		if v, ok := strings.CutPrefix(kv, "CGO_ENABLED="); ok {
			cgo = v
		}
	}
	if cgo != "0" {
		return false
	}
	// GOFLAGS come before the command line's flags.
	flags := append(strings.Fields(config.EnvMap(append(slices.Clone(c.environ), req.Env...))["GOFLAGS"]), req.Flags...)
	for _, f := range []string{"-a", "-n", "-overlay", "-toolexec", "-o"} {
		if hasFlag(flags, f) {
			return false
		}
	}
	if pgo, ok := flagValue(flags, "-pgo"); ok {
		return pgo == "off"
	}
	if config.IsImportPathMain(req.Main) {
		return true // a module's files, default.pgo included, are fixed by its version
	}
	_, err := os.Lstat(filepath.Join(req.Dir, req.Main, "default.pgo"))
	return os.IsNotExist(err)
}

// flagValue returns the value of the last -name=value (or -name value) in
// flags, and whether there is one.
func flagValue(flags []string, name string) (string, bool) {
	bare := strings.TrimLeft(name, "-")
	val, found := "", false
	for i, f := range flags {
		if !strings.HasPrefix(f, "-") {
			continue
		}
		f = strings.TrimLeft(f, "-")
		if v, ok := strings.CutPrefix(f, bare+"="); ok {
			val, found = v, true
		} else if f == bare && i+1 < len(flags) {
			val, found = flags[i+1], true
		}
	}
	return val, found
}

// reuse links the binary kept for req's inputs to req.Output and
// reports whether there was one.
func (c *GoCompiler) reuse(req CompileRequest) bool {
	p := c.inputsPath(req)
	if p == "" {
		return false
	}
	if err := linkOrCopy(p, req.Output); err != nil {
		return false
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // used: evicted last
	return true
}

// keepInputs keeps built as the binary of req's inputs, by a hard link
// renamed into place, and drops the oldest binaries of the slot past
// maxInputsPerSlot. Failures only cost a go build next time.
func (c *GoCompiler) keepInputs(req CompileRequest, built string) {
	p := c.inputsPath(req)
	if p == "" {
		return
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	tmpDir, err := os.MkdirTemp(dir, "tmp-")
	if err != nil {
		return
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, filepath.Base(p))
	if os.Link(built, tmp) != nil || os.Rename(tmp, p) != nil {
		return
	}
	trimInputs(dir)
}

// trimInputs removes from the slot dir the binaries kept by inputs
// beyond the newest maxInputsPerSlot distinct files (links to one file
// count once, and go up or down together).
func trimInputs(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type kept struct {
		names []string
		info  os.FileInfo
	}
	var files []*kept
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), inputsPrefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		i := slices.IndexFunc(files, func(k *kept) bool { return os.SameFile(k.info, fi) })
		if i < 0 {
			files = append(files, &kept{info: fi})
			i = len(files) - 1
		}
		files[i].names = append(files[i].names, e.Name())
	}
	if len(files) <= maxInputsPerSlot {
		return
	}
	slices.SortFunc(files, func(a, b *kept) int { return b.info.ModTime().Compare(a.info.ModTime()) })
	for _, k := range files[maxInputsPerSlot:] {
		for _, n := range k.names {
			_ = os.Remove(filepath.Join(dir, n))
		}
	}
}
