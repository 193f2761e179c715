package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func (p *offlineProvider) resourceSchema(typeName string) (*tfprotov6.Schema, []*tfprotov6.Diagnostic) {
	schema, known := p.catalog.resources[typeName]
	if !known {
		return nil, errorDiagnostics("Unknown resource type "+typeName, unsupportedDetail)
	}
	return schema, nil
}

// PlanResourceChange plans like the real provider would at the protocol level: computed attributes
// that nobody set become unknown (nested blocks included), prior computed values are kept, the
// top-level region defaults to the provider's and tags_all is default_tags merged with tags.
// A changed replacement-forcing argument (replacement_table.go) asks Terraform for a replacement.
func (p *offlineProvider) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	schema, diagnostics := p.resourceSchema(req.TypeName)
	if diagnostics != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: diagnostics}, nil
	}
	planned, err := p.plan(schema, req.ProposedNewState, req.Config)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiagnostics("Cannot plan "+req.TypeName, err.Error())}, nil
	}
	replace, err := replacementPaths(req.TypeName, schema, req.PriorState, req.ProposedNewState)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errorDiagnostics("Cannot plan "+req.TypeName, err.Error())}, nil
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: planned, PlannedPrivate: req.PriorPrivate, RequiresReplace: replace}, nil
}

func (p *offlineProvider) plan(schema *tfprotov6.Schema, proposedValue, configValue *tfprotov6.DynamicValue) (*tfprotov6.DynamicValue, error) {
	typ := valueType(schema)
	proposed, err := proposedValue.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	if proposed.IsNull() {
		return proposedValue, nil
	}
	config, err := configValue.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	planned, err := fillUnsetComputed(schema.Block, proposed, tftypes.NewAttributePath(), func(_ *tftypes.AttributePath, attribute *tfprotov6.SchemaAttribute) tftypes.Value {
		return tftypes.NewValue(attribute.Type, tftypes.UnknownValue)
	})
	if err != nil {
		return nil, err
	}
	planned, err = p.planRootDefaults(schema.Block, planned, config)
	if err != nil {
		return nil, err
	}
	if planned, err = withoutWriteOnly(schema.Block, planned); err != nil {
		return nil, err
	}
	result, err := tfprotov6.NewDynamicValue(typ, planned)
	return &result, err
}

// planRootDefaults sets what the real provider knows at plan time: region and tags_all.
func (p *offlineProvider) planRootDefaults(block *tfprotov6.SchemaBlock, planned, config tftypes.Value) (tftypes.Value, error) {
	attributes, err := objectAttributes(planned)
	if err != nil {
		return planned, err
	}
	configured, err := objectAttributes(config)
	if err != nil {
		return planned, err
	}
	settings := p.current()
	if region, present := attributes["region"]; present && !region.IsKnown() && configured["region"].IsNull() {
		attributes["region"] = tftypes.NewValue(tftypes.String, settings.region)
	}
	if tagsAll := attribute(block, "tags_all"); tagsAll != nil && tagsAll.Computed && configured["tags_all"].IsNull() {
		attributes["tags_all"] = mergedTags(tagsAll.Type, settings, attributes["tags"])
	}
	return tftypes.NewValue(planned.Type(), attributes), nil
}

// mergedTags is default_tags overlaid with the resource's tags, unknown while either is unknown.
func mergedTags(typ tftypes.Type, settings providerSettings, tags tftypes.Value) tftypes.Value {
	if !settings.defaultTagsKnown || (tags.Type() != nil && !tags.IsFullyKnown()) {
		return tftypes.NewValue(typ, tftypes.UnknownValue)
	}
	merged := map[string]tftypes.Value{}
	for key, value := range settings.defaultTags {
		merged[key] = tftypes.NewValue(tftypes.String, value)
	}
	for key, value := range stringMapOf(tags) {
		merged[key] = tftypes.NewValue(tftypes.String, value)
	}
	return tftypes.NewValue(typ, merged)
}

// ApplyResourceChange "creates" or "updates" by replacing every unknown value of the plan with a
// synthetic one, and "deletes" by returning the null state it was given.
func (p *offlineProvider) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	schema, diagnostics := p.resourceSchema(req.TypeName)
	if diagnostics != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: diagnostics}, nil
	}
	typ := valueType(schema)
	planned, err := req.PlannedState.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errorDiagnostics("Invalid planned state for "+req.TypeName, err.Error())}, nil
	}
	if planned.IsNull() {
		return &tfprotov6.ApplyResourceChangeResponse{NewState: req.PlannedState}, nil
	}
	synth := newSynthesizer(req.TypeName, p.current().region, planned)
	applied, err := tftypes.Transform(planned, func(path *tftypes.AttributePath, value tftypes.Value) (tftypes.Value, error) {
		if value.IsKnown() {
			return value, nil
		}
		return synth.value(path, value.Type()), nil
	})
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errorDiagnostics("Cannot apply "+req.TypeName, err.Error())}, nil
	}
	newState, err := tfprotov6.NewDynamicValue(typ, applied)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errorDiagnostics("Cannot encode the state of "+req.TypeName, err.Error())}, nil
	}
	return &tfprotov6.ApplyResourceChangeResponse{NewState: &newState, Private: req.PlannedPrivate}, nil
}

// ReadResource reports no drift: nothing exists outside Terraform's state to drift from.
func (p *offlineProvider) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

// ImportResourceState imports an object that knows only its ID; Terraform then reads it.
func (p *offlineProvider) ImportResourceState(_ context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	schema, diagnostics := p.resourceSchema(req.TypeName)
	if diagnostics != nil {
		return &tfprotov6.ImportResourceStateResponse{Diagnostics: diagnostics}, nil
	}
	imported, err := withID(emptyObject(schema.Block), req.ID)
	if err == nil {
		var state tfprotov6.DynamicValue
		if state, err = tfprotov6.NewDynamicValue(valueType(schema), imported); err == nil {
			return &tfprotov6.ImportResourceStateResponse{ImportedResources: []*tfprotov6.ImportedResource{{TypeName: req.TypeName, State: &state}}}, nil
		}
	}
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: errorDiagnostics("Cannot import "+req.TypeName, err.Error())}, nil
}

func withID(object tftypes.Value, id string) (tftypes.Value, error) {
	attributes, err := objectAttributes(object)
	if err != nil {
		return object, err
	}
	if _, present := attributes["id"]; !present {
		return object, fmt.Errorf("this resource type has no id attribute to import by")
	}
	attributes["id"] = tftypes.NewValue(tftypes.String, id)
	return tftypes.NewValue(object.Type(), attributes), nil
}

// UpgradeResourceState reads state written by any earlier schema into the current one: attributes
// the schema no longer has are dropped, new ones start null.
func (p *offlineProvider) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	schema, diagnostics := p.resourceSchema(req.TypeName)
	if diagnostics != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: diagnostics}, nil
	}
	typ := valueType(schema)
	value, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err == nil {
		var upgraded tfprotov6.DynamicValue
		if upgraded, err = tfprotov6.NewDynamicValue(typ, value); err == nil {
			return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &upgraded}, nil
		}
	}
	return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errorDiagnostics("Cannot read the stored state of "+req.TypeName, err.Error())}, nil
}
