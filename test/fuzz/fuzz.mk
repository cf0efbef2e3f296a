# test/fuzz/fuzz.mk - builds and runs the libFuzzer targets (GNU make).
#
# Run from the top build directory by the top-level Makefile
# (test/fuzz/Makefile.inc: `make fuzz`, `make fuzz-build`), which passes
# the configured flags.  Everything here is compiled again with clang and
# -fsanitize=fuzzer-no-link,address,undefined into test/fuzz/obj/, so the
# normal build (any compiler, any flags) is untouched.
#
# Variables (set by Makefile.inc): srcdir (abs top_srcdir), FUZZ_CC
# (clang), FUZZ_CPPFLAGS, FUZZ_WARN, FUZZ_LIBS; FUZZ_SECONDS for `run`.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(FUZZ_WARN)
FUZZ_LDFLAGS = $(FUZZ_SAN) -fsanitize=fuzzer

O = test/fuzz/obj
TARGETS = fuzz_record fuzz_xdr fuzz_call fuzz_auth fuzz_ctl
BINS = $(addprefix test/fuzz/,$(TARGETS))

# What each target links, beyond its own source.
XDR_SRC = rpc/hesper_xdr.c
# test/fuzz/Makefile.inc passes the automake lists of rpc/libhsrpc.a and
# rpc/libhsxdr.a (FUZZ_RPC_SOURCES), so a new transport file is linked
# here too; the default serves a hand-run `make -f fuzz.mk`.
FUZZ_RPC_SOURCES ?= rpc/record.c rpc/conn.c rpc/call.c rpc/serve.c rpc/tls.c \
	rpc/listen.c rpc/sendref.c rpc/xdr_inplace.c
RPC_SRC = $(filter %.c,$(FUZZ_RPC_SOURCES))
CTL_SRC = tools/ctlproto.c tools/hoardcmd.c
# vice's library (vice/Makefile.inc's libvice.a) without its daemon
# start-up, which needs libsystemd: every vice/*.c but main.c, daemon.c;
# and common/saslpolicy.c, the SASL set-up vice shares with clog.
VICE_SRC = $(patsubst $(srcdir)/%,%,$(filter-out \
	$(srcdir)/vice/main.c $(srcdir)/vice/daemon.c, \
	$(wildcard $(srcdir)/vice/*.c))) common/saslpolicy.c

obj = $(patsubst %.c,$(O)/%.o,$(1))

all: $(BINS)

# hesper_xdr.c is generated in the build tree; the rest is in srcdir.
# rpcgen's routines declare unused locals.
$(O)/rpc/hesper_xdr.o: rpc/hesper_xdr.c rpc/hesper.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -Wno-unused-variable \
		-Wno-missing-prototypes -c -o $@ $<
$(O)/%.o: $(srcdir)/%.c rpc/hesper.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

test/fuzz/fuzz_record: $(call obj,test/fuzz/fuzz_record.c rpc/record.c)
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)
test/fuzz/fuzz_xdr: $(call obj,test/fuzz/fuzz_xdr.c $(XDR_SRC))
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)
test/fuzz/fuzz_call: $(call obj,test/fuzz/fuzz_call.c test/fuzz/fuzz_vice.c $(VICE_SRC) $(RPC_SRC) $(XDR_SRC))
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)
test/fuzz/fuzz_auth: $(call obj,test/fuzz/fuzz_auth.c test/fuzz/fuzz_vice.c $(VICE_SRC) $(RPC_SRC) $(XDR_SRC))
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)
test/fuzz/fuzz_ctl: $(call obj,test/fuzz/fuzz_ctl.c $(CTL_SRC))
	$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $@ $^ $(FUZZ_LIBS)

# Run every target for FUZZ_SECONDS on a scratch copy of its seed corpus
# (new inputs go to test/fuzz/work/<target>/, the committed seeds stay as
# they are); a crash stops the run with the reproducer's path.
run: $(BINS)
	@for t in $(TARGETS); do \
		w=test/fuzz/work/$$t; mkdir -p $$w; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s (corpus $$w)"; \
		dict=; [ -f $(srcdir)/test/fuzz/$$t.dict ] && \
			dict=-dict=$(srcdir)/test/fuzz/$$t.dict; \
		test/fuzz/$$t $$dict -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=test/fuzz/work/$$t- -print_final_stats=1 \
			$$w $(srcdir)/test/fuzz/corpus/$$t || \
			{ echo "fuzz: $$t failed; reproducer: test/fuzz/work/$$t-*"; exit 1; }; \
	done

clean:
	rm -rf $(O) $(BINS) test/fuzz/work

.PHONY: all run clean
-include $(shell find $(O) -name '*.d' 2>/dev/null)

# The seed generator (test/fuzz/gen_seeds.c): plain, no sanitizers.
test/fuzz/gen_seeds: $(srcdir)/test/fuzz/gen_seeds.c $(srcdir)/test/fuzz/xdr_types.h \
		rpc/hesper_xdr.c rpc/hesper.h
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) -g -O1 $(FUZZ_WARN) -Wno-unused-variable \
		-Wno-missing-prototypes -o $@ $(srcdir)/test/fuzz/gen_seeds.c \
		rpc/hesper_xdr.c $(FUZZ_LIBS)
seeds: test/fuzz/gen_seeds
	test/fuzz/gen_seeds $(srcdir)/test/fuzz/corpus
.PHONY: seeds
