// pulumi-tfgen-random generates schema.json and bridge-metadata.json for the
// bridged random provider: `pulumi-tfgen-random schema --out DIR`.
// The version comes from $VERSION (set by scripts/toolchain.sh).
package main

import (
	"os"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"team-environments/toolchain/random/info"
)

func main() {
	tfgen.Main("random", info.Provider(os.Getenv("VERSION"), []byte("{}")))
}
