package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

func rootObject(attributes map[string]string) tftypes.Value {
	types := map[string]tftypes.Type{}
	values := map[string]tftypes.Value{}
	for name, text := range attributes {
		types[name] = tftypes.String
		values[name] = tftypes.NewValue(tftypes.String, text)
	}
	types["id"] = tftypes.String
	values["id"] = tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	return tftypes.NewValue(tftypes.Object{AttributeTypes: types}, values)
}

func synthesizedString(s *synthesizer, name string) string {
	var text string
	if err := s.value(tftypes.NewAttributePath().WithAttributeName(name), tftypes.String).As(&text); err != nil {
		panic(err)
	}
	return text
}

func TestArnCarriesServiceRegionFakeAccountAndName(t *testing.T) {
	s := newSynthesizer("aws_wafv2_web_acl", "eu-central-1", rootObject(map[string]string{"name": "edge"}))

	if got, want := synthesizedString(s, "arn"), "arn:aws:wafv2:eu-central-1:123456789012:web-acl/edge"; got != want {
		t.Errorf("arn = %q, want %q", got, want)
	}
}

func TestResourceRegionArgumentWinsOverProviderRegion(t *testing.T) {
	s := newSynthesizer("aws_s3_bucket", "eu-central-1", rootObject(map[string]string{"bucket": "docs", "region": "eu-west-1"}))

	if got := synthesizedString(s, "arn"); !strings.Contains(got, ":eu-west-1:") {
		t.Errorf("arn %q should carry the resource's own region", got)
	}
}

func TestIDsLookLikeTheirResourceType(t *testing.T) {
	cases := map[string]*regexp.Regexp{
		"aws_vpc":            regexp.MustCompile(`^vpc-[0-9a-f]{17}$`),
		"aws_kms_key":        regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`),
		"aws_route53_zone":   regexp.MustCompile(`^Z[0-9A-F]{13}$`),
		"aws_security_group": regexp.MustCompile(`^sg-[0-9a-f]{17}$`),
	}
	for typeName, shape := range cases {
		if got := newSynthesizer(typeName, "us-east-1", rootObject(nil)).id; !shape.MatchString(got) {
			t.Errorf("%s id = %q, want %s", typeName, got, shape)
		}
	}
	if got := newSynthesizer("aws_s3_bucket", "us-east-1", rootObject(map[string]string{"bucket": "docs"})).id; got != "docs" {
		t.Errorf("a named resource takes its name as id, got %q", got)
	}
}

func TestSynthesisIsDeterministicAndInputSensitive(t *testing.T) {
	first := newSynthesizer("aws_vpc", "us-east-1", rootObject(map[string]string{"cidr_block": "10.0.0.0/16"}))
	again := newSynthesizer("aws_vpc", "us-east-1", rootObject(map[string]string{"cidr_block": "10.0.0.0/16"}))
	other := newSynthesizer("aws_vpc", "us-east-1", rootObject(map[string]string{"cidr_block": "10.1.0.0/16"}))

	if first.id != again.id {
		t.Errorf("same inputs gave %q and %q", first.id, again.id)
	}
	if first.id == other.id {
		t.Errorf("different inputs gave the same id %q", first.id)
	}
}

func TestStringsFollowAttributeNames(t *testing.T) {
	s := newSynthesizer("aws_db_instance", "ap-southeast-2", rootObject(map[string]string{"identifier": "payments"}))
	cases := map[string]*regexp.Regexp{
		"endpoint":            regexp.MustCompile(`^payments\.ap-southeast-2\.rds\.amazonaws\.com$`),
		"dashboard_url":       regexp.MustCompile(`^https://payments\.ap-southeast-2\.rds\.amazonaws\.com/$`),
		"kms_key_arn":         regexp.MustCompile(`^arn:aws:rds:ap-southeast-2:123456789012:kms_key/payments-[0-9a-f]{8}$`),
		"owner_id":            regexp.MustCompile(`^123456789012$`),
		"availability_region": regexp.MustCompile(`^ap-southeast-2$`),
		"resource_id":         regexp.MustCompile(`^resource-[0-9a-f]{17}$`),
		"ownership":           regexp.MustCompile(`^ownership-[0-9a-f]{8}$`),
	}
	for name, shape := range cases {
		if got := synthesizedString(s, name); !shape.MatchString(got) {
			t.Errorf("%s = %q, want %s", name, got, shape)
		}
	}
}

func TestCollectionsAndObjectsAreWellFormed(t *testing.T) {
	s := newSynthesizer("aws_eks_cluster", "us-east-1", rootObject(map[string]string{"name": "apps"}))
	identity := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"issuer": tftypes.String, "enabled": tftypes.Bool, "port": tftypes.Number}}

	value := s.value(tftypes.NewAttributePath().WithAttributeName("identity"), identity)

	if !value.IsFullyKnown() || value.IsNull() {
		t.Fatalf("object should be fully known, got %s", value)
	}
	list := s.value(tftypes.NewAttributePath().WithAttributeName("subnets"), tftypes.List{ElementType: tftypes.String})
	var elements []tftypes.Value
	if err := list.As(&elements); err != nil || len(elements) != 0 {
		t.Errorf("lists are synthesized empty, got %s", list)
	}
}

func TestZoneIDPrefixAbbreviatesRegions(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "use1", "eu-west-2": "euw2", "ap-southeast-1": "aps1"} {
		if got := zoneIDPrefix(region); got != want {
			t.Errorf("zoneIDPrefix(%q) = %q, want %q", region, got, want)
		}
	}
}
