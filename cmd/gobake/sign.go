package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/signing"
)

// signFlag is --sign-key and --no-sign, shared by build and release.
type signFlag struct {
	SignKey string `name:"sign-key" placeholder:"KEY" help:"Sign every image pushed to a registry with KEY and attach its SLSA provenance: a PEM key file (cosign generate-key-pair's, password in $COSIGN_PASSWORD) or env://VAR; overrides sign.key of gobake.yaml. Example: --sign-key env://COSIGN_PRIVATE_KEY"`
	NoSign  bool   `name:"no-sign" help:"Neither sign nor attest, even when gobake.yaml sets sign."`
}

// validate rejects conflicting or malformed signing flags.
func (f signFlag) validate() error {
	if f.SignKey != "" && f.NoSign {
		return errors.New("--sign-key and --no-sign contradict each other: pass one")
	}
	if msg := config.CheckSignKey(f.SignKey); f.SignKey != "" && msg != "" {
		return fmt.Errorf("--sign-key: %s", msg)
	}
	return nil
}

// key loads the key images are signed with: --sign-key's, else sign.key
// of gobake.yaml; nil when there is none or with --no-sign. A key that
// does not load is an error, not a reason to push unsigned images.
func (f signFlag) key(cfg *config.Config) (*signing.Key, error) {
	switch {
	case f.NoSign:
		return nil, nil
	case f.SignKey != "":
		return signing.LoadKey(f.SignKey, os.Getenv)
	case cfg.Sign != nil:
		k, err := signing.LoadKey(cfg.Sign.Key, os.Getenv)
		if err != nil {
			return nil, fmt.Errorf("%s: sign.key: %w (or pass --no-sign to push unsigned images)", cfg.Sign.KeyAt, err)
		}
		return k, nil
	}
	return nil, nil
}

// builderVersion is the provenance's runDetails.builder.version.
func builderVersion() map[string]string {
	return map[string]string{"gobake": gobakeVersion()}
}
