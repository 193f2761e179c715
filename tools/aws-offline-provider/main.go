// Command terraform-provider-aws_v6.25.0 is Meridian's offline stand-in for hashicorp/aws: a
// plugin-protocol-6 provider serving the schema generated from the CDKTF bindings, planning and
// applying with synthetic values so that Terraform's validate, plan and apply run without AWS.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// schemaFileName is the generated schema, installed beside the executable.
const schemaFileName = "schema.json"

func main() {
	debug := flag.Bool("debug", false, "serve in debug mode and print TF_REATTACH_PROVIDERS")
	flag.Parse()

	schemaPath, err := defaultSchemaPath()
	if err == nil {
		var loaded *catalog
		if loaded, err = loadCatalog(schemaPath); err == nil {
			if err = markDeprecations(loaded); err == nil {
				err = serve(loaded, *debug)
			}
		}
	}
	if err != nil {
		// stdout belongs to the plugin handshake; errors go to stderr, which Terraform shows.
		fmt.Fprintln(os.Stderr, "aws offline provider:", err)
		os.Exit(1)
	}
}

func defaultSchemaPath() (string, error) {
	executable, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locating the executable: %w", err)
	}
	return filepath.Join(filepath.Dir(executable), schemaFileName), nil
}

func serve(loaded *catalog, debug bool) error {
	var options []tf6server.ServeOpt
	if debug {
		options = append(options, tf6server.WithManagedDebug())
	}
	return tf6server.Serve(loaded.providerAddress, func() tfprotov6.ProviderServer { return newOfflineProvider(loaded) }, options...)
}
