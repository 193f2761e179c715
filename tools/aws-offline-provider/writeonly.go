package main

import (
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// withoutWriteOnly nulls every write-only attribute of a planned object (`*_wo` arguments, marked
// by hand in the schema): Terraform hands their values to the provider in the configuration only,
// and rejects a plan or a new state that carries one. Applied states inherit the nulls from the plan.
func withoutWriteOnly(block *tfprotov6.SchemaBlock, object tftypes.Value) (tftypes.Value, error) {
	writeOnly := map[string]bool{}
	collectWriteOnly(block, "", writeOnly)
	if len(writeOnly) == 0 {
		return object, nil
	}
	return tftypes.Transform(object, func(path *tftypes.AttributePath, value tftypes.Value) (tftypes.Value, error) {
		if writeOnly[attributeNames(path)] && !value.IsNull() {
			return tftypes.NewValue(value.Type(), nil), nil
		}
		return value, nil
	})
}

// collectWriteOnly records the dotted attribute names (nested block names, no element keys) of
// the block's write-only attributes.
func collectWriteOnly(block *tfprotov6.SchemaBlock, prefix string, into map[string]bool) {
	for _, attribute := range block.Attributes {
		if attribute.WriteOnly {
			into[prefix+attribute.Name] = true
		}
	}
	for _, nested := range block.BlockTypes {
		collectWriteOnly(nested.Block, prefix+nested.TypeName+".", into)
	}
}

// attributeNames is a path's attribute names joined by dots, element keys left out.
func attributeNames(path *tftypes.AttributePath) string {
	var names []string
	for _, step := range path.Steps() {
		if name, isName := step.(tftypes.AttributeName); isName {
			names = append(names, string(name))
		}
	}
	return strings.Join(names, ".")
}
