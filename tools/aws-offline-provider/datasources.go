package main

import (
	"context"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// dataSourceReader computes the root attributes a data source answers with, as Go strings,
// string slices or string maps; only attributes the configuration left null are taken.
type dataSourceReader func(synth *synthesizer, config map[string]tftypes.Value) (map[string]any, error)

// Data sources whose answers stacks build on; every other one answers synthetic values.
var dataSourceReaders = map[string]dataSourceReader{
	"aws_caller_identity":     readCallerIdentity,
	"aws_region":              readRegion,
	"aws_partition":           readPartition,
	"aws_availability_zones":  readAvailabilityZones,
	"aws_ssm_parameter":       readSSMParameter,
	"aws_iam_policy_document": readPolicyDocument,
}

func (p *offlineProvider) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	schema, known := p.catalog.dataSources[req.TypeName]
	if !known {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiagnostics("Unknown data source "+req.TypeName, unsupportedDetail)}, nil
	}
	state, err := p.readDataSource(req.TypeName, schema, req.Config)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errorDiagnostics("Cannot read data source "+req.TypeName, err.Error())}, nil
	}
	return &tfprotov6.ReadDataSourceResponse{State: state}, nil
}

func (p *offlineProvider) readDataSource(typeName string, schema *tfprotov6.Schema, configValue *tfprotov6.DynamicValue) (*tfprotov6.DynamicValue, error) {
	typ := valueType(schema)
	config, err := configValue.Unmarshal(typ)
	if err != nil {
		return nil, err
	}
	synth := newSynthesizer(typeName, p.current().region, config)
	state, err := fillUnsetComputed(schema.Block, config, tftypes.NewAttributePath(), func(path *tftypes.AttributePath, attribute *tfprotov6.SchemaAttribute) tftypes.Value {
		return synth.value(path, attribute.Type)
	})
	if err != nil {
		return nil, err
	}
	if reader := dataSourceReaders[typeName]; reader != nil {
		if state, err = overrideUnsetRoot(schema.Block, state, config, synth, reader); err != nil {
			return nil, err
		}
	}
	result, err := tfprotov6.NewDynamicValue(typ, state)
	return &result, err
}

func overrideUnsetRoot(block *tfprotov6.SchemaBlock, state, config tftypes.Value, synth *synthesizer, reader dataSourceReader) (tftypes.Value, error) {
	configured, err := objectAttributes(config)
	if err != nil {
		return state, err
	}
	answers, err := reader(synth, configured)
	if err != nil {
		return state, err
	}
	attributes, err := objectAttributes(state)
	if err != nil {
		return state, err
	}
	for name, answer := range answers {
		schemaAttribute := attribute(block, name)
		if schemaAttribute == nil || !schemaAttribute.Computed || !configured[name].IsNull() {
			continue
		}
		if attributes[name], err = goValue(schemaAttribute.Type, answer); err != nil {
			return state, fmt.Errorf("attribute %s: %w", name, err)
		}
	}
	return tftypes.NewValue(state.Type(), attributes), nil
}

func readCallerIdentity(*synthesizer, map[string]tftypes.Value) (map[string]any, error) {
	return map[string]any{
		"id":         fakeAccountID,
		"account_id": fakeAccountID,
		"arn":        "arn:aws:iam::" + fakeAccountID + ":user/meridian-offline",
		"user_id":    "AIDAOFFLINESTANDIN0001",
	}, nil
}

func readRegion(synth *synthesizer, _ map[string]tftypes.Value) (map[string]any, error) {
	return map[string]any{
		"id":          synth.region,
		"name":        synth.region,
		"region":      synth.region,
		"endpoint":    "ec2." + synth.region + ".amazonaws.com",
		"description": "Offline stand-in region " + synth.region,
	}, nil
}

func readPartition(*synthesizer, map[string]tftypes.Value) (map[string]any, error) {
	return map[string]any{"id": "aws", "partition": "aws", "dns_suffix": "amazonaws.com", "reverse_dns_prefix": "com.amazonaws"}, nil
}

// readAvailabilityZones answers three zones, a to c, with zone IDs shaped like AWS's (use1-az1).
func readAvailabilityZones(synth *synthesizer, _ map[string]tftypes.Value) (map[string]any, error) {
	prefix := zoneIDPrefix(synth.region)
	names, zoneIDs := make([]string, 3), make([]string, 3)
	for index, letter := range []string{"a", "b", "c"} {
		names[index] = synth.region + letter
		zoneIDs[index] = fmt.Sprintf("%s-az%d", prefix, index+1)
	}
	return map[string]any{"id": synth.region, "names": names, "zone_ids": zoneIDs, "group_names": []string{synth.region}}, nil
}

// zoneIDPrefix abbreviates a region as AWS zone IDs do: us-east-1 -> use1, eu-west-2 -> euw2.
func zoneIDPrefix(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region
	}
	return parts[0] + parts[1][:1] + parts[len(parts)-1]
}

// readSSMParameter answers an AMI ID for the public AMI parameters and a plain string otherwise.
func readSSMParameter(synth *synthesizer, config map[string]tftypes.Value) (map[string]any, error) {
	name := knownString(config, "name")
	value := "offline-value-of-" + strings.Trim(strings.ReplaceAll(name, "/", "-"), "-")
	if strings.HasPrefix(name, "/aws/service/ami") {
		value = "ami-0123456789abcdef0"
	}
	return map[string]any{
		"id":             name,
		"value":          value,
		"insecure_value": value,
		"type":           "String",
		"arn":            fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", synth.region, fakeAccountID, strings.TrimPrefix(name, "/")),
	}, nil
}

func readPolicyDocument(_ *synthesizer, config map[string]tftypes.Value) (map[string]any, error) {
	document, err := policyDocumentFromConfig(config)
	if err != nil {
		return nil, err
	}
	pretty, minified, err := renderPolicyDocument(document)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"id":            strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(minified))), 10),
		"json":          pretty,
		"minified_json": minified,
	}, nil
}
