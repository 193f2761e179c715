package main

import (
	"context"
	"os"
	"sync"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// offlineProvider serves the generated hashicorp/aws schema and plays the provider's part of the
// protocol with synthetic values, without any network access.
type offlineProvider struct {
	catalog *catalog

	mu       sync.RWMutex
	settings providerSettings
}

// providerSettings is what ConfigureProvider learnt from the provider block.
type providerSettings struct {
	region           string
	defaultTags      map[string]string
	defaultTagsKnown bool
}

func newOfflineProvider(c *catalog) *offlineProvider {
	return &offlineProvider{catalog: c, settings: providerSettings{region: regionFromEnvironment(), defaultTagsKnown: true}}
}

func (p *offlineProvider) current() providerSettings {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.settings
}

func regionFromEnvironment() string {
	for _, variable := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if region := os.Getenv(variable); region != "" {
			return region
		}
	}
	return ""
}

func errorDiagnostics(summary, detail string) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityError, Summary: summary, Detail: detail}}
}

func (p *offlineProvider) capabilities() *tfprotov6.ServerCapabilities {
	// GetProviderSchemaOptional lets Terraform reuse the schema it already holds when it starts the
	// provider again within one command, instead of asking for (and decoding) all of it every time.
	return &tfprotov6.ServerCapabilities{PlanDestroy: true, GetProviderSchemaOptional: true}
}

func (p *offlineProvider) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	response := &tfprotov6.GetMetadataResponse{ServerCapabilities: p.capabilities()}
	for _, name := range sortedKeys(p.catalog.resources) {
		response.Resources = append(response.Resources, tfprotov6.ResourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(p.catalog.dataSources) {
		response.DataSources = append(response.DataSources, tfprotov6.DataSourceMetadata{TypeName: name})
	}
	for _, name := range sortedKeys(p.catalog.ephemeralResources) {
		response.EphemeralResources = append(response.EphemeralResources, tfprotov6.EphemeralResourceMetadata{TypeName: name})
	}
	return response, nil
}

func (p *offlineProvider) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{
		ServerCapabilities:       p.capabilities(),
		Provider:                 p.catalog.provider,
		ResourceSchemas:          p.catalog.resources,
		DataSourceSchemas:        p.catalog.dataSources,
		Functions:                map[string]*tfprotov6.Function{},
		EphemeralResourceSchemas: p.catalog.ephemeralResources,
	}, nil
}

func (p *offlineProvider) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

// ValidateProviderConfig accepts: Terraform core has validated the configuration against the schema,
// and the generated schema carries no provider-side validation rules.
func (p *offlineProvider) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

func (p *offlineProvider) ConfigureProvider(_ context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	config, err := req.Config.Unmarshal(valueType(p.catalog.provider))
	if err != nil {
		return &tfprotov6.ConfigureProviderResponse{Diagnostics: errorDiagnostics("Invalid provider configuration", err.Error())}, nil
	}
	settings := providerSettings{region: regionFromEnvironment(), defaultTagsKnown: true}
	if attributes, err := objectAttributes(config); err == nil {
		if region := knownString(attributes, "region"); region != "" {
			settings.region = region
		}
		settings.defaultTags, settings.defaultTagsKnown = defaultTagsOf(attributes["default_tags"])
	}
	if settings.region == "" && config.IsFullyKnown() {
		// The real provider has no default region either; a silent one would hide a missing setting.
		return &tfprotov6.ConfigureProviderResponse{Diagnostics: errorDiagnostics("Missing region value",
			`The provider needs a region: set "region" in the provider block, or AWS_REGION or AWS_DEFAULT_REGION.`)}, nil
	}
	p.mu.Lock()
	p.settings = settings
	p.mu.Unlock()
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

// defaultTagsOf merges the tags of every default_tags block; false when any of it is unknown.
func defaultTagsOf(blocks tftypes.Value) (map[string]string, bool) {
	tags := map[string]string{}
	if blocks.Type() == nil || blocks.IsNull() {
		return tags, true
	}
	if !blocks.IsFullyKnown() {
		return nil, false
	}
	var elements []tftypes.Value
	if err := blocks.As(&elements); err != nil {
		elements = []tftypes.Value{blocks}
	}
	for _, element := range elements {
		attributes, err := objectAttributes(element)
		if err != nil {
			continue
		}
		for key, value := range stringMapOf(attributes["tags"]) {
			tags[key] = value
		}
	}
	return tags, true
}

// stringMapOf reads a known map of strings, skipping null elements.
func stringMapOf(value tftypes.Value) map[string]string {
	out := map[string]string{}
	if value.Type() == nil || value.IsNull() || !value.IsKnown() {
		return out
	}
	var elements map[string]tftypes.Value
	if err := value.As(&elements); err != nil {
		return out
	}
	for key, element := range elements {
		var text string
		if !element.IsNull() && element.IsKnown() && element.As(&text) == nil {
			out[key] = text
		}
	}
	return out
}

func (p *offlineProvider) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

// ValidateResourceConfig and ValidateDataResourceConfig add only the deprecation warnings
// (deprecations.go): Terraform core has checked the configuration against the schema.
func (p *offlineProvider) ValidateResourceConfig(_ context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	schema, known := p.catalog.resources[req.TypeName]
	if !known {
		return &tfprotov6.ValidateResourceConfigResponse{}, nil
	}
	return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: deprecationWarnings(schema, req.TypeName, req.Config,
		deprecatedResourceArguments, deprecatedResourceTypes, "Deprecated Resource")}, nil
}

func (p *offlineProvider) ValidateDataResourceConfig(_ context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	schema, known := p.catalog.dataSources[req.TypeName]
	if !known {
		return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
	}
	return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: deprecationWarnings(schema, req.TypeName, req.Config,
		deprecatedDataSourceAttributes, deprecatedDataSourceTypes, "Deprecated Data Source")}, nil
}

func (p *offlineProvider) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: map[string]*tfprotov6.Function{}}, nil
}

func (p *offlineProvider) CallFunction(_ context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{Error: &tfprotov6.FunctionError{Text: "the offline aws provider defines no function " + req.Name}}, nil
}
