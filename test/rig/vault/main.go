// Command vault builds the Vault server used by keyward's test rig when the
// OpenBao module cannot be fetched. It only forwards to Vault's command runner.
package main

import (
	"os"

	"github.com/hashicorp/vault/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
