package layering

import (
	stdgzip "compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// BenchmarkCompressors compresses a real Go binary (this test's own
// executable, tens of MB) with gobake's compressor and the ones it was
// picked against, one goroutine each as gobake runs them: MB/s of the
// binary, and "%size", the compressed size in percent of it.
func BenchmarkCompressors(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		b.Fatal(err)
	}
	gzipAt := func(level int) func(io.Writer) (io.WriteCloser, error) {
		return func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, level) }
	}
	for _, bc := range []struct {
		name string
		new  func(io.Writer) (io.WriteCloser, error)
	}{
		{"gobake", func(w io.Writer) (io.WriteCloser, error) { return newCompressor(w, CompressionGzip) }},
		{"stdlib-gzip-1", func(w io.Writer) (io.WriteCloser, error) { return stdgzip.NewWriterLevel(w, 1) }},
		{"gzip-1", gzipAt(1)},
		{"gzip-2", gzipAt(2)},
		{"gzip-3", gzipAt(3)},
		{"gzip-stateless", gzipAt(gzip.StatelessCompression)},
		{"gzip-huffman-only", gzipAt(gzip.HuffmanOnly)},
		{"zstd-fastest", func(w io.Writer) (io.WriteCloser, error) { return newCompressor(w, CompressionZstd) }},
		{"zstd-default", func(w io.Writer) (io.WriteCloser, error) {
			return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var out counter
			for b.Loop() {
				out = 0
				w, err := bc.new(&out)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := w.Write(data); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*float64(out)/float64(len(data)), "%size")
		})
	}
}
