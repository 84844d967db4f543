// Package httpx holds the HTTP helpers the sample services share.
package httpx

import (
	"fmt"
	"net/http"
)

// Text returns a handler that answers every request with body as text/plain.
func Text(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, body)
	})
}

// Serve listens on addr and serves h until it fails.
func Serve(addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h}
	return srv.ListenAndServe()
}
