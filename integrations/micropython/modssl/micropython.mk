# MicroPython user C module: _pyssl (modpyssl.c) over libpyssl.
# PYSSL_INCLUDE: the checkout's include/ (pyssl.h); PYSSL_LIBDIR: a
# directory with libpyssl.so and libpyssl.so.0 (build.sh stages it), also
# the binary's rpath.
PYSSL_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD += $(PYSSL_MOD_DIR)/modpyssl.c
CFLAGS_USERMOD += -I$(PYSSL_INCLUDE)
LDFLAGS_USERMOD += -L$(PYSSL_LIBDIR) -Wl,-rpath,$(PYSSL_LIBDIR) -lpyssl
