// Package info describes the bridged random provider: our own minimal
// mapping of the Terraform random provider onto the Pulumi tokens that the
// @pulumi/random npm SDK uses (random:index/randomPassword:RandomPassword, ...).
package info

import (
	"context"
	"errors"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Provider returns the bridge description for the given version. metadata is
// the bridge-metadata.json produced by `pulumi-tfgen-random schema` ("{}" when
// generating it for the first time).
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.New()),
		Name:         "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		License:      "Apache-2.0",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no "id" attribute; use its base64 value as the ID.
			"random_bytes": {ComputeID: idFromProperty("base64")},
		},
		JavaScript: &tfbridge.JavaScriptInfo{RespectSchemaVersion: true},
	}
	// random_password -> random:index/randomPassword:RandomPassword, etc.
	makeToken := func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}
	prov.MustComputeTokens(tokens.SingleModule("random_", "index", makeToken))
	return prov
}

// idFromProperty uses a (possibly secret) string property as the resource ID.
func idFromProperty(key resource.PropertyKey) tfbridge.ComputeID {
	return func(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
		v, ok := state[key]
		if !ok {
			return "", errors.New("missing property " + string(key))
		}
		if v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !v.IsString() {
			return "", errors.New("property " + string(key) + " is not a string")
		}
		return resource.ID(v.StringValue()), nil
	}
}
