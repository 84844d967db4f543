package layering

import (
	"context"
	"net"
	"strings"
	"testing"
)

func TestCheckRegistry(t *testing.T) {
	reg := newBuildRegistry(t)
	// A port that was just free: nothing listens on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(t, err)
	closed := l.Addr().String()
	noErr(t, l.Close())

	tests := []struct {
		name     string
		registry string
		wantErr  string
	}{
		{name: "reachable", registry: reg.host + "/acme"},
		{name: "refused", registry: closed + "/acme", wantErr: "registry " + closed + " is unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRegistry(context.Background(), tt.registry)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckRegistry: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("CheckRegistry error = %q, want one line containing %q", err, tt.wantErr)
			}
		})
	}
}
