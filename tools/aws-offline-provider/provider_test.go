package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A schema document in the generator's format, small enough to read: one resource with a computed
// attribute inside a nested block and a list block holding a dynamic value, one data source.
const testSchemaDocument = `{"format_version": "1.0", "provider_schemas": {"example.test/hashicorp/aws": {
  "provider": {"version": 0, "block": {
    "attributes": {"region": {"type": "string", "optional": true}},
    "block_types": {"default_tags": {"nesting_mode": "list", "block": {
      "attributes": {"tags": {"type": ["map", "string"], "optional": true}}}}}}},
  "resource_schemas": {"aws_thing": {"version": 0, "block": {
    "attributes": {
      "id": {"type": "string", "optional": true, "computed": true},
      "arn": {"type": "string", "computed": true},
      "name": {"type": "string", "required": true},
      "region": {"type": "string", "optional": true, "computed": true},
      "tags": {"type": ["map", "string"], "optional": true},
      "tags_all": {"type": ["map", "string"], "optional": true, "computed": true}},
    "block_types": {
      "disk": {"nesting_mode": "list", "block": {"attributes": {
        "size": {"type": "number", "required": true},
        "volume_id": {"type": "string", "computed": true}}}},
      "rule": {"nesting_mode": "list", "block": {"attributes": {
        "statement": {"type": "dynamic", "optional": true}}}}}}}},
  "data_source_schemas": {"aws_caller_identity": {"version": 0, "block": {"attributes": {
    "id": {"type": "string", "optional": true, "computed": true},
    "account_id": {"type": "string", "computed": true},
    "arn": {"type": "string", "computed": true},
    "user_id": {"type": "string", "computed": true}}}}}}}}`

func testProvider(t *testing.T) *offlineProvider {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, []byte(testSchemaDocument), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadCatalog(path)
	if err != nil {
		t.Fatal(err)
	}
	return newOfflineProvider(loaded)
}

func configure(t *testing.T, p *offlineProvider, region string, defaultTags tftypes.Value) {
	t.Helper()
	typ := valueType(p.catalog.provider).(tftypes.Object)
	config := tftypes.NewValue(typ, map[string]tftypes.Value{
		"region":       tftypes.NewValue(tftypes.String, region),
		"default_tags": defaultTags,
	})
	response, _ := p.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: dynamic(t, typ, config)})
	if len(response.Diagnostics) > 0 {
		t.Fatalf("configure: %v", response.Diagnostics[0])
	}
}

func knownDefaultTags(p *offlineProvider, tags map[string]string) tftypes.Value {
	listType := valueType(p.catalog.provider).(tftypes.Object).AttributeTypes["default_tags"].(tftypes.List)
	tagsValue, _ := goValue(tftypes.Map{ElementType: tftypes.String}, tags)
	element := tftypes.NewValue(listType.ElementType, map[string]tftypes.Value{"tags": tagsValue})
	return tftypes.NewValue(listType, []tftypes.Value{element})
}

func dynamic(t *testing.T, typ tftypes.Type, value tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	encoded, err := tfprotov6.NewDynamicValue(typ, value)
	if err != nil {
		t.Fatal(err)
	}
	return &encoded
}

// thingConfig is an aws_thing configuration as Terraform proposes it on create: configured values,
// computed ones null.
func thingConfig(p *offlineProvider, tags map[string]string) tftypes.Value {
	typ := valueType(p.catalog.resources["aws_thing"]).(tftypes.Object)
	diskType := typ.AttributeTypes["disk"].(tftypes.List).ElementType
	tagsValue, _ := goValue(tftypes.Map{ElementType: tftypes.String}, tags)
	return tftypes.NewValue(typ, map[string]tftypes.Value{
		"id": tftypes.NewValue(tftypes.String, nil), "arn": tftypes.NewValue(tftypes.String, nil),
		"name": tftypes.NewValue(tftypes.String, "orders"), "region": tftypes.NewValue(tftypes.String, nil),
		"tags": tagsValue, "tags_all": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, nil),
		"disk": tftypes.NewValue(typ.AttributeTypes["disk"], []tftypes.Value{tftypes.NewValue(diskType, map[string]tftypes.Value{
			"size": tftypes.NewValue(tftypes.Number, 20), "volume_id": tftypes.NewValue(tftypes.String, nil)})}),
		"rule": tftypes.NewValue(tftypes.Tuple{ElementTypes: []tftypes.Type{}}, []tftypes.Value{}),
	})
}

func plan(t *testing.T, p *offlineProvider, prior, proposed, config tftypes.Value) tftypes.Value {
	t.Helper()
	typ := valueType(p.catalog.resources["aws_thing"])
	response, _ := p.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "aws_thing", PriorState: dynamic(t, typ, prior), ProposedNewState: dynamic(t, typ, proposed), Config: dynamic(t, typ, config),
	})
	if len(response.Diagnostics) > 0 {
		t.Fatalf("plan: %v", response.Diagnostics[0])
	}
	if len(response.RequiresReplace) > 0 {
		t.Errorf("aws_thing has no replacement-forcing argument, yet replacement was required: %v", response.RequiresReplace)
	}
	planned, err := response.PlannedState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return planned
}

func apply(t *testing.T, p *offlineProvider, planned tftypes.Value) tftypes.Value {
	t.Helper()
	typ := valueType(p.catalog.resources["aws_thing"])
	response, _ := p.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{TypeName: "aws_thing", PlannedState: dynamic(t, typ, planned)})
	if len(response.Diagnostics) > 0 {
		t.Fatalf("apply: %v", response.Diagnostics[0])
	}
	state, err := response.NewState.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func at(t *testing.T, value tftypes.Value, path *tftypes.AttributePath) tftypes.Value {
	t.Helper()
	found, _, err := tftypes.WalkAttributePath(value, path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return found.(tftypes.Value)
}

func root(name string) *tftypes.AttributePath {
	return tftypes.NewAttributePath().WithAttributeName(name)
}

func TestPlanCreateLeavesUnsetComputedUnknownAndMergesTags(t *testing.T) {
	p := testProvider(t)
	configure(t, p, "eu-west-1", knownDefaultTags(p, map[string]string{"Project": "meridian", "Name": "default"}))
	config := thingConfig(p, map[string]string{"Name": "orders"})
	nullState := tftypes.NewValue(valueType(p.catalog.resources["aws_thing"]), nil)

	planned := plan(t, p, nullState, config, config)

	for _, path := range []*tftypes.AttributePath{root("id"), root("arn"), root("disk").WithElementKeyInt(0).WithAttributeName("volume_id")} {
		if at(t, planned, path).IsKnown() {
			t.Errorf("%s should be unknown on create", path)
		}
	}
	if got := knownString(mustAttributes(t, planned), "region"); got != "eu-west-1" {
		t.Errorf("region = %q, want the provider's", got)
	}
	if got := stringMapOf(at(t, planned, root("tags_all"))); len(got) != 2 || got["Name"] != "orders" || got["Project"] != "meridian" {
		t.Errorf("tags_all = %v, want default_tags overlaid by tags", got)
	}
}

func TestPlanLeavesTagsAllUnknownWhileDefaultTagsAreUnknown(t *testing.T) {
	p := testProvider(t)
	defaultTagsType := valueType(p.catalog.provider).(tftypes.Object).AttributeTypes["default_tags"]
	configure(t, p, "eu-west-1", tftypes.NewValue(defaultTagsType, tftypes.UnknownValue))
	config := thingConfig(p, map[string]string{"Name": "orders"})

	planned := plan(t, p, tftypes.NewValue(config.Type(), nil), config, config)

	if at(t, planned, root("tags_all")).IsKnown() {
		t.Error("tags_all must stay unknown while default_tags are unknown")
	}
}

func TestApplyFillsEveryUnknownAndUpdateKeepsIdentity(t *testing.T) {
	p := testProvider(t)
	configure(t, p, "eu-west-1", knownDefaultTags(p, map[string]string{"Project": "meridian"}))
	config := thingConfig(p, map[string]string{"Name": "orders"})
	created := apply(t, p, plan(t, p, tftypes.NewValue(config.Type(), nil), config, config))

	if !created.IsFullyKnown() {
		t.Fatalf("state after apply has unknowns: %s", created)
	}
	arn := knownString(mustAttributes(t, created), "arn")
	if !strings.HasPrefix(arn, "arn:aws:thing:eu-west-1:123456789012:") {
		t.Errorf("arn = %q", arn)
	}

	// WHEN the tags change: Terraform proposes the new configuration with the prior computed values.
	proposedAttributes := mustAttributes(t, created)
	proposedAttributes["tags"], _ = goValue(tftypes.Map{ElementType: tftypes.String}, map[string]string{"Name": "orders-v2"})
	proposed := tftypes.NewValue(created.Type(), proposedAttributes)
	updated := plan(t, p, created, proposed, thingConfig(p, map[string]string{"Name": "orders-v2"}))

	if got := knownString(mustAttributes(t, updated), "arn"); got != arn {
		t.Errorf("update changed the arn from %q to %q", arn, got)
	}
	if got := stringMapOf(at(t, updated, root("tags_all"))); got["Name"] != "orders-v2" {
		t.Errorf("tags_all not recomputed on update: %v", got)
	}
	if !updated.IsFullyKnown() {
		t.Errorf("an update of tags alone should know every value: %s", updated)
	}
}

func TestDestroyPlansAndAppliesNull(t *testing.T) {
	p := testProvider(t)
	config := thingConfig(p, nil)
	created := apply(t, p, plan(t, p, tftypes.NewValue(config.Type(), nil), config, config))
	nullState := tftypes.NewValue(created.Type(), nil)

	planned := plan(t, p, created, nullState, nullState)

	if !planned.IsNull() || !apply(t, p, planned).IsNull() {
		t.Error("destroy must plan and apply a null state")
	}
}

func TestDynamicValuesInListBlocksRoundTrip(t *testing.T) {
	p := testProvider(t)
	typ := valueType(p.catalog.resources["aws_thing"]).(tftypes.Object)
	if !typ.AttributeTypes["rule"].Is(tftypes.DynamicPseudoType) {
		t.Fatalf("a list block holding dynamic values is encoded as dynamic by Terraform, got %s", typ.AttributeTypes["rule"])
	}
	managed := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"name": tftypes.String}}
	rate := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"limit": tftypes.Number}}
	ruleOf := func(statementType tftypes.Object, statement map[string]tftypes.Value) tftypes.Value {
		return tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"statement": statementType}},
			map[string]tftypes.Value{"statement": tftypes.NewValue(statementType, statement)})
	}
	rules := []tftypes.Value{
		ruleOf(managed, map[string]tftypes.Value{"name": tftypes.NewValue(tftypes.String, "AWSManagedRulesCommonRuleSet")}),
		ruleOf(rate, map[string]tftypes.Value{"limit": tftypes.NewValue(tftypes.Number, 2000)}),
	}
	attributes := mustAttributes(t, thingConfig(p, nil))
	attributes["rule"] = tftypes.NewValue(tftypes.Tuple{ElementTypes: []tftypes.Type{rules[0].Type(), rules[1].Type()}}, rules)
	config := tftypes.NewValue(typ, attributes)

	state := apply(t, p, plan(t, p, tftypes.NewValue(typ, nil), config, config))

	if got := at(t, state, root("rule").WithElementKeyInt(1).WithAttributeName("statement").WithAttributeName("limit")); !got.Equal(tftypes.NewValue(tftypes.Number, 2000)) {
		t.Errorf("rate statement lost: %s", got)
	}
}

func TestUpgradeResourceStateDropsRemovedAttributes(t *testing.T) {
	p := testProvider(t)
	// As Terraform stores it: a dynamic-typed value (the rule block) carries its type beside it.
	raw := `{"id": "thing-1", "name": "orders", "attribute_removed_since": "x", "disk": [],
		"rule": {"value": [], "type": ["tuple", []]}}`

	response, _ := p.UpgradeResourceState(context.Background(), &tfprotov6.UpgradeResourceStateRequest{
		TypeName: "aws_thing", RawState: &tfprotov6.RawState{JSON: []byte(raw)},
	})

	if len(response.Diagnostics) > 0 {
		t.Fatalf("upgrade: %v", response.Diagnostics[0])
	}
	upgraded, err := response.UpgradedState.Unmarshal(valueType(p.catalog.resources["aws_thing"]))
	if err != nil {
		t.Fatal(err)
	}
	if got := knownString(mustAttributes(t, upgraded), "id"); got != "thing-1" {
		t.Errorf("id = %q after upgrade", got)
	}
}

func TestImportKnowsOnlyTheID(t *testing.T) {
	p := testProvider(t)

	response, _ := p.ImportResourceState(context.Background(), &tfprotov6.ImportResourceStateRequest{TypeName: "aws_thing", ID: "thing-42"})

	if len(response.Diagnostics) > 0 || len(response.ImportedResources) != 1 {
		t.Fatalf("import: %v", response)
	}
	state, err := response.ImportedResources[0].State.Unmarshal(valueType(p.catalog.resources["aws_thing"]))
	if err != nil {
		t.Fatal(err)
	}
	attributes := mustAttributes(t, state)
	if knownString(attributes, "id") != "thing-42" || !attributes["name"].IsNull() {
		t.Errorf("imported state = %s", state)
	}
}

func TestUnknownTypesAndUnsupportedCallsAnswerWithDiagnostics(t *testing.T) {
	p := testProvider(t)
	ctx := context.Background()

	plan, _ := p.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: "aws_nothing"})
	read, _ := p.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "aws_nothing"})
	move, _ := p.MoveResourceState(ctx, &tfprotov6.MoveResourceStateRequest{SourceTypeName: "aws_a", TargetTypeName: "aws_thing"})
	ephemeral, _ := p.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{TypeName: "aws_secret"})
	function, _ := p.CallFunction(ctx, &tfprotov6.CallFunctionRequest{Name: "arn_parse"})

	for name, diagnostics := range map[string][]*tfprotov6.Diagnostic{
		"plan": plan.Diagnostics, "read": read.Diagnostics, "move": move.Diagnostics, "ephemeral": ephemeral.Diagnostics,
	} {
		if len(diagnostics) != 1 || diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError {
			t.Errorf("%s should answer one error diagnostic, got %v", name, diagnostics)
		}
	}
	if function.Error == nil {
		t.Error("calling a function must answer a function error")
	}
}

func TestCallerIdentityAnswersTheFakeAccount(t *testing.T) {
	p := testProvider(t)
	schema := p.catalog.dataSources["aws_caller_identity"]
	typ := valueType(schema)

	response, _ := p.ReadDataSource(context.Background(), &tfprotov6.ReadDataSourceRequest{
		TypeName: "aws_caller_identity", Config: dynamic(t, typ, emptyObject(schema.Block)),
	})

	if len(response.Diagnostics) > 0 {
		t.Fatalf("read: %v", response.Diagnostics[0])
	}
	state, err := response.State.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	if got := knownString(mustAttributes(t, state), "account_id"); got != fakeAccountID {
		t.Errorf("account_id = %q", got)
	}
}

func mustAttributes(t *testing.T, object tftypes.Value) map[string]tftypes.Value {
	t.Helper()
	attributes, err := objectAttributes(object)
	if err != nil {
		t.Fatal(err)
	}
	return attributes
}
