package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Ephemeral resources (Terraform 1.10+) are opened for one run and never written to plan or state.
// Their schemas are hand-added facts (tools/offline_provider/hand_facts.py). A type with an opener
// below answers what the real provider would; any other declared type answers synthetic values.
var ephemeralOpeners = map[string]dataSourceReader{
	"aws_secretsmanager_random_password": readRandomPassword,
}

// The data source of the same name generates passwords the same way (and, unlike the ephemeral
// resource, keeps them in state: the leak SEC-3's test must catch).
func init() {
	dataSourceReaders["aws_secretsmanager_random_password"] = readRandomPassword
}

// passwordLogVariable names a file the stand-in appends every password it generates to, one per
// line. Test-only: it lets a test prove that no generated password reaches a plan or a state.
const passwordLogVariable = "MERIDIAN_OFFLINE_PASSWORD_LOG"

func (p *offlineProvider) ephemeralSchema(typeName string) (*tfprotov6.Schema, []*tfprotov6.Diagnostic) {
	schema, known := p.catalog.ephemeralResources[typeName]
	if !known {
		return nil, errorDiagnostics("Unknown ephemeral resource type "+typeName, unsupportedDetail)
	}
	return schema, nil
}

func (p *offlineProvider) ValidateEphemeralResourceConfig(_ context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	_, diagnostics := p.ephemeralSchema(req.TypeName)
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{Diagnostics: diagnostics}, nil
}

// OpenEphemeralResource answers the configuration with every unset computed attribute filled.
func (p *offlineProvider) OpenEphemeralResource(_ context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	schema, diagnostics := p.ephemeralSchema(req.TypeName)
	if diagnostics != nil {
		return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: diagnostics}, nil
	}
	typ := valueType(schema)
	config, err := req.Config.Unmarshal(typ)
	if err == nil {
		synth := newSynthesizer(req.TypeName, p.current().region, config)
		var opened tftypes.Value
		opened, err = fillUnsetComputed(schema.Block, config, tftypes.NewAttributePath(), func(path *tftypes.AttributePath, attribute *tfprotov6.SchemaAttribute) tftypes.Value {
			return synth.value(path, attribute.Type)
		})
		if opener := ephemeralOpeners[req.TypeName]; err == nil && opener != nil {
			opened, err = overrideUnsetRoot(schema.Block, opened, config, synth, opener)
		}
		if err == nil {
			var result tfprotov6.DynamicValue
			if result, err = tfprotov6.NewDynamicValue(typ, opened); err == nil {
				return &tfprotov6.OpenEphemeralResourceResponse{Result: &result}, nil
			}
		}
	}
	return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errorDiagnostics("Cannot open "+req.TypeName, err.Error())}, nil
}

// RenewEphemeralResource is never due: Open sets no RenewAt.
func (p *offlineProvider) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{}, nil
}

// CloseEphemeralResource has nothing to release: nothing was created anywhere.
func (p *offlineProvider) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{}, nil
}

// Secrets Manager GetRandomPassword's character classes; its punctuation is these 32 characters.
const (
	lowercaseLetters = "abcdefghijklmnopqrstuvwxyz"
	uppercaseLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits           = "0123456789"
	punctuation      = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	defaultLength    = 32
	maximumLength    = 4096
)

// readRandomPassword generates what GetRandomPassword would: a random password of password_length
// (default 32) from the classes not excluded, without exclude_characters, with at least one
// character of every included class unless require_each_included_type is false. It serves the
// ephemeral resource and the data source of the same name.
func readRandomPassword(_ *synthesizer, config map[string]tftypes.Value) (map[string]any, error) {
	length := defaultLength
	if value := config["password_length"]; !value.IsNull() && value.IsKnown() {
		var number big.Float
		if err := value.As(&number); err != nil {
			return nil, err
		}
		requested, _ := number.Int64()
		if requested < 1 || requested > maximumLength {
			return nil, fmt.Errorf("password_length %d is out of range; allowed: 1 to %d", requested, maximumLength)
		}
		length = int(requested)
	}
	excluded := knownString(config, "exclude_characters")
	var classes []string
	for _, class := range []struct {
		characters string
		excludedBy string
		included   bool
	}{
		{lowercaseLetters, "exclude_lowercase", true},
		{uppercaseLetters, "exclude_uppercase", true},
		{digits, "exclude_numbers", true},
		{punctuation, "exclude_punctuation", true},
		{" ", "include_space", false},
	} {
		wanted := !knownBool(config, class.excludedBy, false)
		if !class.included {
			wanted = knownBool(config, class.excludedBy, false)
		}
		if remaining := withoutCharacters(class.characters, excluded); wanted && remaining != "" {
			classes = append(classes, remaining)
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("the exclusions leave no character to build a password from")
	}
	password, err := randomPassword(classes, length, knownBool(config, "require_each_included_type", true))
	if err != nil {
		return nil, err
	}
	if err := recordPassword(password); err != nil {
		return nil, err
	}
	return map[string]any{"random_password": password}, nil
}

func randomPassword(classes []string, length int, eachClass bool) (string, error) {
	if eachClass && length < len(classes) {
		return "", fmt.Errorf("password_length %d cannot hold one character of each of %d included types", length, len(classes))
	}
	alphabet := strings.Join(classes, "")
	password := make([]byte, length)
	for index := range password {
		pool := alphabet
		if eachClass && index < len(classes) {
			pool = classes[index] // the first characters guarantee every class; shuffled below
		}
		character, err := randomIndex(len(pool))
		if err != nil {
			return "", err
		}
		password[index] = pool[character]
	}
	for index := len(password) - 1; index > 0; index-- {
		other, err := randomIndex(index + 1)
		if err != nil {
			return "", err
		}
		password[index], password[other] = password[other], password[index]
	}
	return string(password), nil
}

func randomIndex(size int) (int, error) {
	index, err := rand.Int(rand.Reader, big.NewInt(int64(size)))
	if err != nil {
		return 0, fmt.Errorf("reading randomness: %w", err)
	}
	return int(index.Int64()), nil
}

func withoutCharacters(characters, excluded string) string {
	return strings.Map(func(character rune) rune {
		if strings.ContainsRune(excluded, character) {
			return -1
		}
		return character
	}, characters)
}

// knownBool is a known, non-null bool attribute of an object, else fallback.
func knownBool(attributes map[string]tftypes.Value, name string, fallback bool) bool {
	value, present := attributes[name]
	if !present || value.IsNull() || !value.IsKnown() || !value.Type().Is(tftypes.Bool) {
		return fallback
	}
	var flag bool
	if err := value.As(&flag); err != nil {
		return fallback
	}
	return flag
}

func recordPassword(password string) error {
	path := os.Getenv(passwordLogVariable)
	if path == "" {
		return nil
	}
	file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%s: %w", passwordLogVariable, err)
	}
	_, err = fmt.Fprintln(file, password)
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	return err
}
