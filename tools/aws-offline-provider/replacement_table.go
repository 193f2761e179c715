package main

// replacementRule says which arguments of one resource type make hashicorp/aws 6.25.0 destroy and
// recreate the resource when their value changes (ForceNew in the SDK, RequiresReplace in the
// plugin framework). The facts were read from the provider's source, file by file; README.md
// lists them with the file each came from, and a test keeps the two in step.
type replacementRule struct {
	source string // the provider source file the facts come from
	// arguments: top-level arguments and blocks; a changed value forces replacement.
	arguments []string
	// exclusive: arguments of which exactly one is set; switching which one is set forces
	// replacement, changing the value of the one that stays set does not.
	exclusive []string
}

// Data-holding types first, then the network and security surface.
var replacementRules = map[string]replacementRule{
	"aws_rds_cluster": {source: "internal/service/rds/cluster.go", arguments: []string{
		"availability_zones", "cluster_identifier", "cluster_identifier_prefix", "cluster_scalability_type",
		"database_name", "db_subnet_group_name", "db_system_id", "engine", "engine_mode", "kms_key_id",
		"master_username", "restore_to_point_in_time", "s3_import", "snapshot_identifier", "source_region",
		"storage_encrypted"}},
	"aws_rds_global_cluster": {source: "internal/service/rds/global_cluster.go", arguments: []string{
		"database_name", "engine", "global_cluster_identifier", "source_db_cluster_identifier", "storage_encrypted"}},
	"aws_rds_cluster_instance": {source: "internal/service/rds/cluster_instance.go", arguments: []string{
		"availability_zone", "cluster_identifier", "custom_iam_instance_profile", "db_subnet_group_name", "engine",
		"identifier", "identifier_prefix"}},
	"aws_db_instance": {source: "internal/service/rds/instance.go", arguments: []string{
		"availability_zone", "character_set_name", "custom_iam_instance_profile", "db_name", "engine", "identifier",
		"identifier_prefix", "kms_key_id", "nchar_character_set_name", "restore_to_point_in_time", "s3_import",
		"snapshot_identifier", "storage_encrypted", "timezone", "username"}},
	"aws_elasticache_replication_group": {source: "internal/service/elasticache/replication_group.go", arguments: []string{
		"at_rest_encryption_enabled", "data_tiering_enabled", "global_replication_group_id", "kms_key_id",
		"network_type", "port", "replication_group_id", "security_group_names", "snapshot_arns", "snapshot_name",
		"subnet_group_name"}},
	"aws_efs_file_system": {source: "internal/service/efs/file_system.go", arguments: []string{
		"availability_zone_name", "creation_token", "encrypted", "kms_key_id", "performance_mode"}},
	"aws_s3_bucket": {source: "internal/service/s3/bucket.go", arguments: []string{
		"bucket", "bucket_prefix", "object_lock_enabled"}},
	"aws_dynamodb_table": {source: "internal/service/dynamodb/table.go", arguments: []string{
		"hash_key", "local_secondary_index", "name", "range_key", "restore_date_time", "restore_source_name",
		"restore_to_latest_time"}},
	"aws_kinesis_stream": {source: "internal/service/kinesis/stream.go", arguments: []string{"name"}},
	"aws_kms_key": {source: "internal/service/kms/key.go", arguments: []string{
		"custom_key_store_id", "customer_master_key_spec", "key_usage", "multi_region", "xks_key_id"}},
	"aws_secretsmanager_secret": {source: "internal/service/secretsmanager/secret.go", arguments: []string{
		"name", "name_prefix"}},
	"aws_backup_vault":   {source: "internal/service/backup/vault.go", arguments: []string{"kms_key_arn", "name"}},
	"aws_ecr_repository": {source: "internal/service/ecr/repository.go", arguments: []string{"encryption_configuration", "name"}},

	"aws_security_group": {source: "internal/service/ec2/vpc_security_group.go", arguments: []string{
		"description", "name", "name_prefix", "vpc_id"}},
	"aws_vpc_security_group_ingress_rule": securityGroupRuleReplacement,
	"aws_vpc_security_group_egress_rule":  securityGroupRuleReplacement,
	"aws_iam_role":                        {source: "internal/service/iam/role.go", arguments: []string{"name", "name_prefix", "path"}},
	"aws_iam_policy":                      {source: "internal/service/iam/policy.go", arguments: []string{"description", "name", "name_prefix", "path"}},
	"aws_route": {source: "internal/service/ec2/vpc_route.go", arguments: []string{
		"destination_cidr_block", "destination_ipv6_cidr_block", "destination_prefix_list_id", "route_table_id"}},
	"aws_vpc": {source: "internal/service/ec2/vpc_.go", arguments: []string{"cidr_block", "ipv4_ipam_pool_id", "ipv4_netmask_length"}},
	"aws_subnet": {source: "internal/service/ec2/vpc_subnet.go", arguments: []string{
		"availability_zone", "availability_zone_id", "cidr_block", "ipv6_native", "outpost_arn", "vpc_id"}},
	"aws_wafv2_web_acl":          {source: "internal/service/wafv2/web_acl.go", arguments: []string{"name", "name_prefix", "scope"}},
	"aws_api_gateway_authorizer": {source: "internal/service/apigateway/authorizer.go", arguments: []string{"rest_api_id"}},
	"aws_kms_alias":              {source: "internal/service/kms/alias.go", arguments: []string{"name", "name_prefix"}},
	"aws_s3_bucket_policy":       {source: "internal/service/s3/bucket_policy.go", arguments: []string{"bucket"}},
}

// The ingress and egress rule resources share one schema and one plan modifier: the group is
// fixed, and a rule cannot change its kind of source (CIDR, prefix list, referenced group).
var securityGroupRuleReplacement = replacementRule{
	source:    "internal/service/ec2/vpc_security_group_ingress_rule.go",
	arguments: []string{"security_group_id"},
	exclusive: []string{"cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id"},
}
