package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The RPCs below belong to features the generated schema does not declare (ephemeral resources,
// resource identities, moved-between-types state, generated configuration). Terraform only calls
// them for things a schema declares, so each answers with a clear error diagnostic.

const unsupportedDetail = "The offline stand-in for hashicorp/aws serves only the resources and data sources of its generated schema."

func (p *offlineProvider) ValidateEphemeralResourceConfig(_ context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{Diagnostics: errorDiagnostics("Ephemeral resource "+req.TypeName+" is not supported", unsupportedDetail)}, nil
}

func (p *offlineProvider) OpenEphemeralResource(_ context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errorDiagnostics("Ephemeral resource "+req.TypeName+" is not supported", unsupportedDetail)}, nil
}

func (p *offlineProvider) RenewEphemeralResource(_ context.Context, req *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{Diagnostics: errorDiagnostics("Ephemeral resource "+req.TypeName+" is not supported", unsupportedDetail)}, nil
}

func (p *offlineProvider) CloseEphemeralResource(_ context.Context, req *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{Diagnostics: errorDiagnostics("Ephemeral resource "+req.TypeName+" is not supported", unsupportedDetail)}, nil
}

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
