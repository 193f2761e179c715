package main

import (
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// replacementPaths answers PlanResourceChange's RequiresReplace: the replacement-forcing arguments
// of replacementRules whose value differs between the prior state and the proposed new state.
// A create (null prior) or a destroy (null proposal) never requires replacement.
func replacementPaths(typeName string, schema *tfprotov6.Schema, priorValue, proposedValue *tfprotov6.DynamicValue) ([]*tftypes.AttributePath, error) {
	rule, known := replacementRules[typeName]
	if !known || priorValue == nil {
		return nil, nil
	}
	typ := valueType(schema)
	prior, err := priorValue.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	proposed, err := proposedValue.Unmarshal(typ)
	if err != nil || prior.IsNull() || proposed.IsNull() {
		return nil, err
	}
	return rule.changed(prior, proposed)
}

// changed lists the rule's arguments whose value changed; an unknown proposed value counts as a
// change, as with the real provider (the new value may differ once known).
func (rule replacementRule) changed(prior, proposed tftypes.Value) ([]*tftypes.AttributePath, error) {
	before, err := objectAttributes(prior)
	if err != nil {
		return nil, err
	}
	after, err := objectAttributes(proposed)
	if err != nil {
		return nil, err
	}
	var paths []*tftypes.AttributePath
	for _, name := range rule.arguments {
		old, present := before[name]
		if present && !old.Equal(after[name]) {
			paths = append(paths, tftypes.NewAttributePath().WithAttributeName(name))
		}
	}
	if oldKind, newKind := setOneOf(before, rule.exclusive), setOneOf(after, rule.exclusive); oldKind != newKind {
		for _, name := range []string{oldKind, newKind} {
			if name != "" {
				paths = append(paths, tftypes.NewAttributePath().WithAttributeName(name))
			}
		}
	}
	return paths, nil
}

// setOneOf names the first of the arguments that is set (not null), or "".
func setOneOf(attributes map[string]tftypes.Value, names []string) string {
	for _, name := range names {
		if value, present := attributes[name]; present && !value.IsNull() {
			return name
		}
	}
	return ""
}
