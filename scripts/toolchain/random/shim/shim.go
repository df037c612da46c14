// Package shim exposes the Terraform random provider (plugin framework) to
// the Pulumi bridge wrapper in team-environments/toolchain/random.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	tfrandom "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// New returns a fresh Terraform random provider.
func New() provider.Provider { return tfrandom.New() }
