module keyward.test/rig/openbao

go 1.25.8

require github.com/openbao/openbao v0.0.0-20260818154305-dd9c19c37a87

// OpenBao's own go.mod requires these two at v2.0.0, which were never tagged.
replace github.com/openbao/openbao/api/auth/approle/v2 v2.0.0 => github.com/openbao/openbao/api/auth/approle/v2 v2.6.0

replace github.com/openbao/openbao/api/auth/userpass/v2 v2.0.0 => github.com/openbao/openbao/api/auth/userpass/v2 v2.6.0
