package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// defaultPolicyVersion is the IAM policy language version AWS documents for new policies.
const defaultPolicyVersion = "2012-10-17"

// policyDocument is what an aws_iam_policy_document configuration says.
type policyDocument struct {
	Version    string
	ID         string
	Statements []policyStatement
	Sources    []string // JSON documents whose statements come first
	Overrides  []string // JSON documents whose statements replace same-Sid ones, or are appended
}

type policyStatement struct {
	Sid, Effect                                  string
	Actions, NotActions, Resources, NotResources []string
	Principals, NotPrincipals                    []policyPrincipal
	Conditions                                   []policyCondition
}

type policyPrincipal struct {
	Type        string
	Identifiers []string
}

type policyCondition struct {
	Test, Variable string
	Values         []string
}

// renderedDocument and renderedStatement fix the key order of the rendered JSON to AWS's.
type renderedDocument struct {
	Version   string              `json:"Version,omitempty"`
	ID        string              `json:"Id,omitempty"`
	Statement []renderedStatement `json:"Statement"`
}

type renderedStatement struct {
	Sid          string `json:"Sid,omitempty"`
	Effect       string `json:"Effect,omitempty"`
	Action       any    `json:"Action,omitempty"`
	NotAction    any    `json:"NotAction,omitempty"`
	Resource     any    `json:"Resource,omitempty"`
	NotResource  any    `json:"NotResource,omitempty"`
	Principal    any    `json:"Principal,omitempty"`
	NotPrincipal any    `json:"NotPrincipal,omitempty"`
	Condition    any    `json:"Condition,omitempty"`
}

// renderPolicyDocument renders the document as the real data source does: indented `json` and
// compact `minified_json`, one-element lists collapsed to a string, other lists sorted.
func renderPolicyDocument(document policyDocument) (string, string, error) {
	statements := []renderedStatement{}
	for _, source := range document.Sources {
		parsed, err := parsePolicyStatements(source)
		if err != nil {
			return "", "", fmt.Errorf("source policy document: %w", err)
		}
		statements = mergeBySid(statements, parsed)
	}
	if err := checkUniqueSids(document.Statements); err != nil {
		return "", "", err
	}
	own := make([]renderedStatement, len(document.Statements))
	for index, statement := range document.Statements {
		rendered, err := renderStatement(statement, document.Version)
		if err != nil {
			return "", "", err
		}
		own[index] = rendered
	}
	statements = mergeBySid(statements, own)
	for _, override := range document.Overrides {
		parsed, err := parsePolicyStatements(override)
		if err != nil {
			return "", "", fmt.Errorf("override policy document: %w", err)
		}
		statements = mergeBySid(statements, parsed)
	}
	version := document.Version
	if version == "" {
		version = defaultPolicyVersion
	}
	rendered := renderedDocument{Version: version, ID: document.ID, Statement: statements}
	pretty, err := json.MarshalIndent(rendered, "", "  ")
	if err != nil {
		return "", "", err
	}
	minified, err := json.Marshal(rendered)
	return string(pretty), string(minified), err
}

func renderStatement(statement policyStatement, version string) (renderedStatement, error) {
	effect := statement.Effect
	if effect == "" {
		effect = "Allow"
	}
	// Like the real provider: `&{...}` stands for an IAM policy variable `${...}` (Terraform would
	// interpolate `${`) in resources, principals and condition values, never in actions.
	resources, err := policyVariables(statement.Resources, version)
	if err != nil {
		return renderedStatement{}, err
	}
	notResources, err := policyVariables(statement.NotResources, version)
	if err != nil {
		return renderedStatement{}, err
	}
	principals, err := principalVariables(statement.Principals, version)
	if err != nil {
		return renderedStatement{}, err
	}
	notPrincipals, err := principalVariables(statement.NotPrincipals, version)
	if err != nil {
		return renderedStatement{}, err
	}
	conditions := make([]policyCondition, len(statement.Conditions))
	for index, condition := range statement.Conditions {
		conditions[index] = condition
		if conditions[index].Values, err = policyVariables(condition.Values, version); err != nil {
			return renderedStatement{}, err
		}
	}
	return renderedStatement{
		Sid:          statement.Sid,
		Effect:       effect,
		Action:       collapse(statement.Actions),
		NotAction:    collapse(statement.NotActions),
		Resource:     collapse(resources),
		NotResource:  collapse(notResources),
		Principal:    renderPrincipals(principals),
		NotPrincipal: renderPrincipals(notPrincipals),
		Condition:    renderConditions(conditions),
	}, nil
}

// checkUniqueSids refuses two statements of one document with the same non-empty Sid, as the real
// provider does (merging by Sid is only for source and override documents).
func checkUniqueSids(statements []policyStatement) error {
	seen := map[string]bool{}
	for _, statement := range statements {
		if statement.Sid == "" {
			continue
		}
		if seen[statement.Sid] {
			return fmt.Errorf("duplicate Sid (%s): remove the Sid or make it unique", statement.Sid)
		}
		seen[statement.Sid] = true
	}
	return nil
}

// legacyPolicyVersion predates policy variables, so `&{` cannot be written in it.
const legacyPolicyVersion = "2008-10-17"

func policyVariables(values []string, version string) ([]string, error) {
	out := make([]string, len(values))
	for index, value := range values {
		if version == legacyPolicyVersion && strings.Contains(value, "&{") {
			return nil, fmt.Errorf("found &{ sequence in (%s), which policy version %s does not support", value, legacyPolicyVersion)
		}
		out[index] = strings.ReplaceAll(value, "&{", "${")
	}
	return out, nil
}

func principalVariables(principals []policyPrincipal, version string) ([]policyPrincipal, error) {
	out := make([]policyPrincipal, len(principals))
	for index, principal := range principals {
		identifiers, err := policyVariables(principal.Identifiers, version)
		if err != nil {
			return nil, err
		}
		out[index] = policyPrincipal{Type: principal.Type, Identifiers: identifiers}
	}
	return out, nil
}

// collapse is nil for no values, the string for one, and a sorted list (descending, like the real
// provider) for more.
func collapse(values []string) any {
	switch len(values) {
	case 0:
		return nil
	case 1:
		return values[0]
	}
	sorted := append([]string(nil), values...)
	sort.Sort(sort.Reverse(sort.StringSlice(sorted)))
	return sorted
}

// renderPrincipals renders principals as the real provider does: a bare "*" only for a single
// principal of type "*" whose one identifier is "*" (IAM refuses "*" in trust policies otherwise);
// else type to identifiers, each block's identifiers sorted descending and appended in block order,
// one identifier as a string.
func renderPrincipals(principals []policyPrincipal) any {
	if len(principals) == 0 {
		return nil
	}
	if only := principals[0]; len(principals) == 1 && only.Type == "*" && len(only.Identifiers) == 1 && only.Identifiers[0] == "*" {
		return "*"
	}
	byType := map[string][]string{}
	for _, principal := range principals {
		identifiers := append([]string(nil), principal.Identifiers...)
		sort.Sort(sort.Reverse(sort.StringSlice(identifiers)))
		byType[principal.Type] = append(byType[principal.Type], identifiers...)
	}
	rendered := make(map[string]any, len(byType))
	for principalType, identifiers := range byType {
		if len(identifiers) == 1 {
			rendered[principalType] = identifiers[0]
		} else {
			rendered[principalType] = identifiers
		}
	}
	return rendered
}

// renderConditions maps test to variable to values.
func renderConditions(conditions []policyCondition) any {
	if len(conditions) == 0 {
		return nil
	}
	grouped := map[string]map[string][]string{}
	for _, condition := range conditions {
		if grouped[condition.Test] == nil {
			grouped[condition.Test] = map[string][]string{}
		}
		grouped[condition.Test][condition.Variable] = append(grouped[condition.Test][condition.Variable], condition.Values...)
	}
	rendered := make(map[string]map[string]any, len(grouped))
	for test, variables := range grouped {
		rendered[test] = make(map[string]any, len(variables))
		for variable, values := range variables {
			rendered[test][variable] = collapse(values)
		}
	}
	return rendered
}

// parsePolicyStatements reads the statements of a JSON policy; Statement may be one object or a list.
func parsePolicyStatements(document string) ([]renderedStatement, error) {
	var parsed struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(document), &parsed); err != nil {
		return nil, err
	}
	if len(parsed.Statement) == 0 {
		return nil, nil
	}
	var statements []renderedStatement
	if err := json.Unmarshal(parsed.Statement, &statements); err == nil {
		return statements, nil
	}
	var single renderedStatement
	if err := json.Unmarshal(parsed.Statement, &single); err != nil {
		return nil, err
	}
	return []renderedStatement{single}, nil
}

// mergeBySid replaces statements of base that share a non-empty Sid with one of extra, and
// appends the rest of extra.
func mergeBySid(base, extra []renderedStatement) []renderedStatement {
	merged := append([]renderedStatement(nil), base...)
	for _, statement := range extra {
		replaced := false
		for index := range merged {
			if statement.Sid != "" && merged[index].Sid == statement.Sid {
				merged[index] = statement
				replaced = true
				break
			}
		}
		if !replaced {
			merged = append(merged, statement)
		}
	}
	return merged
}

// policyDocumentFromConfig reads the data source's configuration object.
func policyDocumentFromConfig(config map[string]tftypes.Value) (policyDocument, error) {
	document := policyDocument{
		Version:   knownString(config, "version"),
		ID:        knownString(config, "policy_id"),
		Sources:   append(stringsOf(config["source_policy_documents"]), nonEmpty(knownString(config, "source_json"))...),
		Overrides: append(stringsOf(config["override_policy_documents"]), nonEmpty(knownString(config, "override_json"))...),
	}
	blocks, err := objectsOf(config["statement"])
	if err != nil {
		return document, fmt.Errorf("statement: %w", err)
	}
	for _, block := range blocks {
		statement, err := policyStatementFromConfig(block)
		if err != nil {
			return document, err
		}
		document.Statements = append(document.Statements, statement)
	}
	return document, nil
}

func policyStatementFromConfig(block map[string]tftypes.Value) (policyStatement, error) {
	statement := policyStatement{
		Sid:          knownString(block, "sid"),
		Effect:       knownString(block, "effect"),
		Actions:      stringsOf(block["actions"]),
		NotActions:   stringsOf(block["not_actions"]),
		Resources:    stringsOf(block["resources"]),
		NotResources: stringsOf(block["not_resources"]),
	}
	var err error
	if statement.Principals, err = principalsFromConfig(block["principals"]); err != nil {
		return statement, err
	}
	if statement.NotPrincipals, err = principalsFromConfig(block["not_principals"]); err != nil {
		return statement, err
	}
	conditions, err := objectsOf(block["condition"])
	for _, condition := range conditions {
		statement.Conditions = append(statement.Conditions, policyCondition{
			Test:     knownString(condition, "test"),
			Variable: knownString(condition, "variable"),
			Values:   stringsOf(condition["values"]),
		})
	}
	return statement, err
}

func principalsFromConfig(value tftypes.Value) ([]policyPrincipal, error) {
	blocks, err := objectsOf(value)
	principals := make([]policyPrincipal, 0, len(blocks))
	for _, block := range blocks {
		principals = append(principals, policyPrincipal{Type: knownString(block, "type"), Identifiers: stringsOf(block["identifiers"])})
	}
	return principals, err
}

// objectsOf reads the objects of a list or set block value; null or absent gives none.
func objectsOf(value tftypes.Value) ([]map[string]tftypes.Value, error) {
	if value.Type() == nil || value.IsNull() || !value.IsKnown() {
		return nil, nil
	}
	var elements []tftypes.Value
	if err := value.As(&elements); err != nil {
		return nil, err
	}
	objects := make([]map[string]tftypes.Value, 0, len(elements))
	for _, element := range elements {
		attributes, err := objectAttributes(element)
		if err != nil {
			return nil, err
		}
		objects = append(objects, attributes)
	}
	return objects, nil
}

func nonEmpty(text string) []string {
	if text == "" {
		return nil
	}
	return []string{text}
}
