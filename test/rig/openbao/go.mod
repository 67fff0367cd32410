module keyward.test/rig/openbao

go 1.25.8

require github.com/openbao/openbao v0.0.0-20260818154305-dd9c19c37a87
