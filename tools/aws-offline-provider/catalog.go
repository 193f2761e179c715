package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// catalog holds the schemas this stand-in serves, read from a document in the format of
// `terraform providers schema -json` (written by tools/offline_provider/schema_gen.py).
type catalog struct {
	providerAddress    string
	provider           *tfprotov6.Schema
	resources          map[string]*tfprotov6.Schema
	dataSources        map[string]*tfprotov6.Schema
	ephemeralResources map[string]*tfprotov6.Schema
}

type schemaDocument struct {
	FormatVersion   string                        `json:"format_version"`
	ProviderSchemas map[string]providerSchemaJSON `json:"provider_schemas"`
}

type providerSchemaJSON struct {
	Provider                 schemaJSON            `json:"provider"`
	ResourceSchemas          map[string]schemaJSON `json:"resource_schemas"`
	DataSourceSchemas        map[string]schemaJSON `json:"data_source_schemas"`
	EphemeralResourceSchemas map[string]schemaJSON `json:"ephemeral_resource_schemas"`
}

type schemaJSON struct {
	Version int64     `json:"version"`
	Block   blockJSON `json:"block"`
}

type blockJSON struct {
	Attributes map[string]attributeJSON   `json:"attributes"`
	BlockTypes map[string]nestedBlockJSON `json:"block_types"`
}

type attributeJSON struct {
	Type      json.RawMessage `json:"type"`
	Required  bool            `json:"required"`
	Optional  bool            `json:"optional"`
	Computed  bool            `json:"computed"`
	Sensitive bool            `json:"sensitive"`
	WriteOnly bool            `json:"write_only"`
}

type nestedBlockJSON struct {
	NestingMode string    `json:"nesting_mode"`
	Block       blockJSON `json:"block"`
	MinItems    int64     `json:"min_items"`
	MaxItems    int64     `json:"max_items"`
}

var nestingModes = map[string]tfprotov6.SchemaNestedBlockNestingMode{
	"single": tfprotov6.SchemaNestedBlockNestingModeSingle,
	"list":   tfprotov6.SchemaNestedBlockNestingModeList,
	"set":    tfprotov6.SchemaNestedBlockNestingModeSet,
	"map":    tfprotov6.SchemaNestedBlockNestingModeMap,
	"group":  tfprotov6.SchemaNestedBlockNestingModeGroup,
}

// loadCatalog reads the schema document; it must describe exactly one provider.
func loadCatalog(path string) (*catalog, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the provider schema: %w", err)
	}
	var document schemaDocument
	if err := json.Unmarshal(raw, &document); err != nil {
		return nil, fmt.Errorf("parsing the provider schema %s: %w", path, err)
	}
	if len(document.ProviderSchemas) != 1 {
		return nil, fmt.Errorf("%s describes %d providers; expected exactly one", path, len(document.ProviderSchemas))
	}
	converter := &schemaConverter{types: map[string]tftypes.Type{}}
	for address, provider := range document.ProviderSchemas {
		result := &catalog{providerAddress: address}
		if result.provider, err = converter.convertSchema(provider.Provider); err != nil {
			return nil, fmt.Errorf("provider configuration schema: %w", err)
		}
		if result.resources, err = converter.convertSchemas(provider.ResourceSchemas); err != nil {
			return nil, err
		}
		if result.dataSources, err = converter.convertSchemas(provider.DataSourceSchemas); err != nil {
			return nil, err
		}
		if result.ephemeralResources, err = converter.convertSchemas(provider.EphemeralResourceSchemas); err != nil {
			return nil, err
		}
		return result, nil
	}
	panic("unreachable: the map has exactly one entry")
}

func (c *schemaConverter) convertSchemas(in map[string]schemaJSON) (map[string]*tfprotov6.Schema, error) {
	out := make(map[string]*tfprotov6.Schema, len(in))
	for name, schema := range in {
		converted, err := c.convertSchema(schema)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = converted
	}
	return out, nil
}

func (c *schemaConverter) convertSchema(in schemaJSON) (*tfprotov6.Schema, error) {
	block, err := c.convertBlock(in.Block)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.Schema{Version: in.Version, Block: block}, nil
}

func (c *schemaConverter) convertBlock(in blockJSON) (*tfprotov6.SchemaBlock, error) {
	block := &tfprotov6.SchemaBlock{DescriptionKind: tfprotov6.StringKindPlain}
	for _, name := range sortedKeys(in.Attributes) {
		attribute := in.Attributes[name]
		typ, err := c.parseType(attribute.Type)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		block.Attributes = append(block.Attributes, &tfprotov6.SchemaAttribute{
			Name:            name,
			Type:            typ,
			Required:        attribute.Required,
			Optional:        attribute.Optional,
			Computed:        attribute.Computed,
			Sensitive:       attribute.Sensitive,
			WriteOnly:       attribute.WriteOnly,
			DescriptionKind: tfprotov6.StringKindPlain,
		})
	}
	for _, name := range sortedKeys(in.BlockTypes) {
		nested := in.BlockTypes[name]
		mode, known := nestingModes[nested.NestingMode]
		if !known {
			return nil, fmt.Errorf("block %s: unknown nesting mode %q", name, nested.NestingMode)
		}
		inner, err := c.convertBlock(nested.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		block.BlockTypes = append(block.BlockTypes, &tfprotov6.SchemaNestedBlock{
			TypeName: name,
			Block:    inner,
			Nesting:  mode,
			MinItems: nested.MinItems,
			MaxItems: nested.MaxItems,
		})
	}
	return block, nil
}

// schemaConverter turns schema JSON into protocol schemas. It caches attribute types by their JSON:
// a few hundred distinct types serve ~50,000 attributes, and parsing each anew dominated start-up.
type schemaConverter struct {
	types map[string]tftypes.Type
}

func (c *schemaConverter) parseType(raw json.RawMessage) (tftypes.Type, error) {
	if typ, cached := c.types[string(raw)]; cached {
		return typ, nil
	}
	typ, err := tftypes.ParseJSONType(raw)
	if err == nil {
		c.types[string(raw)] = typ
	}
	return typ, err
}

func sortedKeys[V any](in map[string]V) []string {
	keys := make([]string, 0, len(in))
	for key := range in {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// attribute finds a top-level attribute of a block by name.
func attribute(block *tfprotov6.SchemaBlock, name string) *tfprotov6.SchemaAttribute {
	for _, candidate := range block.Attributes {
		if candidate.Name == name {
			return candidate
		}
	}
	return nil
}

// valueType is the type Terraform encodes an object of the schema with. It differs from
// tfprotov6's Schema.ValueType where Terraform core does: a list or map block holding dynamic values
// is a tuple or object of possibly different element types, so the block's type is dynamic.
func valueType(schema *tfprotov6.Schema) tftypes.Type {
	return blockType(schema.Block)
}

func blockType(block *tfprotov6.SchemaBlock) tftypes.Object {
	attributes := make(map[string]tftypes.Type, len(block.Attributes)+len(block.BlockTypes))
	for _, attribute := range block.Attributes {
		attributes[attribute.Name] = attribute.Type
	}
	for _, nested := range block.BlockTypes {
		inner := blockType(nested.Block)
		switch nested.Nesting {
		case tfprotov6.SchemaNestedBlockNestingModeList:
			attributes[nested.TypeName] = tftypes.List{ElementType: inner}
		case tfprotov6.SchemaNestedBlockNestingModeSet:
			attributes[nested.TypeName] = tftypes.Set{ElementType: inner}
		case tfprotov6.SchemaNestedBlockNestingModeMap:
			attributes[nested.TypeName] = tftypes.Map{ElementType: inner}
		default:
			attributes[nested.TypeName] = inner
		}
		if nested.Nesting != tfprotov6.SchemaNestedBlockNestingModeSingle && nested.Nesting != tfprotov6.SchemaNestedBlockNestingModeGroup && holdsDynamic(inner) {
			attributes[nested.TypeName] = tftypes.DynamicPseudoType
		}
	}
	return tftypes.Object{AttributeTypes: attributes}
}

// holdsDynamic reports whether a type is or contains the dynamic pseudo-type.
func holdsDynamic(typ tftypes.Type) bool {
	switch typed := typ.(type) {
	case tftypes.List:
		return holdsDynamic(typed.ElementType)
	case tftypes.Set:
		return holdsDynamic(typed.ElementType)
	case tftypes.Map:
		return holdsDynamic(typed.ElementType)
	case tftypes.Object:
		for _, attributeType := range typed.AttributeTypes {
			if holdsDynamic(attributeType) {
				return true
			}
		}
		return false
	case tftypes.Tuple:
		for _, elementType := range typed.ElementTypes {
			if holdsDynamic(elementType) {
				return true
			}
		}
		return false
	}
	return typ.Is(tftypes.DynamicPseudoType)
}
