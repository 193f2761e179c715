package main

import (
	"context"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// A schema in the generator's format with the hand-added facts: one resource with a write-only
// argument beside its version, and the ephemeral password generator.
const handFactsSchemaDocument = `{"format_version": "1.0", "provider_schemas": {"example.test/hashicorp/aws": {
  "provider": {"version": 0, "block": {"attributes": {"region": {"type": "string", "optional": true}}}},
  "resource_schemas": {"aws_secretsmanager_secret_version": {"version": 0, "block": {"attributes": {
    "id": {"type": "string", "optional": true, "computed": true},
    "secret_id": {"type": "string", "required": true},
    "secret_string_wo": {"type": "string", "optional": true, "write_only": true},
    "secret_string_wo_version": {"type": "number", "optional": true}}}}},
  "data_source_schemas": {},
  "ephemeral_resource_schemas": {"aws_secretsmanager_random_password": {"version": 0, "block": {"attributes": {
    "exclude_characters": {"type": "string", "optional": true},
    "exclude_punctuation": {"type": "bool", "optional": true},
    "include_space": {"type": "bool", "optional": true},
    "password_length": {"type": "number", "optional": true},
    "random_password": {"type": "string", "computed": true, "sensitive": true},
    "region": {"type": "string", "optional": true, "computed": true},
    "require_each_included_type": {"type": "bool", "optional": true}}}}}}}}`

func handFactsProvider(t *testing.T) *offlineProvider {
	t.Helper()
	t.Setenv("AWS_REGION", "eu-west-1")
	path := filepath.Join(t.TempDir(), "schema.json")
	if err := os.WriteFile(path, []byte(handFactsSchemaDocument), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadCatalog(path)
	if err != nil {
		t.Fatal(err)
	}
	return newOfflineProvider(loaded)
}

func openPassword(t *testing.T, p *offlineProvider, settings map[string]tftypes.Value) (map[string]tftypes.Value, []*tfprotov6.Diagnostic) {
	t.Helper()
	schema := p.catalog.ephemeralResources["aws_secretsmanager_random_password"]
	typ := valueType(schema).(tftypes.Object)
	attributes := map[string]tftypes.Value{}
	for name, attributeType := range typ.AttributeTypes {
		attributes[name] = tftypes.NewValue(attributeType, nil)
	}
	for name, value := range settings {
		attributes[name] = value
	}
	response, _ := p.OpenEphemeralResource(context.Background(), &tfprotov6.OpenEphemeralResourceRequest{
		TypeName: "aws_secretsmanager_random_password", Config: dynamic(t, typ, tftypes.NewValue(typ, attributes)),
	})
	if len(response.Diagnostics) > 0 {
		return nil, response.Diagnostics
	}
	result, err := response.Result.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	return mustAttributes(t, result), nil
}

func TestSchemaServesTheEphemeralTypeAndTheWriteOnlyFlag(t *testing.T) {
	p := handFactsProvider(t)

	response, _ := p.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	metadata, _ := p.GetMetadata(context.Background(), &tfprotov6.GetMetadataRequest{})

	if _, served := response.EphemeralResourceSchemas["aws_secretsmanager_random_password"]; !served {
		t.Error("the ephemeral resource schema is not served")
	}
	if len(metadata.EphemeralResources) != 1 || metadata.EphemeralResources[0].TypeName != "aws_secretsmanager_random_password" {
		t.Errorf("metadata lists ephemeral resources %v", metadata.EphemeralResources)
	}
	block := response.ResourceSchemas["aws_secretsmanager_secret_version"].Block
	if !attribute(block, "secret_string_wo").WriteOnly || attribute(block, "secret_string_wo_version").WriteOnly {
		t.Error("only secret_string_wo is write-only")
	}
}

func TestRandomPasswordHonoursLengthAndExclusionsAndDiffersEachTime(t *testing.T) {
	p := handFactsProvider(t)
	log := filepath.Join(t.TempDir(), "passwords")
	t.Setenv(passwordLogVariable, log)
	settings := map[string]tftypes.Value{
		"password_length":    tftypes.NewValue(tftypes.Number, big.NewFloat(32)),
		"exclude_characters": tftypes.NewValue(tftypes.String, `"@/\'`),
	}

	first, diagnostics := openPassword(t, p, settings)
	if diagnostics != nil {
		t.Fatalf("open: %v", diagnostics[0])
	}
	second, _ := openPassword(t, p, settings)

	password := knownString(first, "random_password")
	if len(password) != 32 || strings.ContainsAny(password, `"@/\'`) {
		t.Errorf("password %q: want 32 characters without the excluded ones", password)
	}
	for _, class := range []string{lowercaseLetters, uppercaseLetters, digits, punctuation} {
		if !strings.ContainsAny(password, class) {
			t.Errorf("password %q has no character of %q (require_each_included_type defaults to true)", password, class)
		}
	}
	if password == knownString(second, "random_password") {
		t.Error("two openings gave the same password")
	}
	if knownString(first, "region") != "eu-west-1" {
		t.Errorf("region = %q, want the provider's", knownString(first, "region"))
	}
	recorded, _ := os.ReadFile(log)
	if lines := strings.Fields(string(recorded)); len(lines) != 2 || lines[0] != password {
		t.Errorf("the password log holds %q", recorded)
	}
}

func TestRandomPasswordCanDropPunctuationAndRejectsImpossibleSettings(t *testing.T) {
	p := handFactsProvider(t)

	alphanumeric, _ := openPassword(t, p, map[string]tftypes.Value{"exclude_punctuation": tftypes.NewValue(tftypes.Bool, true)})
	_, tooLong := openPassword(t, p, map[string]tftypes.Value{"password_length": tftypes.NewValue(tftypes.Number, big.NewFloat(5000))})
	_, nothingLeft := openPassword(t, p, map[string]tftypes.Value{
		"exclude_characters":  tftypes.NewValue(tftypes.String, lowercaseLetters+uppercaseLetters+digits),
		"exclude_punctuation": tftypes.NewValue(tftypes.Bool, true),
	})

	if password := knownString(alphanumeric, "random_password"); len(password) != defaultLength || strings.ContainsAny(password, punctuation) {
		t.Errorf("password %q: want %d letters and digits", password, defaultLength)
	}
	if tooLong == nil || nothingLeft == nil {
		t.Error("an out-of-range length and exclusions leaving nothing must be errors")
	}
}

func TestPlanNullsWriteOnlyArgumentsSoNoStateHoldsThem(t *testing.T) {
	p := handFactsProvider(t)
	typ := valueType(p.catalog.resources["aws_secretsmanager_secret_version"])
	config := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id":                       tftypes.NewValue(tftypes.String, nil),
		"secret_id":                tftypes.NewValue(tftypes.String, "db-master"),
		"secret_string_wo":         tftypes.NewValue(tftypes.String, "generated-at-apply"),
		"secret_string_wo_version": tftypes.NewValue(tftypes.Number, big.NewFloat(1)),
	})
	prior := tftypes.NewValue(typ, nil)

	response, _ := p.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
		TypeName: "aws_secretsmanager_secret_version", PriorState: dynamic(t, typ, prior),
		ProposedNewState: dynamic(t, typ, config), Config: dynamic(t, typ, config),
	})
	if len(response.Diagnostics) > 0 {
		t.Fatalf("plan: %v", response.Diagnostics[0])
	}
	planned, _ := response.PlannedState.Unmarshal(typ)
	applied, _ := p.ApplyResourceChange(context.Background(), &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "aws_secretsmanager_secret_version", PriorState: dynamic(t, typ, prior),
		PlannedState: response.PlannedState, Config: dynamic(t, typ, config),
	})
	state, _ := applied.NewState.Unmarshal(typ)

	for name, object := range map[string]tftypes.Value{"plan": planned, "state": state} {
		attributes := mustAttributes(t, object)
		if !attributes["secret_string_wo"].IsNull() {
			t.Errorf("%s holds the write-only value: %s", name, attributes["secret_string_wo"])
		}
		if attributes["secret_string_wo_version"].IsNull() {
			t.Errorf("%s lost the (plain) version argument", name)
		}
	}
}

func TestUnknownEphemeralTypeIsAnError(t *testing.T) {
	p := handFactsProvider(t)

	validation, _ := p.ValidateEphemeralResourceConfig(context.Background(), &tfprotov6.ValidateEphemeralResourceConfigRequest{TypeName: "aws_nothing"})

	if len(validation.Diagnostics) != 1 || validation.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError {
		t.Errorf("want one error, got %v", validation.Diagnostics)
	}
}
