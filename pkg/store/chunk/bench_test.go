package chunk

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/chacha20"
)

// BenchmarkChunkSize moves 16 MiB the way mf-store moves a file, for each
// candidate chunk size: every chunk is encrypted, hashed, sent in an HTTP
// call over a Unix socket (as every chunk crosses mf-store's and
// mf-route's sockets), checked by the receiver and written to its own file
// with an fsync, as a storer keeps it. What grows with small chunks is the
// per-chunk cost (a call, a file, an fsync); what grows with big ones is
// the memory each chunk in flight holds and the bytes a range read
// fetches in excess. docs/store.md has the figures.
func BenchmarkChunkSize(b *testing.B) {
	const total = 16 << 20
	data := make([]byte, total)
	rand.Read(data)
	for _, size := range []int{4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			dir := b.TempDir()
			sock := filepath.Join(dir, "s.sock")
			ln, err := net.Listen("unix", sock)
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				sum := sha256.Sum256(body)
				f, err := os.CreateTemp(dir, "c")
				if err == nil {
					f.Write(body)
					f.Sync()
					f.Close()
					os.Rename(f.Name(), filepath.Join(dir, fmt.Sprintf("%x", sum)))
				}
			})}
			go srv.Serve(ln)
			defer srv.Close()
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return net.Dial("unix", sock)
			}}}
			var key [32]byte
			b.SetBytes(total)
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				for off := 0; off < total; off += size {
					c := bytes.Clone(data[off : off+size])
					Crypt(&key, 0, uint64(off/size), c)
					sha256.Sum256(c)
					resp, err := hc.Post("http://s/", "application/octet-stream", bytes.NewReader(c))
					if err != nil {
						b.Fatal(err)
					}
					resp.Body.Close()
				}
			}
		})
	}
}

// BenchmarkCipher compares the chunk ciphers at hand: AES-256-CTR (the
// standard library, with AES-NI) and ChaCha20 (golang.org/x/crypto, which
// has no assembly for amd64).
func BenchmarkCipher(b *testing.B) {
	buf := make([]byte, Size)
	var key [32]byte
	b.Run("aes-ctr", func(b *testing.B) {
		b.SetBytes(Size)
		for i := 0; i < b.N; i++ {
			blk, _ := aes.NewCipher(key[:])
			cipher.NewCTR(blk, make([]byte, 16)).XORKeyStream(buf, buf)
		}
	})
	b.Run("chacha20", func(b *testing.B) {
		b.SetBytes(Size)
		for i := 0; i < b.N; i++ {
			c, _ := chacha20.NewUnauthenticatedCipher(key[:], make([]byte, 12))
			c.XORKeyStream(buf, buf)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(Size)
		for i := 0; i < b.N; i++ {
			sha256.Sum256(buf)
		}
	})
}
