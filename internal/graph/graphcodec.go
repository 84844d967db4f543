package graph

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
)

// A stored graph is encoded compactly, to be read back quickly on every
// plan: the magic, a table of the distinct strings (their count, their
// lengths, then their bytes, which decode as one string that every
// string of the graph is a slice of), the graph with each string as its
// index in the table and each number as a varint, and a CRC-32C of all
// that. A file that does not decode whole, or whose checksum differs, is
// no graph.

// graphMagic starts a stored graph file.
const graphMagic = "gobake graph\n"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeGraph returns the encoding of sg.
func encodeGraph(sg *storedGraph) []byte {
	e := &graphEncoder{index: map[string]uint64{}}
	e.uint(uint64(sg.Version))
	e.str(sg.Key)
	keys := sortedKeys(sg.Env)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.str(sg.Env[k])
	}
	e.uint(uint64(len(sg.Modules)))
	for _, m := range sg.Modules {
		e.str(m.Path)
		e.str(m.Version)
		e.int(int64(m.Replace))
		e.bool(m.Main)
		e.str(m.Dir)
		e.str(m.GoMod)
	}
	e.uint(uint64(len(sg.Pkgs)))
	for _, p := range sg.Pkgs {
		e.str(p.PkgPath)
		e.str(p.Name)
		e.str(p.Dir)
		e.int(int64(p.Module))
		e.strs(p.GoFiles)
		e.strs(p.OtherFiles)
		e.strs(p.EmbedFiles)
		e.strs(p.EmbedPatterns)
		e.uint(uint64(len(p.Imports)))
		for _, imp := range p.Imports {
			e.str(imp.Path)
			e.int(int64(imp.Pkg))
		}
	}
	e.uint(uint64(len(sg.Roots)))
	for _, r := range sg.Roots {
		e.str(r.Main)
		e.int(int64(r.Pkg))
	}
	e.uint(uint64(len(sg.Files)))
	for _, f := range sg.Files {
		e.str(f.Path)
		e.str(f.Hash)
	}
	e.uint(uint64(len(sg.Dirs)))
	for _, d := range sg.Dirs {
		e.str(d.Path)
		e.body = appendFileKey(e.body, d.Key)
		e.bool(d.All)
		e.strs(d.Names)
		e.uint(uint64(len(d.Sources)))
		for _, s := range d.Sources {
			e.str(s.Name)
			e.str(s.Hash)
			e.str(s.Header)
		}
	}
	return e.finish(graphMagic)
}

// finish returns the encoding: magic, the string table, the body and
// the checksum.
func (e *graphEncoder) finish(magic string) []byte {
	out := append([]byte(nil), magic...)
	out = binary.AppendUvarint(out, uint64(len(e.table)))
	for _, s := range e.table {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range e.table {
		out = append(out, s...)
	}
	out = append(out, e.body...)
	return appendChecksum(out)
}

// appendChecksum appends the CRC-32C of b to b, as every encoding ends.
func appendChecksum(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// checkFrame returns the body of an encoding b (the magic and what
// follows, without the checksum), or false if b does not start with
// magic or its checksum differs.
func checkFrame(b []byte, magic string) ([]byte, bool) {
	if len(b) < len(magic)+4 || string(b[:len(magic)]) != magic {
		return nil, false
	}
	body := b[:len(b)-4]
	return body, crc32.Checksum(body, castagnoli) == binary.LittleEndian.Uint32(b[len(b)-4:])
}

// appendFileKey appends the five numbers of a file key.
func appendFileKey(b []byte, k fileKey) []byte {
	b = binary.AppendVarint(b, k.Size)
	b = binary.AppendVarint(b, k.MTime)
	b = binary.AppendUvarint(b, k.Inode)
	b = binary.AppendVarint(b, k.CTime)
	return binary.AppendUvarint(b, uint64(k.Mode))
}

type graphEncoder struct {
	body  []byte
	table []string
	index map[string]uint64
}

func (e *graphEncoder) uint(v uint64) { e.body = binary.AppendUvarint(e.body, v) }
func (e *graphEncoder) int(v int64)   { e.body = binary.AppendVarint(e.body, v) }

func (e *graphEncoder) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}

func (e *graphEncoder) str(s string) {
	i, ok := e.index[s]
	if !ok {
		i = uint64(len(e.table))
		e.index[s] = i
		e.table = append(e.table, s)
	}
	e.uint(i)
}

func (e *graphEncoder) strs(list []string) {
	e.uint(uint64(len(list)))
	for _, s := range list {
		e.str(s)
	}
}

// errGraphCodec is a stored graph that does not decode.
var errGraphCodec = errors.New("stored graph: bad encoding")

// decodeGraph decodes what encodeGraph returned.
func decodeGraph(b []byte) (*storedGraph, error) {
	d, err := newDecoder(b, graphMagic)
	if err != nil {
		return nil, err
	}
	sg := &storedGraph{Version: int(d.uint())}
	sg.Key = d.str()
	n := d.count(2)
	sg.Env = make(map[string]string, n)
	for range n {
		k := d.str()
		sg.Env[k] = d.str()
	}
	sg.Modules = makeSlice[storedModule](d.count(6))
	for i := range sg.Modules {
		m := &sg.Modules[i]
		m.Path, m.Version = d.str(), d.str()
		m.Replace = d.index(len(sg.Modules))
		m.Main = d.bool()
		m.Dir, m.GoMod = d.str(), d.str()
	}
	sg.Pkgs = makeSlice[storedPkg](d.count(9))
	for i := range sg.Pkgs {
		p := &sg.Pkgs[i]
		p.PkgPath, p.Name, p.Dir = d.str(), d.str(), d.str()
		p.Module = d.index(len(sg.Modules))
		p.GoFiles, p.OtherFiles, p.EmbedFiles, p.EmbedPatterns = d.strs(), d.strs(), d.strs(), d.strs()
		p.Imports = makeSlice[storedImport](d.count(2))
		for j := range p.Imports {
			p.Imports[j] = storedImport{Path: d.str(), Pkg: d.index(len(sg.Pkgs))}
		}
	}
	for _, p := range sg.Pkgs {
		if slices.ContainsFunc(p.Imports, func(imp storedImport) bool { return imp.Pkg < 0 }) {
			return nil, errGraphCodec
		}
	}
	sg.Roots = makeSlice[storedRoot](d.count(2))
	for i := range sg.Roots {
		sg.Roots[i] = storedRoot{Main: d.str(), Pkg: d.index(len(sg.Pkgs))}
		if sg.Roots[i].Pkg < 0 {
			return nil, errGraphCodec
		}
	}
	sg.Files = makeSlice[storedFile](d.count(2))
	for i := range sg.Files {
		sg.Files[i] = storedFile{Path: d.str(), Hash: d.str()}
	}
	sg.Dirs = makeSlice[storedDir](d.count(9))
	for i := range sg.Dirs {
		dir := &sg.Dirs[i]
		dir.Path = d.str()
		dir.Key = d.fileKey()
		dir.All = d.bool()
		dir.Names = d.strs()
		dir.Sources = makeSlice[storedSource](d.count(3))
		for j := range dir.Sources {
			dir.Sources[j] = storedSource{Name: d.str(), Hash: d.str(), Header: d.str()}
		}
	}
	if d.bad || d.off != len(d.b) {
		return nil, errGraphCodec
	}
	return sg, nil
}

// newDecoder checks what finish returned with magic and reads its string
// table.
func newDecoder(b []byte, magic string) (*graphDecoder, error) {
	body, ok := checkFrame(b, magic)
	if !ok {
		return nil, errGraphCodec
	}
	d := &graphDecoder{b: body, off: len(magic)}
	n := d.count(1)
	lens := make([]int, n)
	total := 0
	for i := range lens {
		lens[i] = d.count(0)
		total += lens[i]
	}
	if d.bad || total > len(d.b)-d.off {
		return nil, errGraphCodec
	}
	all := string(d.b[d.off : d.off+total]) // one allocation for every string
	d.off += total
	d.table = make([]string, n)
	for i, l := range lens {
		d.table[i], all = all[:l], all[l:]
	}
	return d, nil
}

// graphDecoder reads an encoded graph (or tree memo); past the first error it returns
// zero values and sets bad.
type graphDecoder struct {
	b     []byte
	off   int
	table []string
	bad   bool
}

// fail marks the input bad and consumes the rest of it.
func (d *graphDecoder) fail() {
	d.bad = true
	d.off = len(d.b)
}

// readVarint reads one number with read (binary.Uvarint or binary.Varint).
func readVarint[T uint64 | int64](d *graphDecoder, read func([]byte) (T, int)) T {
	v, n := read(d.b[d.off:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.off += n
	return v
}

func (d *graphDecoder) uint() uint64 { return readVarint(d, binary.Uvarint) }
func (d *graphDecoder) int() int64   { return readVarint(d, binary.Varint) }

// fileKey reads what appendFileKey wrote.
func (d *graphDecoder) fileKey() fileKey {
	return fileKey{Size: d.int(), MTime: d.int(), Inode: d.uint(), CTime: d.int(), Mode: uint32(d.uint())}
}

func (d *graphDecoder) bool() bool { return d.uint() == 1 }

// count reads a number of items, each of which takes at least min bytes
// more: a count the rest of the input cannot hold is an error, so that a
// bad count allocates nothing large.
func (d *graphDecoder) count(min int) int {
	v := d.uint()
	if v > uint64(len(d.b)-d.off) || min > 0 && v*uint64(min) > uint64(len(d.b)-d.off) {
		d.fail()
		return 0
	}
	return int(v)
}

// index reads an index into a list of n items, or -1 for none.
func (d *graphDecoder) index(n int) int {
	v := d.int()
	if v < -1 || v >= int64(n) {
		d.bad = true
		return -1
	}
	return int(v)
}

func (d *graphDecoder) str() string {
	i := d.uint()
	if i >= uint64(len(d.table)) {
		d.bad = true
		return ""
	}
	return d.table[i]
}

// makeSlice returns a slice of n items, nil for none (as a graph being
// stored has).
func makeSlice[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, n)
}

func (d *graphDecoder) strs() []string {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}
