package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// fakeAccountID is the AWS account every synthetic ARN and identity belongs to.
const fakeAccountID = "123456789012"

// Type-name prefixes whose real IDs have a recognisable shape; the rest use their name or kind.
var idPrefixes = map[string]string{
	"aws_vpc": "vpc", "aws_subnet": "subnet", "aws_security_group": "sg", "aws_instance": "i",
	"aws_internet_gateway": "igw", "aws_nat_gateway": "nat", "aws_route_table": "rtb", "aws_eip": "eipalloc",
	"aws_vpc_endpoint": "vpce", "aws_network_interface": "eni", "aws_launch_template": "lt",
	"aws_ebs_volume": "vol", "aws_flow_log": "fl", "aws_network_acl": "acl", "aws_ec2_transit_gateway": "tgw",
	"aws_vpc_security_group_ingress_rule": "sgr", "aws_vpc_security_group_egress_rule": "sgr",
	"aws_default_security_group": "sg", "aws_default_route_table": "rtb", "aws_default_network_acl": "acl",
	"aws_egress_only_internet_gateway": "eigw", "aws_vpc_peering_connection": "pcx", "aws_ami": "ami",
}

// Resources whose real ID is a UUID.
var uuidIDs = map[string]bool{
	"aws_kms_key": true, "aws_wafv2_web_acl": true, "aws_wafv2_rule_group": true, "aws_wafv2_ip_set": true,
	"aws_route53_health_check": true, "aws_backup_plan": true, "aws_backup_selection": true,
}

// Root attributes that name a resource, in the order AWS resources usually take their ID from.
var nameAttributes = []string{
	"name", "bucket", "identifier", "cluster_identifier", "function_name", "replication_group_id",
	"domain_name", "table_name", "alias", "family",
}

// The AWS service (ARN namespace) where the first word of the type name is not already it.
var serviceAliases = map[string]string{
	"db": "rds", "rds": "rds", "lb": "elasticloadbalancing", "alb": "elasticloadbalancing",
	"vpc": "ec2", "subnet": "ec2", "security": "ec2", "route": "ec2", "internet": "ec2", "nat": "ec2",
	"eip": "ec2", "instance": "ec2", "network": "ec2", "ebs": "ec2", "ami": "ec2", "launch": "ec2",
	"default": "ec2", "flow": "ec2", "egress": "ec2", "key": "ec2", "placement": "ec2",
	"api": "apigateway", "apigatewayv2": "apigateway", "cognito": "cognito-idp", "appautoscaling": "application-autoscaling",
	"cloudwatch": "cloudwatch", "sfn": "states", "elasticsearch": "es", "opensearch": "es",
}

// synthesizer invents well-formed, deterministic values for one resource instance: the same type
// and inputs give the same values.
type synthesizer struct {
	typeName string
	region   string
	seed     string
	id       string
	name     string
}

// newSynthesizer derives the instance's identity from its known root attributes.
func newSynthesizer(typeName, region string, root tftypes.Value) *synthesizer {
	s := &synthesizer{typeName: typeName, region: region, seed: typeName + "|" + root.String()}
	attributes, _ := objectAttributes(root)
	if own := knownString(attributes, "region"); own != "" {
		s.region = own
	}
	for _, candidate := range nameAttributes {
		if s.name = knownString(attributes, candidate); s.name != "" {
			break
		}
	}
	s.id = knownString(attributes, "id")
	if s.id == "" {
		s.id = s.inventID()
	}
	if s.name == "" {
		s.name = s.id
	}
	return s
}

func (s *synthesizer) hexDigits(salt string, length int) string {
	sum := sha256.Sum256([]byte(s.seed + "|" + salt))
	return hex.EncodeToString(sum[:])[:length]
}

func (s *synthesizer) uuid(salt string) string {
	h := s.hexDigits(salt, 32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *synthesizer) inventID() string {
	switch {
	case idPrefixes[s.typeName] != "":
		return idPrefixes[s.typeName] + "-" + s.hexDigits("id", 17)
	case uuidIDs[s.typeName]:
		return s.uuid("id")
	case s.typeName == "aws_route53_zone":
		return "Z" + strings.ToUpper(s.hexDigits("id", 13))
	case s.name != "":
		return s.name
	}
	return s.kind() + "-" + s.hexDigits("id", 17)
}

// service is the ARN namespace guessed from the type name: aws_wafv2_web_acl -> wafv2.
func (s *synthesizer) service() string {
	words := strings.Split(strings.TrimPrefix(s.typeName, "aws_"), "_")
	if len(words) > 1 && words[0] == "cloudwatch" && words[1] == "log" {
		return "logs"
	}
	if alias, known := serviceAliases[words[0]]; known {
		return alias
	}
	return words[0]
}

// kind is the resource part of the type name: aws_wafv2_web_acl -> web-acl.
func (s *synthesizer) kind() string {
	words := strings.Split(strings.TrimPrefix(s.typeName, "aws_"), "_")
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[1:], "-")
}

func (s *synthesizer) arn(kind, name string) string {
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", s.service(), s.region, fakeAccountID, kind, name)
}

func (s *synthesizer) hostname(label string) string {
	return fmt.Sprintf("%s.%s.%s.amazonaws.com", strings.ReplaceAll(strings.ToLower(label), "_", "-"), s.region, s.service())
}

// value invents a known value of typ for the attribute at path.
func (s *synthesizer) value(path *tftypes.AttributePath, typ tftypes.Type) tftypes.Value {
	name, atRoot := attributeName(path)
	switch {
	case typ.Is(tftypes.String):
		return tftypes.NewValue(typ, s.stringFor(name, atRoot, path.String()))
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, big.NewFloat(numberFor(name)))
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, false)
	case typ.Is(tftypes.List{}), typ.Is(tftypes.Set{}):
		return tftypes.NewValue(typ, []tftypes.Value{})
	case typ.Is(tftypes.Map{}):
		return tftypes.NewValue(typ, map[string]tftypes.Value{})
	case typ.Is(tftypes.Object{}):
		objectType := typ.(tftypes.Object)
		attributes := make(map[string]tftypes.Value, len(objectType.AttributeTypes))
		for attributeName, attributeType := range objectType.AttributeTypes {
			attributes[attributeName] = s.value(path.WithAttributeName(attributeName), attributeType)
		}
		return tftypes.NewValue(typ, attributes)
	case typ.Is(tftypes.Tuple{}):
		elementTypes := typ.(tftypes.Tuple).ElementTypes
		elements := make([]tftypes.Value, len(elementTypes))
		for index, elementType := range elementTypes {
			elements[index] = s.value(path.WithElementKeyInt(index), elementType)
		}
		return tftypes.NewValue(typ, elements)
	}
	// A dynamic value has no type to invent from; null is a valid known result for it.
	return tftypes.NewValue(typ, nil)
}

// attributeName is the last attribute name of the path and whether it is a root attribute.
func attributeName(path *tftypes.AttributePath) (string, bool) {
	steps := path.Steps()
	for index := len(steps) - 1; index >= 0; index-- {
		if name, isName := steps[index].(tftypes.AttributeName); isName {
			return string(name), len(steps) == 1
		}
	}
	return "value", false
}

// stringFor shapes a string after the attribute's name: IDs, ARNs, host names, URLs, regions.
func (s *synthesizer) stringFor(name string, atRoot bool, salt string) string {
	switch {
	case name == "id" && atRoot:
		return s.id
	case name == "arn" && atRoot:
		return s.arn(s.kind(), s.name)
	case name == "region" || strings.HasSuffix(name, "_region"):
		return s.region
	case name == "account_id" || name == "owner_id" || name == "owner_account_id" || name == "aws_account_id":
		return fakeAccountID
	case strings.HasSuffix(name, "arn"):
		return s.arn(strings.TrimSuffix(strings.TrimSuffix(name, "arn"), "_"), s.name+"-"+s.hexDigits(salt, 8))
	case name == "hosted_zone_id" || name == "zone_id":
		return "Z" + strings.ToUpper(s.hexDigits(salt, 13))
	case strings.HasSuffix(name, "cidr_block"):
		return "10.0.0.0/16"
	case strings.HasSuffix(name, "url"):
		return "https://" + s.hostname(s.name) + "/"
	case strings.HasSuffix(name, "endpoint") || strings.HasSuffix(name, "dns_name") ||
		strings.HasSuffix(name, "domain_name") || strings.HasSuffix(name, "domain") ||
		strings.HasSuffix(name, "hostname") || name == "address":
		return s.hostname(s.name)
	case name == "ip" || strings.HasSuffix(name, "_ip") || strings.HasSuffix(name, "ip_address"):
		return "10.0.0.10"
	case name == "id" || strings.HasSuffix(name, "_id"):
		return strings.SplitN(name, "_", 2)[0] + "-" + s.hexDigits(salt, 17)
	case strings.Contains(name, "version"):
		return "1"
	}
	return strings.ReplaceAll(name, "_", "-") + "-" + s.hexDigits(salt, 8)
}

func numberFor(name string) float64 {
	if strings.Contains(name, "version") {
		return 1
	}
	return 0
}
