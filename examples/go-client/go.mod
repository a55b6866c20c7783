module pyssl-go-client

go 1.19

require pyssl v0.0.0

replace pyssl => ../../integrations/go
