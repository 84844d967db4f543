package layering

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// AppDir is the directory holding the binary in the image, as in ko.
const AppDir = "/ko-app"

// DataDir is where the image's static files go, as in ko.
const DataDir = "/var/run/ko"

// DataPathEnv names the variable that points programs at DataDir.
const DataPathEnv = "KO_DATA_PATH"

// dataMode is the mode of every directory and file of the data layer, as
// ko writes them: fixed, so that umask, owner and checkout do not matter.
const dataMode = 0o555

// tarBuilder writes a reproducible tar stream: fixed owner, times and
// modes, parent directories written once before their entries.
type tarBuilder struct {
	tw    *tar.Writer
	mtime time.Time
	dirs  map[string]bool

	// koNames writes names as ko's data layer does: absolute, directories
	// without a trailing slash; dirMode is the mode of directories (0755
	// when 0).
	koNames bool
	dirMode int64
}

func newTarBuilder(w io.Writer, mtime time.Time) *tarBuilder {
	return &tarBuilder{tw: tar.NewWriter(w), mtime: mtime.UTC(), dirs: map[string]bool{}}
}

// header returns the common fields of every entry.
func (t *tarBuilder) header(name string, typ byte, mode int64) *tar.Header {
	if t.koNames {
		name = "/" + strings.TrimSuffix(name, "/")
	}
	return &tar.Header{
		Name:     name,
		Typeflag: typ,
		Mode:     mode,
		ModTime:  t.mtime,
	}
}

// dir writes dir and every missing parent, mode t.dirMode (0755 by
// default). dir is a slash path without a leading slash.
func (t *tarBuilder) dir(dir string) error {
	dir = strings.Trim(dir, "/")
	if dir == "" || dir == "." || t.dirs[dir] {
		return nil
	}
	if err := t.dir(path.Dir(dir)); err != nil {
		return err
	}
	t.dirs[dir] = true
	mode := t.dirMode
	if mode == 0 {
		mode = 0o755
	}
	return t.tw.WriteHeader(t.header(dir+"/", tar.TypeDir, mode))
}

// file writes a regular file with the given contents and mode.
func (t *tarBuilder) file(name string, mode int64, r io.Reader, size int64) error {
	if err := t.dir(path.Dir(name)); err != nil {
		return err
	}
	h := t.header(name, tar.TypeReg, mode)
	h.Size = size
	if err := t.tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(t.tw, r)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s changed size while being read", name)
	}
	return nil
}

// symlink writes a symbolic link to target.
func (t *tarBuilder) symlink(name, target string) error {
	if err := t.dir(path.Dir(name)); err != nil {
		return err
	}
	h := t.header(name, tar.TypeSymlink, 0o777)
	h.Linkname = target
	return t.tw.WriteHeader(h)
}

// tarLayer makes the layer of format f whose tar stream write writes
// into a tarBuilder (set up by setup, if not nil), known by source ID id
// when it is not "". write may run twice (see layerFormat.layer).
func tarLayer(mtime time.Time, f layerFormat, id string, setup func(t *tarBuilder), write func(t *tarBuilder) error) (v1.Layer, error) {
	return f.layerOf(id, func(w io.Writer) error {
		t := newTarBuilder(w, mtime)
		if setup != nil {
			setup(t)
		}
		if err := write(t); err != nil {
			return err
		}
		return t.tw.Close()
	})
}

// binaryLayer puts the file at binaryPath at AppDir/name, mode 0555.
// With f.buildIDs, its Go build ID finds it in the layer cache.
func binaryLayer(binaryPath, name string, mtime time.Time, f layerFormat) (v1.Layer, error) {
	id := ""
	if f.buildIDs && f.cache != nil {
		id = binarySourceID(binaryPath, name, mtime)
	}
	l, err := tarLayer(mtime, f, id, nil, func(t *tarBuilder) error {
		return addFile(t, binaryPath, strings.TrimPrefix(path.Join(AppDir, name), "/"), 0o555)
	})
	if err != nil {
		return nil, fmt.Errorf("binary layer: %w", err)
	}
	return l, nil
}

// dataLayer puts the tree under dir at DataDir, as ko does: DataDir and
// its parents always (dir "" gives just those, as ko's layer for a main
// without kodata), entries in lexical order, absolute names, every file
// and directory mode 0555 and owned by 0:0. Symbolic links are kept as
// links (ko copies their targets).
func dataLayer(dir string, mtime time.Time, f layerFormat) (v1.Layer, error) {
	koLayout := func(t *tarBuilder) { t.koNames, t.dirMode = true, dataMode }
	l, err := tarLayer(mtime, f, "", koLayout, func(t *tarBuilder) error { return writeData(t, dir) })
	if err != nil {
		return nil, fmt.Errorf("data layer %s: %w", dir, err)
	}
	return l, nil
}

// writeData writes the tree under dir at DataDir into t; dir "" writes
// DataDir and its parents alone.
func writeData(t *tarBuilder, dir string) error {
	root := strings.TrimPrefix(DataDir, "/")
	if err := t.dir(root); err != nil {
		return err
	}
	if dir == "" {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		name := path.Join(root, filepath.ToSlash(rel))
		switch typ := d.Type(); {
		case typ.IsDir():
			return t.dir(name)
		case typ&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return t.symlink(name, filepath.ToSlash(target))
		case typ.IsRegular():
			return addFile(t, p, name, dataMode)
		default:
			return fmt.Errorf("%s: unsupported file type %s", p, typ)
		}
	})
}

// addFile copies the regular file at p into t as name, with mode.
func addFile(t *tarBuilder, p, name string, mode int64) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return t.file(name, mode, f, fi.Size())
}
