package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decodePolicy(t *testing.T, text string) map[string]any {
	t.Helper()
	var decoded map[string]any
	if err := json.Unmarshal([]byte(text), &decoded); err != nil {
		t.Fatalf("rendered policy is not JSON: %v\n%s", err, text)
	}
	return decoded
}

func TestRenderPolicyDocumentWritesAWSPolicyGrammar(t *testing.T) {
	document := policyDocument{Statements: []policyStatement{{
		Sid:        "ReadObjects",
		Actions:    []string{"s3:GetObject"},
		Resources:  []string{"arn:aws:s3:::docs/*", "arn:aws:s3:::docs"},
		Principals: []policyPrincipal{{Type: "AWS", Identifiers: []string{"arn:aws:iam::123456789012:root"}}},
		Conditions: []policyCondition{{Test: "Bool", Variable: "aws:SecureTransport", Values: []string{"true"}}},
	}}}

	pretty, minified, err := renderPolicyDocument(document)
	if err != nil {
		t.Fatal(err)
	}

	want := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "ReadObjects",
			"Effect":    "Allow",
			"Action":    "s3:GetObject",
			"Resource":  []any{"arn:aws:s3:::docs/*", "arn:aws:s3:::docs"},
			"Principal": map[string]any{"AWS": "arn:aws:iam::123456789012:root"},
			"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "true"}},
		}},
	}
	for name, text := range map[string]string{"json": pretty, "minified_json": minified} {
		if got := decodePolicy(t, text); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if pretty == minified || len(minified) >= len(pretty) {
		t.Errorf("json should be indented and minified_json compact; got %q and %q", pretty, minified)
	}
}

func TestRenderPolicyDocumentKeepsDenyNotActionAndWildcardPrincipal(t *testing.T) {
	document := policyDocument{Version: "2008-10-17", ID: "deny-plain-http", Statements: []policyStatement{{
		Effect:       "Deny",
		NotActions:   []string{"s3:ListBucket"},
		NotResources: []string{"arn:aws:s3:::public/*"},
		Principals:   []policyPrincipal{{Type: "*", Identifiers: []string{"*"}}},
	}}}

	pretty, _, err := renderPolicyDocument(document)
	if err != nil {
		t.Fatal(err)
	}

	got := decodePolicy(t, pretty)
	statement := got["Statement"].([]any)[0].(map[string]any)
	if got["Version"] != "2008-10-17" || got["Id"] != "deny-plain-http" {
		t.Errorf("version/id not kept: %v", got)
	}
	if statement["Effect"] != "Deny" || statement["NotAction"] != "s3:ListBucket" || statement["NotResource"] != "arn:aws:s3:::public/*" {
		t.Errorf("negated fields not rendered: %v", statement)
	}
	if statement["Principal"] != "*" {
		t.Errorf("wildcard principal should render as \"*\", got %v", statement["Principal"])
	}
	if _, present := statement["Action"]; present {
		t.Errorf("an empty Action must be omitted: %v", statement)
	}
}

func TestRenderPolicyDocumentMergesSourceAndOverrideDocumentsBySid(t *testing.T) {
	source := `{"Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Allow","Action":"sns:Publish","Resource":"*"},
		{"Sid":"Replace","Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`
	override := `{"Statement":{"Sid":"Extra","Effect":"Deny","Action":"kms:Delete*","Resource":"*"}}`
	document := policyDocument{
		Sources:    []string{source},
		Overrides:  []string{override},
		Statements: []policyStatement{{Sid: "Replace", Actions: []string{"sqs:ReceiveMessage"}, Resources: []string{"*"}}},
	}

	pretty, _, err := renderPolicyDocument(document)
	if err != nil {
		t.Fatal(err)
	}

	var sids, actions []any
	for _, raw := range decodePolicy(t, pretty)["Statement"].([]any) {
		statement := raw.(map[string]any)
		sids = append(sids, statement["Sid"])
		actions = append(actions, statement["Action"])
	}
	if want := []any{"Keep", "Replace", "Extra"}; !reflect.DeepEqual(sids, want) {
		t.Errorf("Sids = %v, want %v", sids, want)
	}
	if actions[1] != "sqs:ReceiveMessage" {
		t.Errorf("own statement should replace the source's same-Sid one, got %v", actions[1])
	}
}

func TestRenderPolicyDocumentRejectsBrokenSourceDocument(t *testing.T) {
	if _, _, err := renderPolicyDocument(policyDocument{Sources: []string{"{not json"}}); err == nil {
		t.Fatal("a source document that is not JSON must be an error")
	}
}

func TestCollapseSortsLikeTheRealProvider(t *testing.T) {
	if got := collapse([]string{"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"}); !reflect.DeepEqual(got, []string{"kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"}) {
		t.Errorf("collapse = %v", got)
	}
	if got := collapse(nil); got != nil {
		t.Errorf("collapse(nil) = %v, want nil", got)
	}
}

func TestRenderPolicyDocumentRefusesDuplicateSidsLikeTheRealProvider(t *testing.T) {
	twice := policyStatement{Sid: "Read", Actions: []string{"s3:GetObject"}, Resources: []string{"*"}}
	unnamed := policyStatement{Actions: []string{"s3:ListBucket"}, Resources: []string{"*"}}

	_, _, err := renderPolicyDocument(policyDocument{Statements: []policyStatement{twice, twice}})
	if err == nil || !strings.Contains(err.Error(), "duplicate Sid (Read)") {
		t.Fatalf("two statements with Sid Read must be an error, got %v", err)
	}
	if _, _, err := renderPolicyDocument(policyDocument{Statements: []policyStatement{unnamed, unnamed}}); err != nil {
		t.Errorf("statements without a Sid may repeat: %v", err)
	}
}

func TestRenderPrincipalsKeepsMixedWildcardListsAsTheRealProviderDoes(t *testing.T) {
	cases := []struct {
		principals []policyPrincipal
		want       any
	}{
		{[]policyPrincipal{{Type: "*", Identifiers: []string{"*"}}}, "*"},
		{[]policyPrincipal{{Type: "AWS", Identifiers: []string{"*"}}}, map[string]any{"AWS": "*"}},
		{[]policyPrincipal{{Type: "*", Identifiers: []string{"*"}}, {Type: "AWS", Identifiers: []string{"arn:aws:iam::123456789012:root"}}},
			map[string]any{"*": "*", "AWS": "arn:aws:iam::123456789012:root"}},
		{[]policyPrincipal{{Type: "AWS", Identifiers: []string{"*", "arn:aws:iam::123456789012:root"}}},
			map[string]any{"AWS": []string{"arn:aws:iam::123456789012:root", "*"}}},
	}
	for _, c := range cases {
		if got := renderPrincipals(c.principals); !reflect.DeepEqual(got, c.want) {
			t.Errorf("renderPrincipals(%v) = %#v, want %#v", c.principals, got, c.want)
		}
	}
}

func TestPolicyVariablesAreWrittenWithAnAmpersand(t *testing.T) {
	statement := policyStatement{
		Actions:    []string{"s3:GetObject"},
		Resources:  []string{"arn:aws:s3:::home/&{aws:username}/*"},
		Principals: []policyPrincipal{{Type: "AWS", Identifiers: []string{"arn:aws:iam::123456789012:user/&{aws:username}"}}},
		Conditions: []policyCondition{{Test: "StringLike", Variable: "s3:prefix", Values: []string{"&{aws:username}/"}}},
	}

	_, minified, err := renderPolicyDocument(policyDocument{Statements: []policyStatement{statement}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(minified, "&{") || strings.Count(minified, "${aws:username}") != 3 {
		t.Errorf("&{ must become ${ in resources, principals and condition values: %s", minified)
	}
	if _, _, err := renderPolicyDocument(policyDocument{Version: "2008-10-17", Statements: []policyStatement{statement}}); err == nil {
		t.Error("policy version 2008-10-17 has no variables; &{ must be an error there")
	}
}
