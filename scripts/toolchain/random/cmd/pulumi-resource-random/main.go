// pulumi-resource-random serves the bridged random provider. The two embedded
// files are generated at build time (in the toolchain cache, never committed)
// by scripts/toolchain.sh with pulumi-tfgen-random.
package main

import (
	"context"
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"team-environments/toolchain/random/info"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed bridge-metadata.json
var bridgeMetadata []byte

// version is set with -ldflags "-X main.version=...".
var version = "0.0.0-dev"

func main() {
	meta := tfbridge.ProviderMetadata{PackageSchema: pulumiSchema, BridgeMetadata: bridgeMetadata}
	tfbridge.Main(context.Background(), "random", info.Provider(version, bridgeMetadata), meta)
}
