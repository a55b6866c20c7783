# Frozen modules of the unix port built by build.sh: asyncio (the Debian
# source has no micropython-lib packages such as mip-cmdline, which the
# port's own manifest requires) and ssl.py over the _pyssl C module.
include("$(MPY_DIR)/extmod/asyncio")
module("ssl.py")
