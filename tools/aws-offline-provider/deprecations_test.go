package main

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func withDeprecations(t *testing.T, resources deprecationTable, types map[string]string, check func()) {
	t.Helper()
	savedArguments, savedTypes := deprecatedResourceArguments, deprecatedResourceTypes
	savedDataAttributes, savedDataTypes := deprecatedDataSourceAttributes, deprecatedDataSourceTypes
	deprecatedResourceArguments, deprecatedResourceTypes = resources, types
	deprecatedDataSourceAttributes, deprecatedDataSourceTypes = deprecationTable{}, map[string]string{}
	defer func() {
		deprecatedResourceArguments, deprecatedResourceTypes = savedArguments, savedTypes
		deprecatedDataSourceAttributes, deprecatedDataSourceTypes = savedDataAttributes, savedDataTypes
	}()
	check()
}

func validateThing(t *testing.T, p *offlineProvider, config tftypes.Value) []*tfprotov6.Diagnostic {
	t.Helper()
	schema := p.catalog.resources["aws_thing"]
	response, err := p.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{
		TypeName: "aws_thing", Config: dynamic(t, valueType(schema), config),
	})
	if err != nil {
		t.Fatal(err)
	}
	return response.Diagnostics
}

func TestDeprecatedArgumentsWarnOnlyWhenConfigured(t *testing.T) {
	p := testProvider(t)
	withDeprecations(t, deprecationTable{"aws_thing": {"tags": "tags is deprecated.", "disk.volume_id": "volume_id is deprecated."}}, map[string]string{}, func() {
		if err := markDeprecations(p.catalog); err != nil {
			t.Fatal(err)
		}
		unset := validateThing(t, p, thingConfig(p, nil))
		set := validateThing(t, p, thingConfig(p, map[string]string{"Name": "x"}))

		if len(unset) != 0 {
			t.Errorf("nothing deprecated is set, yet: %v", unset)
		}
		if len(set) != 1 || set[0].Severity != tfprotov6.DiagnosticSeverityWarning || set[0].Summary != "Argument is deprecated" || set[0].Detail != "tags is deprecated." {
			t.Errorf("setting tags must give one deprecation warning, got %v", set)
		}
		if !attribute(p.catalog.resources["aws_thing"].Block, "tags").Deprecated {
			t.Error("the served schema must mark tags deprecated, so Terraform warns where it is read")
		}
	})
}

func TestDeprecatedTypeWarnsAndUnknownEntriesAreRefused(t *testing.T) {
	p := testProvider(t)
	withDeprecations(t, deprecationTable{}, map[string]string{"aws_thing": "This resource is deprecated."}, func() {
		if err := markDeprecations(p.catalog); err != nil {
			t.Fatal(err)
		}
		warnings := validateThing(t, p, thingConfig(p, nil))
		if len(warnings) != 1 || warnings[0].Summary != "Deprecated Resource" || !p.catalog.resources["aws_thing"].Block.Deprecated {
			t.Errorf("a deprecated type must warn and be marked, got %v", warnings)
		}
	})
	withDeprecations(t, deprecationTable{"aws_thing": {"no_such_argument": "x"}}, map[string]string{}, func() {
		if err := markDeprecations(testProvider(t).catalog); err == nil || !strings.Contains(err.Error(), "no_such_argument") {
			t.Errorf("a table entry the schema lacks must be an error, got %v", err)
		}
	})
}

func TestConfigureWithoutAnyRegionIsAnErrorNotADefault(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	p := testProvider(t)
	typ := valueType(p.catalog.provider).(tftypes.Object)
	config := tftypes.NewValue(typ, map[string]tftypes.Value{
		"region":       tftypes.NewValue(tftypes.String, nil),
		"default_tags": tftypes.NewValue(typ.AttributeTypes["default_tags"], nil),
	})

	response, err := p.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{Config: dynamic(t, typ, config)})

	if err != nil || len(response.Diagnostics) != 1 || response.Diagnostics[0].Summary != "Missing region value" {
		t.Fatalf("a provider without any region must fail to configure, got %v %v", response.Diagnostics, err)
	}
}

// The README's deprecation table is the reviewed record of the facts; the code must say the same.
func TestReadmeListsExactlyTheDeprecations(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (resource|data source) \\| `(aws_[a-z0-9_]+)` \\| (.+) \\| `internal/[^`]+` \\|$")
	name := regexp.MustCompile("`([a-z0-9_.]+)`")
	documented := map[string]bool{}
	for _, match := range row.FindAllStringSubmatch(string(readme), -1) {
		kind, typeName, listed := match[1], match[2], match[3]
		arguments, types := deprecatedResourceArguments, deprecatedResourceTypes
		if kind == "data source" {
			arguments, types = deprecatedDataSourceAttributes, deprecatedDataSourceTypes
		}
		documented[kind+" "+typeName] = true
		if listed == "the whole type" {
			if _, known := types[typeName]; !known {
				t.Errorf("README: %s %s is deprecated as a whole; deprecations.go does not say so", kind, typeName)
			}
			continue
		}
		var names []string
		for _, argument := range name.FindAllStringSubmatch(listed, -1) {
			names = append(names, argument[1])
		}
		want := make([]string, 0, len(arguments[typeName]))
		for path := range arguments[typeName] {
			want = append(want, path)
		}
		slices.Sort(names)
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s %s: README says %v, deprecations.go says %v", kind, typeName, names, want)
		}
	}
	for kind, table := range map[string]deprecationTable{"resource": deprecatedResourceArguments, "data source": deprecatedDataSourceAttributes} {
		for typeName := range table {
			if !documented[kind+" "+typeName] {
				t.Errorf("%s %s has deprecated arguments but no README row", kind, typeName)
			}
		}
	}
	for kind, types := range map[string]map[string]string{"resource": deprecatedResourceTypes, "data source": deprecatedDataSourceTypes} {
		for typeName := range types {
			if !documented[kind+" "+typeName] {
				t.Errorf("%s %s is deprecated as a whole but has no README row", kind, typeName)
			}
		}
	}
}
