package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// What hashicorp/aws 6.25.0 marks deprecated, read from its source (README.md, "Deprecations",
// cites the file of each entry). The bindings carry no deprecation marks, so without this table
// `terraform validate` here could never print the warnings the real provider prints.
//
// Paths are dotted through nested blocks: "target_grant.grantee.display_name".
type deprecationTable map[string]map[string]string

const (
	bucketResourceInstead = "Use the aws_s3_bucket_%s resource instead."
	displayNameEnded      = "AWS has ended support for this attribute. It will be removed in a future major version."
)

func bucketArgument(name, resource string) string {
	return name + " is deprecated. " + fmt.Sprintf(bucketResourceInstead, resource)
}

var deprecatedResourceArguments = deprecationTable{
	"aws_s3_bucket": {
		"acceleration_status":                  bucketArgument("acceleration_status", "accelerate_configuration"),
		"acl":                                  bucketArgument("acl", "acl"),
		"cors_rule":                            bucketArgument("cors_rule", "cors_configuration"),
		"grant":                                bucketArgument("grant", "acl"),
		"lifecycle_rule":                       bucketArgument("lifecycle_rule", "lifecycle_configuration"),
		"logging":                              bucketArgument("logging", "logging"),
		"object_lock_configuration":            bucketArgument("object_lock_configuration", "object_lock_configuration"),
		"policy":                               bucketArgument("policy", "policy"),
		"replication_configuration":            bucketArgument("replication_configuration", "replication_configuration"),
		"request_payer":                        bucketArgument("request_payer", "request_payment_configuration"),
		"server_side_encryption_configuration": bucketArgument("server_side_encryption_configuration", "server_side_encryption_configuration"),
		"versioning":                           bucketArgument("versioning", "versioning"),
		"website":                              bucketArgument("website", "website_configuration"),
		"website_domain":                       bucketArgument("website_domain", "website_configuration"),
		"website_endpoint":                     bucketArgument("website_endpoint", "website_configuration"),
	},
	"aws_iam_role": {
		"inline_policy": "inline_policy is deprecated. Use the aws_iam_role_policy resource instead. If Terraform should " +
			"exclusively manage all inline policy associations, use the aws_iam_role_policies_exclusive resource as well.",
		"managed_policy_arns": "managed_policy_arns is deprecated. Use the aws_iam_role_policy_attachment resource instead. " +
			"If Terraform should exclusively manage all managed policy attachments, use the " +
			"aws_iam_role_policy_attachments_exclusive resource as well.",
	},
	"aws_s3_bucket_acl": {
		"access_control_policy.grant.grantee.display_name": displayNameEnded,
		"access_control_policy.owner.display_name":         displayNameEnded,
	},
	"aws_s3_bucket_logging": {
		"target_grant.grantee.display_name": displayNameEnded,
	},
	"aws_instance": {
		"network_interface": "network_interface is deprecated. To specify the primary network interface, use " +
			"primary_network_interface instead. To attach additional network interfaces, use the " +
			"aws_network_interface_attachment resource.",
	},
	"aws_guardduty_detector": {
		"datasources": "datasources is deprecated. Use the aws_guardduty_detector_feature resource instead.",
	},
	"aws_service_discovery_service": {
		"health_check_custom_config.failure_threshold": "failure_threshold is deprecated. AWS no longer supports it and always sets it to 1.",
	},
}

var deprecatedDataSourceAttributes = deprecationTable{
	"aws_region": {"name": "Use region instead."},
}

var deprecatedResourceTypes = map[string]string{
	"aws_elastictranscoder_pipeline":    "This resource is deprecated. Use AWS Elemental MediaConvert instead.",
	"aws_elastictranscoder_preset":      "This resource is deprecated. Use AWS Elemental MediaConvert instead.",
	"aws_evidently_feature":             "This resource is deprecated. Use AWS AppConfig feature flags instead.",
	"aws_evidently_launch":              "This resource is deprecated. Use AWS AppConfig feature flags instead.",
	"aws_evidently_project":             "This resource is deprecated. Use AWS AppConfig feature flags instead.",
	"aws_evidently_segment":             "This resource is deprecated. Use AWS AppConfig feature flags instead.",
	"aws_kinesis_analytics_application": "This resource is deprecated. Use the aws_kinesisanalyticsv2_application resource instead.",
	"aws_media_store_container":         "This resource is deprecated. Use S3, AWS MediaPackage or another storage solution instead.",
	"aws_media_store_container_policy":  "This resource is deprecated. Use S3, AWS MediaPackage or another storage solution instead.",
}

var deprecatedDataSourceTypes = map[string]string{
	"aws_cloudtrail_service_account": "This data source is deprecated. Use the CloudTrail service principal in IAM policies instead.",
}

// markDeprecations flags the table's entries in the served schemas, so Terraform itself warns when
// a configuration reads one. An entry the schema lacks is an error: a misspelt one would never warn.
func markDeprecations(c *catalog) error {
	if err := markSchemas("resource", c.resources, deprecatedResourceArguments, deprecatedResourceTypes); err != nil {
		return err
	}
	return markSchemas("data source", c.dataSources, deprecatedDataSourceAttributes, deprecatedDataSourceTypes)
}

func markSchemas(kind string, schemas map[string]*tfprotov6.Schema, arguments deprecationTable, types map[string]string) error {
	for _, typeName := range sortedKeys(types) {
		schema, known := schemas[typeName]
		if !known {
			return fmt.Errorf("deprecation table: the schema has no %s %s", kind, typeName)
		}
		schema.Block.Deprecated = true
	}
	for _, typeName := range sortedKeys(arguments) {
		schema, known := schemas[typeName]
		if !known {
			return fmt.Errorf("deprecation table: the schema has no %s %s", kind, typeName)
		}
		for _, path := range sortedKeys(arguments[typeName]) {
			if !markPath(schema.Block, strings.Split(path, ".")) {
				return fmt.Errorf("deprecation table: %s %s has no argument %s", kind, typeName, path)
			}
		}
	}
	return nil
}

func markPath(block *tfprotov6.SchemaBlock, steps []string) bool {
	last := len(steps) == 1
	for _, attribute := range block.Attributes {
		if attribute.Name == steps[0] {
			attribute.Deprecated = last
			return last
		}
	}
	for _, nested := range block.BlockTypes {
		if nested.TypeName == steps[0] {
			if last {
				nested.Block.Deprecated = true
				return true
			}
			return markPath(nested.Block, steps[1:])
		}
	}
	return false
}

// deprecationWarnings are the warnings the real provider's validation gives a configuration that
// sets a deprecated argument or block, or uses a deprecated type at all.
func deprecationWarnings(schema *tfprotov6.Schema, typeName string, config *tfprotov6.DynamicValue, arguments deprecationTable, types map[string]string, typeSummary string) []*tfprotov6.Diagnostic {
	var warnings []*tfprotov6.Diagnostic
	if message, deprecated := types[typeName]; deprecated {
		warnings = append(warnings, &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityWarning, Summary: typeSummary, Detail: message})
	}
	paths := arguments[typeName]
	if len(paths) == 0 || config == nil {
		return warnings
	}
	value, err := config.Unmarshal(valueType(schema))
	if err != nil {
		return warnings
	}
	names := make([]string, 0, len(paths))
	for path := range paths {
		names = append(names, path)
	}
	sort.Strings(names)
	for _, path := range names {
		steps := strings.Split(path, ".")
		if !isConfigured(value, steps) {
			continue
		}
		warning := &tfprotov6.Diagnostic{Severity: tfprotov6.DiagnosticSeverityWarning, Summary: "Argument is deprecated", Detail: paths[path]}
		if len(steps) == 1 {
			warning.Attribute = tftypes.NewAttributePath().WithAttributeName(steps[0])
		}
		warnings = append(warnings, warning)
	}
	return warnings
}

// isConfigured reports whether the object sets the path: a non-null value, a non-empty map, or a
// block with at least one element; through a list or set of blocks, any element may set the rest.
func isConfigured(value tftypes.Value, steps []string) bool {
	if value.IsNull() {
		return false
	}
	if !value.IsKnown() {
		return len(steps) == 0
	}
	var elements []tftypes.Value
	if value.Type().Is(tftypes.List{}) || value.Type().Is(tftypes.Set{}) || value.Type().Is(tftypes.Tuple{}) {
		if value.As(&elements) != nil {
			return false
		}
		for _, element := range elements {
			if isConfigured(element, steps) {
				return true
			}
		}
		return false
	}
	if value.Type().Is(tftypes.Map{}) {
		var entries map[string]tftypes.Value
		return value.As(&entries) == nil && len(entries) > 0 && len(steps) == 0
	}
	if len(steps) == 0 {
		return true
	}
	attributes, err := objectAttributes(value)
	if err != nil {
		return false
	}
	next, present := attributes[steps[0]]
	return present && isConfigured(next, steps[1:])
}
