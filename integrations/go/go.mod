module pyssl

go 1.19
