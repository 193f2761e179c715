package main

import (
	"context"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

var ruleObjectType = tftypes.Object{AttributeTypes: map[string]tftypes.Type{
	"name": tftypes.String, "description": tftypes.String, "cidr_ipv4": tftypes.String, "prefix_list_id": tftypes.String,
}}

func ruleObject(values map[string]any) tftypes.Value {
	attributes := map[string]tftypes.Value{}
	for name := range ruleObjectType.AttributeTypes {
		attributes[name] = tftypes.NewValue(tftypes.String, values[name])
	}
	return tftypes.NewValue(ruleObjectType, attributes)
}

func pathNames(paths []*tftypes.AttributePath) []string {
	var names []string
	for _, path := range paths {
		names = append(names, path.String())
	}
	return names
}

func TestReplacementRuleNamesOnlyChangedForcingArguments(t *testing.T) {
	rule := replacementRule{arguments: []string{"name"}}
	prior := ruleObject(map[string]any{"name": "docs", "description": "documents"})

	cases := map[string]struct {
		proposed tftypes.Value
		want     []string
	}{
		"forcing argument changed":       {ruleObject(map[string]any{"name": "docs-v2", "description": "documents"}), []string{`AttributeName("name")`}},
		"other argument changed":         {ruleObject(map[string]any{"name": "docs", "description": "papers"}), nil},
		"nothing changed":                {prior, nil},
		"forcing argument not yet known": {ruleObject(map[string]any{"name": tftypes.UnknownValue, "description": "documents"}), []string{`AttributeName("name")`}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			paths, err := rule.changed(prior, c.proposed)
			if err != nil {
				t.Fatal(err)
			}
			if got := pathNames(paths); !slices.Equal(got, c.want) {
				t.Errorf("paths = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSwitchingTheKindOfAnExclusiveArgumentForcesReplacement(t *testing.T) {
	rule := replacementRule{exclusive: []string{"cidr_ipv4", "prefix_list_id"}}
	prior := ruleObject(map[string]any{"cidr_ipv4": "10.0.0.0/16"})

	widened, _ := rule.changed(prior, ruleObject(map[string]any{"cidr_ipv4": "0.0.0.0/0"}))
	switched, _ := rule.changed(prior, ruleObject(map[string]any{"prefix_list_id": "pl-123"}))

	if len(widened) != 0 {
		t.Errorf("a new CIDR of the same kind is an update, got %v", pathNames(widened))
	}
	if got := pathNames(switched); !slices.Equal(got, []string{`AttributeName("cidr_ipv4")`, `AttributeName("prefix_list_id")`}) {
		t.Errorf("switching CIDR to prefix list: paths = %v", got)
	}
}

func TestPlanAsksForReplacementOnlyWhenAForcingArgumentChanges(t *testing.T) {
	p := testProvider(t)
	typ := valueType(p.catalog.resources["aws_thing"])
	config := thingConfig(p, map[string]string{"Name": "orders"})
	created := apply(t, p, plan(t, p, tftypes.NewValue(config.Type(), nil), config, config))
	// GIVEN aws_thing's name forces replacement, as a bucket's name does
	replacementRules["aws_thing"] = replacementRule{source: "test", arguments: []string{"name"}}
	t.Cleanup(func() { delete(replacementRules, "aws_thing") })

	requiresReplace := func(change func(map[string]tftypes.Value)) []string {
		attributes := mustAttributes(t, created)
		change(attributes)
		proposed := tftypes.NewValue(created.Type(), attributes)
		response, _ := p.PlanResourceChange(context.Background(), &tfprotov6.PlanResourceChangeRequest{
			TypeName: "aws_thing", PriorState: dynamic(t, typ, created), ProposedNewState: dynamic(t, typ, proposed), Config: dynamic(t, typ, proposed),
		})
		if len(response.Diagnostics) > 0 {
			t.Fatalf("plan: %v", response.Diagnostics[0])
		}
		return pathNames(response.RequiresReplace)
	}

	renamed := requiresReplace(func(a map[string]tftypes.Value) { a["name"] = tftypes.NewValue(tftypes.String, "orders-v2") })
	retagged := requiresReplace(func(a map[string]tftypes.Value) {
		a["tags"], _ = goValue(tftypes.Map{ElementType: tftypes.String}, map[string]string{"Name": "orders-v2"})
	})

	if !slices.Equal(renamed, []string{`AttributeName("name")`}) {
		t.Errorf("renaming: RequiresReplace = %v, want name", renamed)
	}
	if len(retagged) != 0 {
		t.Errorf("retagging: RequiresReplace = %v, want none", retagged)
	}
}

// The README's table is the reviewed record of the facts; the code must say the same.
func TestReadmeTableListsExactlyTheReplacementRules(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(aws_[a-z0-9_]+)` \\| (.+) \\| `(internal/[^`]+)` \\|$")
	name := regexp.MustCompile("`([a-z0-9_]+)`")
	documented := map[string]bool{}
	for _, match := range row.FindAllStringSubmatch(string(readme), -1) {
		typeName, arguments, source := match[1], match[2], match[3]
		documented[typeName] = true
		rule, known := replacementRules[typeName]
		if !known {
			t.Errorf("README lists %s, the table in replacement_table.go does not", typeName)
			continue
		}
		var listed []string
		for _, argument := range name.FindAllStringSubmatch(arguments, -1) {
			listed = append(listed, argument[1])
		}
		want := append(slices.Clone(rule.arguments), rule.exclusive...)
		slices.Sort(listed)
		slices.Sort(want)
		if !slices.Equal(listed, want) || source != rule.source {
			t.Errorf("%s: README says %v from %s; the code says %v from %s", typeName, listed, source, want, rule.source)
		}
	}
	for typeName := range replacementRules {
		if !documented[typeName] {
			t.Errorf("%s has a replacement rule but no README row", typeName)
		}
	}
}
