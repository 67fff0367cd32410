// Command bao builds the OpenBao server used by keyward's test rig.
// It only forwards to OpenBao's own command runner, so the rig can start a
// real dev server (Vault's API) without a prebuilt binary download.
package main

import (
	"os"

	"github.com/openbao/openbao/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
