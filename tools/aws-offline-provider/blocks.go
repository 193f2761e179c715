package main

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// computedFiller returns the value for a computed attribute that neither configuration nor prior
// state set. path locates the attribute's parent object; Plan answers "unknown", ReadDataSource
// answers a synthetic value.
type computedFiller func(path *tftypes.AttributePath, attribute *tfprotov6.SchemaAttribute) tftypes.Value

// fillUnsetComputed walks an object of the given block, its nested blocks included, and replaces
// every null computed attribute by what fill returns. Terraform's proposed new state already holds
// configuration values and prior computed values, so a computed attribute that is still null
// is exactly one that nobody has set yet.
func fillUnsetComputed(block *tfprotov6.SchemaBlock, object tftypes.Value, path *tftypes.AttributePath, fill computedFiller) (tftypes.Value, error) {
	if object.IsNull() || !object.IsKnown() {
		return object, nil
	}
	attributes, err := objectAttributes(object)
	if err != nil {
		return object, err
	}
	for _, schemaAttribute := range block.Attributes {
		current, present := attributes[schemaAttribute.Name]
		if present && schemaAttribute.Computed && current.IsNull() {
			attributes[schemaAttribute.Name] = fill(path.WithAttributeName(schemaAttribute.Name), schemaAttribute)
		}
	}
	for _, nested := range block.BlockTypes {
		current, present := attributes[nested.TypeName]
		if !present {
			continue
		}
		blockPath := path.WithAttributeName(nested.TypeName)
		updated, err := mapNestedObjects(nested, current, func(element tftypes.Value) (tftypes.Value, error) {
			return fillUnsetComputed(nested.Block, element, blockPath, fill)
		})
		if err != nil {
			return object, fmt.Errorf("block %s: %w", nested.TypeName, err)
		}
		attributes[nested.TypeName] = updated
	}
	return tftypes.NewValue(object.Type(), attributes), nil
}

// mapNestedObjects applies change to every object of a nested block value, whatever its nesting.
func mapNestedObjects(nested *tfprotov6.SchemaNestedBlock, value tftypes.Value, change func(tftypes.Value) (tftypes.Value, error)) (tftypes.Value, error) {
	if value.IsNull() || !value.IsKnown() {
		return value, nil
	}
	switch nested.Nesting {
	case tfprotov6.SchemaNestedBlockNestingModeSingle, tfprotov6.SchemaNestedBlockNestingModeGroup:
		return change(value)
	case tfprotov6.SchemaNestedBlockNestingModeMap:
		var shared map[string]tftypes.Value
		if err := value.As(&shared); err != nil {
			return value, err
		}
		elements := maps.Clone(shared) // see objectAttributes
		for key, element := range elements {
			updated, err := change(element)
			if err != nil {
				return value, err
			}
			elements[key] = updated
		}
		return tftypes.NewValue(value.Type(), elements), nil
	default:
		var shared []tftypes.Value
		if err := value.As(&shared); err != nil {
			return value, err
		}
		elements := slices.Clone(shared) // see objectAttributes
		for index, element := range elements {
			updated, err := change(element)
			if err != nil {
				return value, err
			}
			elements[index] = updated
		}
		return tftypes.NewValue(value.Type(), elements), nil
	}
}

// emptyObject is an object of the block with null attributes, no nested list/set/map elements and
// null single blocks: the shape of a freshly imported resource before it is read.
func emptyObject(block *tfprotov6.SchemaBlock) tftypes.Value {
	objectType := blockType(block)
	attributes := make(map[string]tftypes.Value, len(objectType.AttributeTypes))
	for name, typ := range objectType.AttributeTypes {
		attributes[name] = tftypes.NewValue(typ, nil)
	}
	for _, nested := range block.BlockTypes {
		typ := objectType.AttributeTypes[nested.TypeName]
		dynamic := typ.Is(tftypes.DynamicPseudoType) // a tuple or object of elements, see blockType
		switch {
		case nested.Nesting == tfprotov6.SchemaNestedBlockNestingModeMap && dynamic:
			attributes[nested.TypeName] = tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{}}, map[string]tftypes.Value{})
		case nested.Nesting == tfprotov6.SchemaNestedBlockNestingModeMap:
			attributes[nested.TypeName] = tftypes.NewValue(typ, map[string]tftypes.Value{})
		case nested.Nesting == tfprotov6.SchemaNestedBlockNestingModeList && dynamic:
			attributes[nested.TypeName] = tftypes.NewValue(tftypes.Tuple{ElementTypes: []tftypes.Type{}}, []tftypes.Value{})
		case nested.Nesting == tfprotov6.SchemaNestedBlockNestingModeList, nested.Nesting == tfprotov6.SchemaNestedBlockNestingModeSet:
			attributes[nested.TypeName] = tftypes.NewValue(typ, []tftypes.Value{})
		}
	}
	return tftypes.NewValue(objectType, attributes)
}

// objectAttributes copies an object's attributes: Value.As hands out the value's own map, and
// changing that would silently change the value (and every value sharing it) too.
func objectAttributes(object tftypes.Value) (map[string]tftypes.Value, error) {
	var attributes map[string]tftypes.Value
	if err := object.As(&attributes); err != nil {
		return nil, err
	}
	return maps.Clone(attributes), nil
}

// knownString is the Go string of a known, non-null string attribute of an object, else "".
func knownString(attributes map[string]tftypes.Value, name string) string {
	value, present := attributes[name]
	if !present || value.IsNull() || !value.IsKnown() || !value.Type().Is(tftypes.String) {
		return ""
	}
	var text string
	if err := value.As(&text); err != nil {
		return ""
	}
	return text
}

// stringsOf reads a known list or set of strings; unknown or null gives nil.
func stringsOf(value tftypes.Value) []string {
	if value.IsNull() || !value.IsFullyKnown() {
		return nil
	}
	var elements []tftypes.Value
	if err := value.As(&elements); err != nil {
		return nil
	}
	texts := make([]string, 0, len(elements))
	for _, element := range elements {
		var text string
		if element.IsNull() || element.As(&text) != nil {
			continue
		}
		texts = append(texts, text)
	}
	return texts
}

// goValue converts a Go string, string slice or string map into a tftypes value of typ (string,
// list(string), set(string) or map(string)); a mismatch is an error, never a panic.
func goValue(typ tftypes.Type, value any) (tftypes.Value, error) {
	var converted any
	switch typed := value.(type) {
	case string:
		converted = typed
	case []string:
		elements := make([]tftypes.Value, len(typed))
		for index, text := range typed {
			elements[index] = tftypes.NewValue(tftypes.String, text)
		}
		converted = elements
	case map[string]string:
		elements := make(map[string]tftypes.Value, len(typed))
		for key, text := range typed {
			elements[key] = tftypes.NewValue(tftypes.String, text)
		}
		converted = elements
	default:
		return tftypes.Value{}, fmt.Errorf("unsupported Go value %T", value)
	}
	if err := tftypes.ValidateValue(typ, converted); err != nil {
		return tftypes.Value{}, err
	}
	return tftypes.NewValue(typ, converted), nil
}
