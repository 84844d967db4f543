package redact

import (
	"bytes"
	"io"
	"sync"
)

// maxLine bounds what a Writer holds back waiting for the end of a line.
const maxLine = 64 << 10

// Writer passes what is written to it on to another writer through
// String, a line at a time, so that a URL split across writes is still
// redacted. It is safe for concurrent use. Flush writes out an unfinished
// last line.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write redacts and writes every complete line of p, and holds back the
// rest until its line ends (or grows past 64 KiB).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	end := bytes.LastIndexByte(w.buf, '\n') + 1
	if end == 0 && len(w.buf) > maxLine {
		end = len(w.buf)
	}
	if end == 0 {
		return len(p), nil
	}
	err := w.emit(w.buf[:end])
	w.buf = append(w.buf[:0], w.buf[end:]...)
	return len(p), err
}

// Flush writes out what is held back.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	err := w.emit(w.buf)
	w.buf = w.buf[:0]
	return err
}

// emit writes b redacted.
func (w *Writer) emit(b []byte) error {
	_, err := io.WriteString(w.w, String(string(b)))
	return err
}
