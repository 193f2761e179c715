package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The RPCs below belong to features the schema does not declare (resource identities,
// moved-between-types state, generated configuration). Terraform only calls them for things a
// schema declares, so each answers with a clear error diagnostic.

const unsupportedDetail = "The offline stand-in for hashicorp/aws serves only the resources, data sources and ephemeral resources of its schema."

func (p *offlineProvider) MoveResourceState(_ context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: errorDiagnostics("Moving resource state is not supported",
		"Cannot move "+req.SourceTypeName+" state into "+req.TargetTypeName+". "+unsupportedDetail)}, nil
}

func (p *offlineProvider) UpgradeResourceIdentity(_ context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: errorDiagnostics("Resource identity of "+req.TypeName+" is not supported", unsupportedDetail)}, nil
}

func (p *offlineProvider) GenerateResourceConfig(_ context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: errorDiagnostics("Generating configuration for "+req.TypeName+" is not supported", unsupportedDetail)}, nil
}
